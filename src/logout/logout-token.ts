import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { JWK } from 'jose';
import { SigningThread } from './signing-thread.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const LOGOUT_TOKEN_TTL_SECONDS = 120;

const NODE_ALGS: Record<string, { hash: string | null; p1363: boolean }> = {
  ES256: { hash: 'sha256', p1363: true },
  ES384: { hash: 'sha384', p1363: true },
  RS256: { hash: 'sha256', p1363: false },
  EdDSA: { hash: null, p1363: false },
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Signs OIDC Back-Channel Logout 1.0 logout tokens (with errata: typ logout+jwt, exp, no nonce)
 * with the IdP's current signing key; a fresh token (new jti, iat, exp) for every attempt.
 *
 * Signed with node:crypto rather than jose's WebCrypto path (three times less CPU: 2 ms instead
 * of 7 ms per 100 tokens here), on a dedicated thread (signing-thread.ts) so that a fan-out's
 * signatures overlap the main thread's writing and sending; on libuv's thread pool should that
 * thread fail. Tests verify every token with jose, as a relying party would.
 */
export async function logoutTokenSigner(issuer: string, jwk: JWK): Promise<LogoutTokenSigner> {
  const alg = jwk.alg ?? 'ES256';
  const spec = NODE_ALGS[alg];
  if (!spec) throw new Error(`logout tokens cannot be signed with ${alg}`);
  const key = createPrivateKey({ key: jwk as any, format: 'jwk' });
  const header = b64url({ alg, kid: jwk.kid, typ: 'logout+jwt' });
  const thread = new SigningThread(jwk, spec.hash, spec.p1363);
  const onThreadPool = (input: string) => new Promise<string>((resolve, reject) => {
    sign(spec.hash, Buffer.from(input), spec.p1363 ? { key, dsaEncoding: 'ieee-p1363' } : key, (err, signature) => {
      if (err) reject(err);
      else resolve(signature.toString('base64url'));
    });
  });
  const signToken = async (d: LogoutTokenSubject): Promise<string> => {
    const iat = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: issuer, aud: d.client_id, iat, exp: iat + LOGOUT_TOKEN_TTL_SECONDS, jti: randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    };
    if (d.sub) claims.sub = d.sub;
    // sid when the client requires it, and whenever there is no sub to name the user
    if (d.sid && (d.include_sid || !d.sub)) claims.sid = d.sid;
    const input = `${header}.${b64url(claims)}`;
    // should the thread die with this signature in flight, the pool signs it instead
    const signature = await (thread.sign(input)?.catch(() => onThreadPool(input)) ?? onThreadPool(input));
    return `${input}.${signature}`;
  };
  return { sign: signToken, close: () => thread.stop() };
}

export interface LogoutTokenSubject { client_id: string; sub: string | null; sid: string | null; include_sid: boolean }

export interface LogoutTokenSigner {
  /** A fresh logout token (new jti, iat, exp) for one delivery attempt. */
  sign(d: LogoutTokenSubject): Promise<string>;
  close(): Promise<void>;
}
