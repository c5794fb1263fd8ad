import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Storage } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';

/**
 * The algorithms Adieu keeps a signing key for. RS256 is what Auth0 issues and what its SDKs and
 * most RP libraries expect unless told otherwise (auth0-spa-js, express-openid-connect,
 * openid-client 6); ES256 is smaller and faster, for clients that register it.
 */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
/** ID tokens (and logout tokens) of a client that registers no id_token_signed_response_alg. */
export const DEFAULT_SIGNING_ALG: SigningAlg = 'RS256';

/** Generates a signing key and stores it; the newest active key of an algorithm signs, older ones still verify. */
export async function addSigningKey(storage: Storage, alg: SigningAlg): Promise<string> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  // "newest first" is by created_at, in seconds: a key made within the second of the newest one is
  // dated after it, or the tie went by kid and a rotation right after a start left the old key signing
  const newest_s = Math.max(0, ...(await storage.listSigningKeys()).map((k) => k.created_at));
  await storage.addSigningKey({
    kid, alg, private_jwk: { ...jwk, kid, alg, use: 'sig' }, created_at: Math.max(epochSeconds(), newest_s + 1), retired_at: null,
  });
  return kid;
}

/** Adds a new key for every algorithm (`adieu rotate-key`); returns their kids. */
export async function rotateSigningKeys(storage: Storage): Promise<string[]> {
  const kids: string[] = [];
  for (const alg of SIGNING_ALGS) kids.push(await addSigningKey(storage, alg));
  return kids;
}

/**
 * Private JWKS for oidc-provider, newest first; creates the first key of each algorithm on first
 * start (an install from before RS256 gets its RS256 key on its next start).
 */
export async function loadSigningKeys(storage: Storage): Promise<JWK[]> {
  let keys = (await storage.listSigningKeys()).filter((k) => k.retired_at === null);
  const missing = SIGNING_ALGS.filter((alg) => !keys.some((k) => k.alg === alg));
  if (missing.length) {
    for (const alg of missing) await addSigningKey(storage, alg);
    keys = (await storage.listSigningKeys()).filter((k) => k.retired_at === null);
  }
  return keys.map((k) => k.private_jwk as JWK);
}
