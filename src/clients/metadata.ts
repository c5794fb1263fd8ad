import { z } from 'zod';

// Client metadata as Adieu accepts it: the standard OIDC registration names plus Adieu's own
// (`sso`, `web_origins`, `allowed_logout_urls`, `logout_url`). Unknown fields are rejected,
// so a typo never silently disables a logout channel.

/**
 * An http(s) origin whose serialisation is safe to put in a header such as a CSP source list:
 * a DNS name or IP literal, no `;`, `,`, quotes or spaces (WHATWG URL parsing lets `;` into
 * host names, which would end a CSP directive and start another).
 */
export function isSafeOrigin(origin: string): boolean {
  return /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(origin);
}

const httpUrl = z.string().max(2048).refine((value) => {
  const url = URL.parse(value);
  return !!url && (url.protocol === 'https:' || url.protocol === 'http:') && !url.hash && isSafeOrigin(url.origin)
    && !/[\s"'<>\\^`{|}]/.test(value);
}, { message: 'must be an absolute http(s) URL without a fragment, with a plain host name (no spaces, quotes or ;)' });

const origin = z.string().max(2048).refine((value) => {
  const url = URL.parse(value);
  return !!url && (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value && isSafeOrigin(value);
}, { message: 'must be an origin: scheme://host[:port] with no path' });

export const clientMetadataSchema = z.object({
  client_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._~-]+$/, 'may contain only letters, digits and . _ ~ -'),
  client_secret: z.string().min(16).max(512).optional(),
  client_name: z.string().min(1).max(200).optional(),
  redirect_uris: z.array(httpUrl).min(1).max(100),
  post_logout_redirect_uris: z.array(httpUrl).max(100).optional(),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token'])).min(1).optional(),
  response_types: z.array(z.enum(['code'])).optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).optional(),
  scope: z.string().max(1000).optional(),
  application_type: z.enum(['web', 'native']).optional(),
  backchannel_logout_uri: httpUrl.optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  frontchannel_logout_uri: httpUrl.optional(),
  frontchannel_logout_session_required: z.boolean().optional(),
  sso: z.boolean().optional(),
  web_origins: z.array(origin).max(100).optional(),
  allowed_logout_urls: z.array(httpUrl).max(100).optional(),
  logout_url: httpUrl.optional(),
  /** Refresh tokens granted with offline_access (prompt=consent) outlive logout; default: revoked. */
  offline_access_survives_logout: z.boolean().optional(),
}).strict().superRefine((m, ctx) => {
  const method = m.token_endpoint_auth_method ?? (m.client_secret ? 'client_secret_basic' : 'none');
  if (method !== 'none' && !m.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `is required for token_endpoint_auth_method ${method}` });
  }
  if (method === 'none' && m.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'must not be set for a public client (token_endpoint_auth_method none)' });
  }
});

export type ClientMetadata = z.infer<typeof clientMetadataSchema>;

/** Adieu's own client fields, unknown to oidc-provider; declared to it as extraClientMetadata. */
export const ADIEU_CLIENT_FIELDS = [
  'sso', 'web_origins', 'allowed_logout_urls', 'logout_url', 'offline_access_survives_logout',
  'frontchannel_logout_uri', 'frontchannel_logout_session_required',
  // Adieu delivers back-channel logout itself (oidc-provider refuses private targets since 9.7)
  'backchannel_logout_uri', 'backchannel_logout_session_required',
] as const;

/** Fills the defaults a stored client carries explicitly. */
export function normalizeClient(m: ClientMetadata): ClientMetadata {
  return {
    ...m,
    token_endpoint_auth_method: m.token_endpoint_auth_method ?? (m.client_secret ? 'client_secret_basic' : 'none'),
    grant_types: m.grant_types ?? ['authorization_code', 'refresh_token'],
    response_types: m.response_types ?? ['code'],
    sso: m.sso ?? true,
  };
}

/** Formats zod issues as `field: problem; field2: problem`, naming the path of each. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${[path, k].filter(Boolean).join('.')}: unknown field`).join('; ');
    }
    return `${path || '(root)'}: ${issue.message}`;
  }).join('; ');
}
