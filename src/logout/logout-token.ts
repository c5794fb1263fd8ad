import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { ChannelParams } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';

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
 * with the IdP's newest key of the algorithm the client's ID tokens use (its registered
 * id_token_signed_response_alg, else `defaultAlg`); a fresh token (new jti, iat, exp) for every attempt.
 *
 * Signed with node:crypto on libuv's thread pool rather than jose's WebCrypto path: about a third
 * of the CPU per token, and off the thread that sends, which is a
 * large share of a fan-out's cost (bench/fanout.ts). Tests verify every token with jose, as a
 * relying party would.
 */
export async function logoutTokenSigner(issuer: string, jwks: JWK[], defaultAlg: string) {
  // newest first: the first key of an algorithm signs
  const signers = new Map<string, { key: KeyObject; header: string; spec: (typeof NODE_ALGS)[string] }>();
  for (const jwk of jwks) {
    const alg = jwk.alg ?? 'ES256';
    const spec = NODE_ALGS[alg];
    if (!spec) throw new Error(`logout tokens cannot be signed with ${alg}`);
    if (!signers.has(alg)) signers.set(alg, { key: createPrivateKey({ key: jwk as any, format: 'jwk' }), header: b64url({ alg, kid: jwk.kid, typ: 'logout+jwt' }), spec });
  }
  if (!signers.has(defaultAlg)) throw new Error(`no ${defaultAlg} key to sign logout tokens with`);
  // signs on libuv's thread pool, so a fan-out's signatures overlap the main thread's sending
  return (d: { client_id: string; sub: string | null; sid: string | null; channel_params?: ChannelParams | null }): Promise<string> => {
    const { key, header, spec } = signers.get(d.channel_params?.signing_alg ?? defaultAlg) ?? signers.get(defaultAlg)!;
    const iat = epochSeconds();
    const claims: Record<string, unknown> = {
      iss: issuer, aud: d.client_id, iat, exp: iat + LOGOUT_TOKEN_TTL_SECONDS, jti: randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    };
    // Both whenever known (Back-Channel Logout 1.0 §2.4 allows both): an RP that keys its
    // sessions by sid (mod_auth_openidc, say) answers 200 to a sub-only token and ends nothing,
    // whatever its backchannel_logout_session_required says.
    if (d.sub) claims.sub = d.sub;
    if (d.sid) claims.sid = d.sid;
    const input = `${header}.${b64url(claims)}`;
    return new Promise((resolve, reject) => {
      sign(spec.hash, Buffer.from(input), spec.p1363 ? { key, dsaEncoding: 'ieee-p1363' } : key, (err, signature) => {
        if (err) reject(err);
        else resolve(`${input}.${signature.toString('base64url')}`);
      });
    });
  };
}

export type LogoutTokenSigner = Awaited<ReturnType<typeof logoutTokenSigner>>;
