import { createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { attr, childElements, NS, parseXml, requiredAttr, requiredChild, SamlError, STATUS } from './xml.ts';

// Verifying XML Signatures on what SPs send (SAML core §5, bindings §3.4.4.1; Adieu's own
// signing is signer.ts), with the rules that close the known holes: algorithms from an allow-list; one enveloped signature, a child of the message's root,
// whose single Reference names the root by ID; the key from the SP's registration, never from
// KeyInfo; and the message read afterwards only from the bytes the signature covered.

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const SIGNATURE_ALGORITHMS = new Map([
  [RSA_SHA256, 'RSA-SHA256'],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', 'RSA-SHA512'],
]);
const DIGEST_ALGORITHMS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);
const C14N_ALGORITHMS = new Set([EXC_C14N, 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315']);
const TRANSFORMS = new Set([ENVELOPED, ...C14N_ALGORITHMS]);

export interface SigningCredentials {
  private_key_pem: string;
  certificate_pem: string;
}

/** PEM of a certificate given as PEM or bare base64 DER; throws when it is not an X.509 certificate. */
export function normalizeCertificate(value: string): string {
  const body = value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  new X509Certificate(pem); // throws on anything else
  return pem;
}

/** The base64 body of a PEM certificate, as KeyInfo and metadata carry it. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** What verifying a message needs of the SP that sent it (a ServiceProvider, or a copy of it sent to a worker). */
export interface MessageSigner {
  client_id: string;
  sp: { signing_certificates?: string[]; want_requests_signed: boolean };
}

/** An unsigned message is refused where the SP must sign (want_requests_signed), whatever the binding. */
export function refuseUnsigned(sp: MessageSigner) {
  if (sp.sp.want_requests_signed) throw new SamlError(`${sp.client_id} must sign its messages (want_requests_signed), and this one is unsigned`);
}

/**
 * A message with an enveloped signature (POST, SOAP), as the signature covered it; unsigned
 * only when the SP does not require signatures. `extract` finds the message in the document (SOAP: the Body's).
 */
export function verifiedMessage(sp: MessageSigner, text: string, doc = parseXml(text), extract?: (root: Element) => Element): { root: Element; signed: boolean } {
  const message = extract ? extract(doc.documentElement!) : doc.documentElement!;
  if (hasEnvelopedSignature(doc)) return { root: verifyEnveloped(doc, text, sp.sp.signing_certificates ?? [], message), signed: true };
  refuseUnsigned(sp);
  return { root: message, signed: false };
}

/** Whether the message's root carries an enveloped signature (it may still be invalid). */
export function hasEnvelopedSignature(doc: Document): boolean {
  return doc.getElementsByTagNameNS(NS.ds, 'Signature').length > 0;
}

function checkSignedInfo(signature: Element, rootId: string) {
  const signedInfo = requiredChild(signature, NS.ds, 'SignedInfo');
  const c14n = requiredAttr(requiredChild(signedInfo, NS.ds, 'CanonicalizationMethod'), 'Algorithm');
  if (!C14N_ALGORITHMS.has(c14n)) throw new SamlError(`signature canonicalization ${c14n} is not allowed`);
  const method = requiredAttr(requiredChild(signedInfo, NS.ds, 'SignatureMethod'), 'Algorithm');
  if (!SIGNATURE_ALGORITHMS.has(method)) throw new SamlError(`signature algorithm ${method} is not allowed (RSA-SHA256 or RSA-SHA512)`);
  const references = childElements(signedInfo, NS.ds, 'Reference');
  if (references.length !== 1) throw new SamlError(`the signature must have exactly one Reference (found ${references.length})`);
  const reference = references[0]!;
  if (attr(reference, 'URI') !== `#${rootId}`) throw new SamlError('the signature does not reference the message it is in');
  const transforms = childElements(reference, NS.ds, 'Transforms')[0];
  for (const t of transforms ? childElements(transforms, NS.ds, 'Transform') : []) {
    const algorithm = requiredAttr(t, 'Algorithm');
    if (!TRANSFORMS.has(algorithm)) throw new SamlError(`signature transform ${algorithm} is not allowed`);
  }
  const digest = requiredAttr(requiredChild(reference, NS.ds, 'DigestMethod'), 'Algorithm');
  if (!DIGEST_ALGORITHMS.has(digest)) throw new SamlError(`digest algorithm ${digest} is not allowed (SHA-256 or SHA-512)`);
}

/**
 * Verifies the enveloped signature of a message against the SP's registered certificates and
 * returns the message as the signature covered it, parsed from the signed bytes (xml-crypto's
 * getSignedReferences): whatever else the document holds — a wrapped copy, a comment — is never
 * read. Throws SamlError when the message is unsigned or the signature does not hold.
 */
export function verifyEnveloped(doc: Document, text: string, certificates: readonly string[], message: Element = doc.documentElement!): Element {
  const root = message;
  const rootId = requiredAttr(root, 'ID');
  const signatures = doc.getElementsByTagNameNS(NS.ds, 'Signature');
  if (signatures.length === 0) throw new SamlError(`${root.localName} is not signed`, undefined, STATUS.requestDenied);
  if (signatures.length > 1) throw new SamlError(`${root.localName} carries ${signatures.length} signatures; exactly one, on the message, is accepted`);
  // an ID must name one element: a second one elsewhere is how a wrapped copy gets verified instead
  let sameId = 0;
  for (const el of Array.from(doc.getElementsByTagName('*'))) if (attr(el, 'ID') === rootId || attr(el, 'Id') === rootId || attr(el, 'id') === rootId) sameId += 1;
  if (sameId !== 1) throw new SamlError(`ID ${rootId} is not unique in the document`);
  const signature = signatures[0]!;
  if (signature.parentNode !== root) throw new SamlError('the signature is not on the message itself');
  checkSignedInfo(signature, rootId);
  if (certificates.length === 0) throw new SamlError('the application registered no signing certificate to verify with');

  for (const certificate of certificates) {
    const sig = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    sig.loadSignature(signature as unknown as Node);
    let valid = false;
    try {
      valid = sig.checkSignature(text);
    } catch {
      valid = false;
    }
    if (!valid) continue;
    const signed = sig.getSignedReferences();
    if (signed.length !== 1) break;
    const signedRoot = parseXml(signed[0]!, Infinity).documentElement!;
    if (signedRoot.namespaceURI !== root.namespaceURI || signedRoot.localName !== root.localName || attr(signedRoot, 'ID') !== rootId) break;
    return signedRoot;
  }
  throw new SamlError(`the signature on ${root.localName} does not verify with the application's certificate`, undefined, STATUS.requestDenied);
}

// --- HTTP-Redirect binding: a detached signature over the query (bindings §3.4.4.1) ---------

export interface RedirectParams {
  param: 'SAMLRequest' | 'SAMLResponse';
  /** Decoded (URL-decoded) values. */
  message: string;
  relayState: string | undefined;
  signed: { sigAlg: string; signature: string; octets: string } | undefined;
}

/**
 * Reads a Redirect-binding query exactly as received: the signature covers the URL-encoded bytes,
 * so they are kept as they came (re-encoding decoded values may differ). Duplicate parameters are
 * refused.
 */
export function readRedirectQuery(rawQuery: string): RedirectParams {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    if (raw.has(name)) throw new SamlError(`${name} appears more than once in the query`);
    raw.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  const decode = (v: string | undefined) => (v === undefined ? undefined : decodeURIComponent(v.replace(/\+/g, ' ')));
  const param = raw.has('SAMLRequest') ? 'SAMLRequest' : raw.has('SAMLResponse') ? 'SAMLResponse' : undefined;
  if (!param) throw new SamlError('the query carries neither SAMLRequest nor SAMLResponse');
  if (raw.has('SAMLRequest') && raw.has('SAMLResponse')) throw new SamlError('the query carries both SAMLRequest and SAMLResponse');
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  let signed: RedirectParams['signed'];
  if (sigAlg !== undefined || signature !== undefined) {
    if (sigAlg === undefined || signature === undefined) throw new SamlError('a signed Redirect message needs both SigAlg and Signature');
    const octets = [`${param}=${raw.get(param)}`, ...(raw.has('RelayState') ? [`RelayState=${raw.get('RelayState')}`] : []), `SigAlg=${sigAlg}`].join('&');
    signed = { sigAlg: decode(sigAlg)!, signature: decode(signature)!, octets };
  }
  return { param, message: decode(raw.get(param))!, relayState: decode(raw.get('RelayState')), signed };
}

const publicKeys = new Map<string, KeyObject>();
/** The key of a registered certificate, parsed once (registrations change rarely). */
function publicKeyOf(certificate: string): KeyObject {
  let key = publicKeys.get(certificate);
  if (!key) {
    if (publicKeys.size > 1000) publicKeys.clear();
    key = new X509Certificate(certificate).publicKey;
    publicKeys.set(certificate, key);
  }
  return key;
}

/** Verifies a Redirect-binding signature against the SP's certificates. */
export function verifyRedirectSignature(signed: NonNullable<RedirectParams['signed']>, certificates: readonly string[]) {
  const algorithm = SIGNATURE_ALGORITHMS.get(signed.sigAlg);
  if (!algorithm) throw new SamlError(`signature algorithm ${signed.sigAlg} is not allowed (RSA-SHA256 or RSA-SHA512)`);
  if (certificates.length === 0) throw new SamlError('the application registered no signing certificate to verify with');
  const signature = Buffer.from(signed.signature, 'base64');
  const ok = certificates.some((cert) => {
    try {
      return createVerify(algorithm).update(signed.octets).verify(publicKeyOf(cert), signature);
    } catch {
      return false;
    }
  });
  if (!ok) throw new SamlError("the message's Redirect-binding signature does not verify with the application's certificate", undefined, STATUS.requestDenied);
}
