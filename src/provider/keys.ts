import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Storage } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';

export const DEFAULT_SIGNING_ALG = 'ES256';

/** Generates a signing key and stores it; the newest active key signs, older ones still verify. */
export async function addSigningKey(storage: Storage, alg = DEFAULT_SIGNING_ALG): Promise<string> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  await storage.addSigningKey({
    kid, alg, private_jwk: { ...jwk, kid, alg, use: 'sig' }, created_at: epochSeconds(), retired_at: null,
  });
  return kid;
}

/** Private JWKS for oidc-provider, newest first; creates the first key on first start. */
export async function loadSigningKeys(storage: Storage): Promise<JWK[]> {
  let keys = await storage.listSigningKeys();
  if (keys.length === 0) {
    await addSigningKey(storage);
    keys = await storage.listSigningKeys();
  }
  return keys.filter((k) => k.retired_at === null).map((k) => k.private_jwk as JWK);
}
