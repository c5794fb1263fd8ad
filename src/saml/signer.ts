import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { certificateBody, type SigningCredentials } from './signature.ts';
import { el, rememberWritten, renderCanonical, renderParts, template, type XmlElement } from './xml-writer.ts';

const signAsync = promisify(sign);

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const signedInfo = (reference: string, digest: string) => el('ds:SignedInfo', {}, [
  el('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
  el('ds:SignatureMethod', { Algorithm: RSA_SHA256 }),
  el('ds:Reference', { URI: reference }, [
    el('ds:Transforms', {}, [el('ds:Transform', { Algorithm: ENVELOPED }), el('ds:Transform', { Algorithm: EXC_C14N })]),
    el('ds:DigestMethod', { Algorithm: SHA256 }),
    el('ds:DigestValue', {}, [digest]),
  ]),
]);
// SignedInfo is canonicalized on its own: its parent Signature is outside the node-set
const signedInfoText = template(signedInfo, 2);

/**
 * Signs what Adieu sends (XML-DSig enveloped signatures, SAML core §5; Redirect-binding query
 * signatures, bindings §3.4.4.1) with the IdP's key: RSA-SHA256 on the thread pool, so a logout
 * signing a hundred requests keeps the event loop free and both cores busy. Documents come from
 * the canonical writer (xml-writer.ts): the digest is taken over the text as written.
 */
export class XmlSigner {
  readonly #key: KeyObject;
  readonly #signature: (reference: string, digest: string, value: string) => XmlElement;
  /** The Signature as written in the document: the same text each time but for three values. */
  readonly #signatureText: ReturnType<typeof template>;

  constructor(credentials: SigningCredentials) {
    this.#key = createPrivateKey(credentials.private_key_pem);
    const certificate = certificateBody(credentials.certificate_pem);
    this.#signature = (reference, digest, value) => el('ds:Signature', {}, [
      signedInfo(reference, digest),
      el('ds:SignatureValue', {}, [value]),
      el('ds:KeyInfo', {}, [el('ds:X509Data', {}, [el('ds:X509Certificate', {}, [certificate])])]),
    ]);
    this.#signatureText = template(this.#signature, 3);
  }

  /** RSA-SHA256 over bytes, base64, on the thread pool. */
  async signBytes(data: string): Promise<string> {
    return (await signAsync('sha256', Buffer.from(data, 'utf8'), this.#key)).toString('base64');
  }

  /** The same, on this thread: for the few URLs a page renders at once. */
  signBytesSync(data: string): string {
    return sign('sha256', Buffer.from(data, 'utf8'), this.#key).toString('base64');
  }

  /**
   * The query string of a Redirect-binding message (bindings §3.4.4.1): DEFLATE, base64, and a
   * signature over `SAMLRequest=…&RelayState=…&SigAlg=…` as sent.
   */
  redirectQuery(param: 'SAMLRequest' | 'SAMLResponse', message: XmlElement, relayState: string | undefined): string {
    let query = `${param}=${encodeURIComponent(deflateRawSync(Buffer.from(renderCanonical(message), 'utf8')).toString('base64'))}`;
    if (relayState !== undefined) query += `&RelayState=${encodeURIComponent(relayState)}`;
    query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
    return `${query}&Signature=${encodeURIComponent(this.signBytesSync(query))}`;
  }

  /**
   * The element with an enveloped signature over it (its `ID`), placed after its Issuer as the
   * schemas require (SAML core §3.2.1, §2.3.3), or first for metadata (metadata §3.1).
   */
  async sign(root: XmlElement): Promise<XmlElement> {
    const id = root.attrs?.ID;
    if (typeof id !== 'string') throw new Error(`${root.name} has no ID to sign`);
    // enveloped-signature then exc-c14n of the root: the root as written, without the signature
    const { open, children: written, close, scope, prefixes } = renderParts(root);
    const digest = createHash('sha256').update(open + written.join('') + close).digest('base64');
    const values = [`#${id}`, digest, await this.signBytes(signedInfoText([`#${id}`, digest]))] as const;
    const signature = this.#signature(...values);
    const children = [...root.children ?? []];
    const issuer = children.findIndex((c) => typeof c === 'object' && c !== null && c.name === 'saml:Issuer');
    children.splice(issuer + 1, 0, signature);
    const signed = { ...root, children };
    // the signed document is the text just signed with the signature's text put in: written once
    // (writing it again, for an envelope or a form, took as long as signing's own XML work)
    const present = (c: unknown) => c !== undefined && c !== null && c !== false; // as the writer skips them
    written.splice(children.slice(0, issuer + 1).filter(present).length, 0, this.#signatureText([...values], scope));
    prefixes.add('ds');
    rememberWritten(signed, open + written.join('') + close, prefixes);
    return signed;
  }
}
