// How an SP signs what it sends, by a library Adieu does not sign with (xml-crypto): tests build
// SP messages with it, so Adieu's verifier is checked against an independent signer.
import { createSign } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { SigningCredentials } from '../src/saml/signature.ts';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/** An enveloped RSA-SHA256 signature on the root, after its Issuer. */
export function signEnveloped(message: string, credentials: SigningCredentials): string {
  const sig = new SignedXml({ privateKey: credentials.private_key_pem, publicCert: credentials.certificate_pem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({ xpath: '/*', transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXC_C14N], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  sig.computeSignature(message, { prefix: 'ds', location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}

/** A signed Redirect-binding query (bindings §3.4.4.1) over an already encoded message. */
export function signRedirectQuery(param: 'SAMLRequest' | 'SAMLResponse', encoded: string, relayState: string | undefined, credentials: SigningCredentials): string {
  let query = `${param}=${encodeURIComponent(encoded)}`;
  if (relayState !== undefined) query += `&RelayState=${encodeURIComponent(relayState)}`;
  query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  return `${query}&Signature=${encodeURIComponent(createSign('RSA-SHA256').update(query).sign(credentials.private_key_pem, 'base64'))}`;
}
