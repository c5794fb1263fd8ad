import type { AdieuConfig } from '../config/schema.ts';
import type { StoredClient } from '../storage/types.ts';

/**
 * Where /v2/logout may send the browser afterwards: exact string match against the client's
 * allowed_logout_urls and post_logout_redirect_uris, or without a client the tenant's list.
 * No prefix, wildcard or normalisation, so no open redirect.
 */
export function allowedReturnUrls(config: AdieuConfig, client: StoredClient | undefined): string[] {
  if (!client) return config.tenant.allowed_logout_urls;
  const m = client.metadata;
  return [...(m.allowed_logout_urls ?? []), ...(m.post_logout_redirect_uris ?? [])];
}
