import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * Signs OIDC Back-Channel Logout 1.0 logout tokens (with errata: typ logout+jwt, exp, no nonce)
 * with the IdP's current signing key. A fresh token (new jti, iat, exp) for every attempt.
 */
export async function logoutTokenSigner(issuer: string, jwk: JWK) {
  const alg = jwk.alg ?? 'ES256';
  const key = await importJWK(jwk, alg);
  return async (d: { client_id: string; sub: string | null; sid: string | null; include_sid: boolean }) => {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } };
    if (d.sub) claims.sub = d.sub;
    // sid when the client requires it, and whenever there is no sub to name the user
    if (d.sid && (d.include_sid || !d.sub)) claims.sid = d.sid;
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: jwk.kid, typ: 'logout+jwt' })
      .setIssuer(issuer)
      .setAudience(d.client_id)
      .setIssuedAt(now)
      .setExpirationTime(now + LOGOUT_TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key);
  };
}

export type LogoutTokenSigner = Awaited<ReturnType<typeof logoutTokenSigner>>;
