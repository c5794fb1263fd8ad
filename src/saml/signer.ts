import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { certificateBody, type SigningCredentials } from './signature.ts';
import { cut, el, fill, marked, placesEachOnce, plain, rememberWritten, renderCanonical, renderParts, template, type Values, type XmlElement } from './xml-writer.ts';

const signAsync = promisify(sign);

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const signedInfo = ({ reference, digest }: { reference: string; digest: string }) => el('ds:SignedInfo', {}, [
  el('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
  el('ds:SignatureMethod', { Algorithm: RSA_SHA256 }),
  el('ds:Reference', { URI: reference }, [
    el('ds:Transforms', {}, [el('ds:Transform', { Algorithm: ENVELOPED }), el('ds:Transform', { Algorithm: EXC_C14N })]),
    el('ds:DigestMethod', { Algorithm: SHA256 }),
    el('ds:DigestValue', {}, [digest]),
  ]),
]);
// SignedInfo is canonicalized on its own: its parent Signature is outside the node-set
const signedInfoText = template(['reference', 'digest'], signedInfo);

type SignatureValues = { reference: string; digest: string; value: string };

/** Where the enveloped signature goes: after the Issuer (SAML core §3.2.1, §2.3.3), or first (metadata §3.1). */
const signatureAt = (children: XmlElement['children'] & {}) => children.findIndex((c) => typeof c === 'object' && c !== null && c.name === 'saml:Issuer') + 1;
// as the writer skips them
const present = (c: unknown) => c !== undefined && c !== null && c !== false;

/**
 * Signs what Adieu sends (XML-DSig enveloped signatures, SAML core §5; Redirect-binding query
 * signatures, bindings §3.4.4.1) with the IdP's key: RSA-SHA256 on the thread pool, so a logout
 * signing a hundred requests keeps the event loop free and both cores busy. Documents come from
 * the canonical writer (xml-writer.ts): the digest is taken over the text as written.
 */
export class XmlSigner {
  readonly #key: KeyObject;
  readonly #signature: (values: SignatureValues) => XmlElement;
  /** The Signature as written in the document: the same text each time but for three values. */
  readonly #signatureText: ReturnType<typeof template<keyof SignatureValues>>;

  constructor(credentials: SigningCredentials) {
    this.#key = createPrivateKey(credentials.private_key_pem);
    const certificate = certificateBody(credentials.certificate_pem);
    this.#signature = (v) => el('ds:Signature', {}, [
      signedInfo(v),
      el('ds:SignatureValue', {}, [v.value]),
      el('ds:KeyInfo', {}, [el('ds:X509Data', {}, [el('ds:X509Certificate', {}, [certificate])])]),
    ]);
    this.#signatureText = template(['reference', 'digest', 'value'], this.#signature);
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

  /** The signature of what is referenced by `#id`, written as `text` (enveloped-signature then exc-c14n: the element without its signature). */
  async #sign(id: string, text: string): Promise<SignatureValues> {
    const reference = `#${id}`;
    const digest = createHash('sha256').update(text).digest('base64');
    return { reference, digest, value: await this.signBytes(signedInfoText({ reference, digest })) };
  }

  /**
   * The element with an enveloped signature over it (its `ID`), placed after its Issuer as the
   * schemas require (SAML core §3.2.1, §2.3.3), or first for metadata (metadata §3.1).
   */
  async sign(root: XmlElement): Promise<XmlElement> {
    const id = root.attrs?.ID;
    if (typeof id !== 'string') throw new Error(`${root.name} has no ID to sign`);
    const { open, children: written, close, scope, prefixes } = renderParts(root);
    const values = await this.#sign(id, open + written.join('') + close);
    const children = [...root.children ?? []];
    const at = signatureAt(children);
    children.splice(at, 0, this.#signature(values));
    const signed = { ...root, children };
    // the signed document is the text just signed with the signature's text put in: written once
    // (writing it again, for an envelope or a form, took as long as signing's own XML work)
    written.splice(children.slice(0, at).filter(present).length, 0, this.#signatureText(values, scope));
    prefixes.add('ds');
    rememberWritten(signed, open + written.join('') + close, prefixes);
    return signed;
  }

  /**
   * Messages signed again and again that differ only in a few values (a LogoutRequest to each SP
   * of a logout): the element is written once with markers, cut before and after its signature's
   * place, and each message is the two halves filled in, digested, and the signature put between
   * them — no tree, no rendering. Values that need escaping are built, signed and rendered as
   * `sign` does: the text is the same either way. Returns the signed message's text, declaring
   * every prefix it uses.
   */
  signedTemplate<K extends string>(keys: readonly K[], build: (values: Values<K>) => XmlElement): (values: Values<K>) => Promise<string> {
    const { element, markers } = marked(keys, build);
    const idKey = markers.get(String(element.attrs?.ID));
    if (idKey === undefined) throw new Error(`${element.name}'s ID must be one of the template's values`);
    const { open, children, close } = renderParts(element);
    const at = (element.children ?? []).slice(0, signatureAt(element.children ?? [])).filter(present).length;
    const head = cut(open + children.slice(0, at).join(''), markers);
    const tail = cut(children.slice(at).join('') + close, markers);
    placesEachOnce(keys, head, tail);
    return async (values) => {
      if (!plain(values, keys)) return renderCanonical(await this.sign(build(values)));
      const [before, after] = [fill(head, values), fill(tail, values)];
      return before + this.#signatureText(await this.#sign(values[idKey], before + after)) + after;
    };
  }
}
