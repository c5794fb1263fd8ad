import * as client from 'openid-client';
import type { ConnectionConfig } from '../config/schema.ts';

type OidcConnection = Extract<ConnectionConfig, { type: 'oidc' }>;

/**
 * An upstream OpenID Provider (ADFS, Entra ID, another Adieu) reached with openid-client.
 * Discovery happens on first use and is cached; a failed discovery is retried next time.
 */
export class UpstreamConnection {
  #config: Promise<client.Configuration> | undefined;

  constructor(readonly connection: OidcConnection, readonly redirectUri: string) {}

  get name() {
    return this.connection.name;
  }

  configuration(): Promise<client.Configuration> {
    this.#config ??= (async () => {
      const { issuer, client_id, client_secret } = this.connection;
      const insecure = new URL(issuer).protocol === 'http:';
      return client.discovery(
        new URL(issuer),
        client_id,
        client_secret ? { client_secret } : undefined,
        client_secret ? client.ClientSecretBasic(client_secret) : client.None(),
        insecure ? { execute: [client.allowInsecureRequests] } : undefined,
      );
    })();
    this.#config.catch(() => { this.#config = undefined; });
    return this.#config;
  }

  /** Builds the upstream authorization URL; the returned checks must be kept for finish(). */
  async start(loginHint?: string) {
    const config = await this.configuration();
    const checks = { code_verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.connection.scope,
      code_challenge: await client.calculatePKCECodeChallenge(checks.code_verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    return { url, checks };
  }

  /** Exchanges the code; returns the ID token and userinfo claims and the raw ID token. */
  async finish(callbackQuery: string, checks: { code_verifier: string; state: string; nonce: string }) {
    const config = await this.configuration();
    const currentUrl = new URL(this.redirectUri);
    currentUrl.search = callbackQuery;
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: checks.code_verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims()!;
    // ID tokens often carry only sub (claims go to userinfo when an access token is issued)
    const userinfo = config.serverMetadata().userinfo_endpoint
      ? await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)
      : {};
    return { claims: { ...userinfo, ...idClaims } as Record<string, unknown> & { sub: string }, idToken: tokens.id_token! };
  }

  /** The upstream end-session URL for federated logout, or undefined when it has none. */
  async endSessionUrl(idTokenHint: string, postLogoutRedirectUri: string, state: string): Promise<URL | undefined> {
    const config = await this.configuration();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, {
      id_token_hint: idTokenHint,
      post_logout_redirect_uri: postLogoutRedirectUri,
      state,
    });
  }
}
