// A certificate for https://localhost in tests: self-signed, with the names a browser and Node check.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

export async function localhostCertificate(): Promise<{ key_pem: string; cert_pem: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=localhost',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600 * 1000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
      new x509.BasicConstraintsExtension(true, undefined, true),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key_pem: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string, cert_pem: cert.toString('pem') };
}

/**
 * A localhost certificate in files (what config `tls` takes), trusted by this test process's
 * fetch (undici's global dispatcher, which Node's fetch uses) as a browser would after installing
 * it; `restore` puts the previous dispatcher back.
 */
export async function trustedLocalhostTls() {
  const { key_pem, cert_pem } = await localhostCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'adieu-tls-'));
  const files = { key_file: join(dir, 'key.pem'), cert_file: join(dir, 'cert.pem') };
  writeFileSync(files.key_file, key_pem);
  writeFileSync(files.cert_file, cert_pem);
  const previous = getGlobalDispatcher();
  setGlobalDispatcher(new Agent({ connect: { ca: cert_pem } }));
  return { key_pem, cert_pem, files, restore: () => setGlobalDispatcher(previous) };
}
