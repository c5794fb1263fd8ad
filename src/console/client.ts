import { randomBytes } from 'node:crypto';
import type { AdieuConfig } from '../config/schema.ts';
import type { ClientMetadata } from '../clients/metadata.ts';
import type { Storage } from '../storage/types.ts';

/** The admin console is a first-party OIDC client of its own IdP, registered at start-up. */
export const CONSOLE_CLIENT_ID = 'adieu-console';
/** The console's management API tokens are short: it refreshes them while the session lives. */
export const CONSOLE_TOKEN_TTL_S = 600;

export const consoleUrls = (config: Pick<AdieuConfig, 'base_url'>) => ({
  home: `${config.base_url}/admin`,
  callback: `${config.base_url}/admin/callback`,
  signedOut: `${config.base_url}/admin/signed-out`,
});

/**
 * The console's registration. Its secret is made once and kept in storage (every node reads the
 * same); its tokens die with the admin's SSO session, which is how the console learns of a logout.
 */
export async function consoleClient(config: AdieuConfig, storage: Storage): Promise<ClientMetadata> {
  const secret = await storage.setSettingIfAbsent('console_client_secret', randomBytes(32).toString('base64url'));
  const urls = consoleUrls(config);
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: `${config.tenant.name} admin console`,
    client_secret: secret,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [urls.callback],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    allowed_logout_urls: [urls.signedOut],
    sso: true,
  };
}
