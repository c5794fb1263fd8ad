import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { UserAgent, FollowResult } from './user-agent.ts';

export interface RpClient {
  client_id: string;
  /** Absent for a public client (token_endpoint_auth_method none). */
  client_secret?: string;
  redirect_uris: string[];
  /** What the RP expects its ID tokens (and userinfo responses) signed with; openid-client checks it. */
  id_token_signed_response_alg?: string;
  userinfo_signed_response_alg?: string;
}

export async function discover(issuer: string, c: RpClient) {
  const auth = c.client_secret ? client.ClientSecretBasic(c.client_secret) : client.None();
  const metadata = {
    ...(c.client_secret ? { client_secret: c.client_secret } : {}),
    ...(c.id_token_signed_response_alg ? { id_token_signed_response_alg: c.id_token_signed_response_alg } : {}),
    ...(c.userinfo_signed_response_alg ? { userinfo_signed_response_alg: c.userinfo_signed_response_alg } : {}),
  };
  return client.discovery(new URL(issuer), c.client_id, metadata, auth, {
    execute: [client.allowInsecureRequests],
  });
}

export interface SignInResult {
  passwordPrompted: boolean;
  tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  claims: Record<string, unknown>;
  config: client.Configuration;
}

/**
 * Signs in to an application as a real relying party does (openid-client 6, code + PKCE),
 * driving the browser part with `ua`; answers the login page with the password if asked.
 */
export async function signIn(
  ua: UserAgent,
  issuer: string,
  c: RpClient,
  options: { username?: string; password?: string; extra?: Record<string, string>; onLoginPage?: (page: FollowResult) => Promise<FollowResult> } = {},
): Promise<SignInResult> {
  const config = await discover(issuer, c);
  const redirectUri = c.redirect_uris[0]!;
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.extra,
  });
  const atCallback = (u: URL) => u.href.startsWith(redirectUri);
  let result = await ua.follow(url, {}, atCallback);
  let passwordPrompted = false;
  if (!atCallback(new URL(result.url))) {
    if (!/\/interaction\//.test(result.url)) throw new Error(`expected a login page, got ${result.response.status} ${result.url}: ${result.body.slice(0, 300)}`);
    passwordPrompted = /type="password"/.test(result.body);
    result = options.onLoginPage
      ? await options.onLoginPage(result)
      : await ua.submitForm(result, { username: options.username ?? 'mary@fabrikamcorp.com', password: options.password ?? 'correct-horse-battery' }, /\/login$/, atCallback);
  }
  if (!atCallback(new URL(result.url))) throw new Error(`sign-in did not reach the callback: ${result.response.status} ${result.url}: ${result.body.slice(0, 400)}`);
  const tokens = await client.authorizationCodeGrant(config, new URL(result.url), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  // openid-client trusts the token endpoint's TLS; verify the signature against the JWKS too
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
  const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: c.client_id });
  return { passwordPrompted, tokens, claims: payload, config };
}
