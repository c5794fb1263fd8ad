// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API
import 'reflect-metadata';
import { webcrypto, createPrivateKey, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Storage } from '../storage/types.ts';
import type { SigningCredentials } from './signature.ts';

const SETTING = 'saml_signing_credentials';
const VALIDITY_YEARS = 10;

/**
 * The IdP's SAML signing key (RSA 2048, what every SP accepts) and its self-signed certificate,
 * published in the metadata. Generated once and kept in storage; the first node to store it wins,
 * so every node and restart signs with the same key.
 */
export async function loadIdpCredentials(storage: Storage, issuer: string): Promise<SigningCredentials> {
  const stored = await storage.getSetting(SETTING);
  if (stored) return JSON.parse(stored) as SigningCredentials;
  return JSON.parse(await storage.setSettingIfAbsent(SETTING, JSON.stringify(await generateSigningCredentials(new URL(issuer).host)))) as SigningCredentials;
}

/** An RSA 2048 key and a self-signed certificate for it (SAML trusts the certificate's key, not its issuer). */
export async function generateSigningCredentials(commonName: string): Promise<SigningCredentials> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, '')}`,
    notBefore: now,
    notAfter: new Date(now.getTime() + VALIDITY_YEARS * 365 * 24 * 3600 * 1000),
    signingAlgorithm: algorithm,
    keys: keys as unknown as CryptoKeyPair,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    private_key_pem: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string,
    certificate_pem: cert.toString('pem'),
  };
}
