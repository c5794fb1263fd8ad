import { randomFillSync } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { AUTHN_CONTEXT_PASSWORD, ATTRNAME_FORMAT_BASIC, ATTRNAME_FORMAT_URI, BEARER, NAME_ID_FORMATS, bindingName, type BindingName, type NameIdFormatName } from './names.ts';
import { encryptAssertion } from './encryption.ts';
import type { XmlSigner } from './signer.ts';
import { attr, childElements, NS, optionalChild, requiredAttr, requiredChild, SamlError, STATUS, textOf } from './xml.ts';
import { el, type Values, type XmlElement } from './xml-writer.ts';

// The SAML 2.0 messages an IdP exchanges (core §3): written as canonical XML (xml-writer.ts) and
// signed by XmlSigner; read from a DOM that signature.ts has already reduced to what the
// signature covered.

/** An xs:ID: must not start with a digit. */
const ID_BYTES = 20;
const idPool = Buffer.alloc(ID_BYTES * 256);
let idPoolAt = idPool.length;
/**
 * A message ID (SAML core §1.3.4: 160 random bits, so two never collide; the leading `_` makes it
 * an xs:ID). The random bytes are drawn many IDs at a time, as Node's randomUUID does: one call to
 * the CSPRNG per ID cost ~3 µs, a tenth of writing the LogoutRequest it names.
 */
export function newMessageId(): string {
  if (idPoolAt + ID_BYTES > idPool.length) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  idPoolAt += ID_BYTES;
  return `_${idPool.toString('hex', idPoolAt - ID_BYTES, idPoolAt)}`;
}


/** xs:dateTime in UTC without fractions, as every SAML peer reads it. */
export const instant = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export interface NameId {
  value: string;
  format: NameIdFormatName;
  /** The SP it was issued for (core §2.2.2), set for persistent and transient identifiers. */
  sp_name_qualifier?: string;
}

/** A NameID as written: its format's URI, its value and, for persistent and transient ones, its SP. */
const nameIdWritten = (format: string, value: string, spNameQualifier: string | undefined) => el('saml:NameID', { Format: format, SPNameQualifier: spNameQualifier }, [value]);
const nameIdElement = (n: NameId) => nameIdWritten(NAME_ID_FORMATS[n.format], n.value, n.sp_name_qualifier);

function statusElement(code: string, subCode?: string, message?: string): XmlElement {
  return el('samlp:Status', {}, [
    el('samlp:StatusCode', { Value: code }, [subCode && el('samlp:StatusCode', { Value: subCode })]),
    message && el('samlp:StatusMessage', {}, [message]),
  ]);
}

export interface AssertionInput {
  issuer: string;
  audience: string;
  recipient: string;
  inResponseTo?: string;
  nameId: NameId;
  sessionIndex: string;
  authnInstant_ms: number;
  now_ms: number;
  lifetime_s: number;
  sessionNotOnOrAfter_ms?: number;
  attributes: { name: string; values: string[] }[];
  /** The SP's encryption certificate: the signed assertion is sent encrypted for it. */
  encryptFor?: string;
}

function assertionElement(a: AssertionInput): XmlElement {
  const notOnOrAfter = instant(a.now_ms + a.lifetime_s * 1000);
  return el('saml:Assertion', { ID: newMessageId(), Version: '2.0', IssueInstant: instant(a.now_ms) }, [
    el('saml:Issuer', {}, [a.issuer]),
    el('saml:Subject', {}, [
      nameIdElement(a.nameId),
      el('saml:SubjectConfirmation', { Method: BEARER }, [
        el('saml:SubjectConfirmationData', { InResponseTo: a.inResponseTo, NotOnOrAfter: notOnOrAfter, Recipient: a.recipient }),
      ]),
    ]),
    // NotBefore a little in the past: an SP's clock running behind must not refuse a fresh assertion
    el('saml:Conditions', { NotBefore: instant(a.now_ms - 60_000), NotOnOrAfter: notOnOrAfter }, [
      el('saml:AudienceRestriction', {}, [el('saml:Audience', {}, [a.audience])]),
    ]),
    el('saml:AuthnStatement', { AuthnInstant: instant(a.authnInstant_ms), SessionIndex: a.sessionIndex, SessionNotOnOrAfter: a.sessionNotOnOrAfter_ms && instant(a.sessionNotOnOrAfter_ms) }, [
      el('saml:AuthnContext', {}, [el('saml:AuthnContextClassRef', {}, [AUTHN_CONTEXT_PASSWORD])]),
    ]),
    a.attributes.length > 0 && el('saml:AttributeStatement', {}, a.attributes.map((at) =>
      el('saml:Attribute', { Name: at.name, NameFormat: /^[a-z][a-z0-9+.-]*:/i.test(at.name) ? ATTRNAME_FORMAT_URI : ATTRNAME_FORMAT_BASIC },
        at.values.map((v) => el('saml:AttributeValue', {}, [v]))))),
  ]);
}

/**
 * A signed Response (core §3.3.3) to an AuthnRequest, or unsolicited. Both the assertion and the
 * response are signed: SPs differ in which one they require.
 */
export async function buildResponse(r: {
  issuer: string;
  destination: string;
  inResponseTo?: string;
  now_ms: number;
  status?: { code: string; subCode?: string; message?: string };
  assertion?: AssertionInput;
}, signer: XmlSigner): Promise<XmlElement> {
  const status = r.status ?? { code: STATUS.success };
  return signer.sign(el('samlp:Response', { ID: newMessageId(), Version: '2.0', IssueInstant: instant(r.now_ms), Destination: r.destination, InResponseTo: r.inResponseTo }, [
    el('saml:Issuer', {}, [r.issuer]),
    statusElement(status.code, status.subCode, status.message),
    r.assertion && await signedAssertion(r.assertion, signer),
  ]));
}

/** The assertion, signed, then encrypted when the SP has an encryption certificate (sign-then-encrypt). */
async function signedAssertion(a: AssertionInput, signer: XmlSigner): Promise<XmlElement> {
  const signed = await signer.sign(assertionElement(a));
  return a.encryptFor ? encryptAssertion(signed, a.encryptFor) : signed;
}

export interface LogoutRequestInput { id: string; issuer: string; destination: string; nameId: NameId; sessionIndex: string | null; now_ms: number; lifetime_s: number; reason?: string }

/** A LogoutRequest's values as written (the optional ones absent or not). */
interface LogoutRequestValues {
  id: string; issuer: string; destination: string; issueInstant: string; notOnOrAfter: string; format: string; nameId: string;
  spNameQualifier?: string; sessionIndex?: string; reason?: string;
}
const logoutRequestValues = (r: LogoutRequestInput): LogoutRequestValues => ({
  id: r.id, issuer: r.issuer, destination: r.destination, issueInstant: instant(r.now_ms), notOnOrAfter: instant(r.now_ms + r.lifetime_s * 1000),
  format: NAME_ID_FORMATS[r.nameId.format], nameId: r.nameId.value, spNameQualifier: r.nameId.sp_name_qualifier, sessionIndex: r.sessionIndex || undefined, reason: r.reason,
});

const logoutRequestElement = (v: LogoutRequestValues) => el('samlp:LogoutRequest', { ID: v.id, Version: '2.0', IssueInstant: v.issueInstant, Destination: v.destination, NotOnOrAfter: v.notOnOrAfter, Reason: v.reason }, [
  el('saml:Issuer', {}, [v.issuer]),
  nameIdWritten(v.format, v.nameId, v.spNameQualifier),
  v.sessionIndex !== undefined && el('samlp:SessionIndex', {}, [v.sessionIndex]),
]);

/** A LogoutRequest (core §3.7.1), unsigned: the binding signs it. */
export const buildLogoutRequest = (r: LogoutRequestInput): XmlElement => logoutRequestElement(logoutRequestValues(r));

/**
 * LogoutRequests signed with enveloped signatures (the SOAP binding's, bindings §3.2.3), as text:
 * one signer's template per shape (which optional parts a request has), as a logout to a hundred
 * SPs writes a hundred requests that differ only in their values.
 */
export function signedLogoutRequests(signer: XmlSigner): (r: LogoutRequestInput) => Promise<string> {
  const shapes = new Map<string, (values: Values<keyof LogoutRequestValues>) => Promise<string>>();
  return (r) => {
    const values = logoutRequestValues(r);
    const keys = (Object.keys(values) as (keyof LogoutRequestValues)[]).filter((k) => values[k] !== undefined);
    const shape = keys.join();
    let write = shapes.get(shape);
    if (!write) shapes.set(shape, write = signer.signedTemplate(keys, logoutRequestElement));
    return write(values as Values<keyof LogoutRequestValues>);
  };
}

/** A LogoutResponse (core §3.7.2), unsigned: the binding signs it. */
export function buildLogoutResponse(r: { issuer: string; destination: string; inResponseTo: string; now_ms: number; status: { code: string; subCode?: string; message?: string } }): XmlElement {
  return el('samlp:LogoutResponse', { ID: newMessageId(), Version: '2.0', IssueInstant: instant(r.now_ms), Destination: r.destination, InResponseTo: r.inResponseTo }, [
    el('saml:Issuer', {}, [r.issuer]),
    statusElement(r.status.code, r.status.subCode, r.status.message),
  ]);
}

// --- reading -------------------------------------------------------------------------------

/** What every request and response carries (core §3.2.1, §3.2.2). */
export interface MessageHeader {
  id: string;
  issueInstant_ms: number;
  destination: string | undefined;
  issuer: string;
}

function readInstant(el: Element, name: string): number {
  const value = requiredAttr(el, name);
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new SamlError(`${el.localName}@${name} is not an xs:dateTime`);
  return ms;
}

function readHeader(root: Element, localName: string): MessageHeader {
  if (root.namespaceURI !== NS.samlp || root.localName !== localName) throw new SamlError(`expected a samlp:${localName}, got ${root.localName}`);
  if (attr(root, 'Version') !== '2.0') throw new SamlError('only SAML Version 2.0 is supported', STATUS.versionMismatch);
  const issuer = requiredChild(root, NS.saml, 'Issuer');
  const format = attr(issuer, 'Format');
  if (format && format !== 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity') throw new SamlError('Issuer must be an entity identifier');
  return { id: requiredAttr(root, 'ID'), issueInstant_ms: readInstant(root, 'IssueInstant'), destination: attr(root, 'Destination'), issuer: textOf(issuer) };
}

export interface AuthnRequest extends MessageHeader {
  acsUrl: string | undefined;
  acsIndex: number | undefined;
  protocolBinding: BindingName | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat: string | undefined;
}

const bool = (value: string | undefined) => value === 'true' || value === '1';

export function readAuthnRequest(root: Element): AuthnRequest {
  const header = readHeader(root, 'AuthnRequest');
  const policy = optionalChild(root, NS.samlp, 'NameIDPolicy');
  const index = attr(root, 'AssertionConsumerServiceIndex');
  const binding = attr(root, 'ProtocolBinding');
  if (index !== undefined && !/^\d{1,5}$/.test(index)) throw new SamlError('AssertionConsumerServiceIndex is not an unsigned short');
  return {
    ...header,
    acsUrl: attr(root, 'AssertionConsumerServiceURL'),
    acsIndex: index === undefined ? undefined : Number(index),
    protocolBinding: binding === undefined ? undefined : (bindingName(binding) ?? (() => { throw new SamlError(`ProtocolBinding ${binding} is not supported`); })()),
    forceAuthn: bool(attr(root, 'ForceAuthn')),
    isPassive: bool(attr(root, 'IsPassive')),
    nameIdFormat: policy && attr(policy, 'Format'),
  };
}

export interface LogoutRequest extends MessageHeader {
  notOnOrAfter_ms: number | undefined;
  nameId: { value: string; format: string | undefined; spNameQualifier: string | undefined };
  sessionIndexes: string[];
}

export function readLogoutRequest(root: Element): LogoutRequest {
  const header = readHeader(root, 'LogoutRequest');
  if (childElements(root, NS.saml, 'EncryptedID').length || childElements(root, NS.saml, 'BaseID').length) throw new SamlError('only a plain NameID is supported in a LogoutRequest');
  const nameId = requiredChild(root, NS.saml, 'NameID');
  return {
    ...header,
    notOnOrAfter_ms: root.hasAttribute('NotOnOrAfter') ? readInstant(root, 'NotOnOrAfter') : undefined,
    nameId: { value: textOf(nameId), format: attr(nameId, 'Format'), spNameQualifier: attr(nameId, 'SPNameQualifier') },
    sessionIndexes: childElements(root, NS.samlp, 'SessionIndex').map(textOf),
  };
}

export interface LogoutResponse extends MessageHeader {
  inResponseTo: string | undefined;
  status: string;
  subStatus: string | undefined;
  statusMessage: string | undefined;
}

export function readLogoutResponse(root: Element): LogoutResponse {
  const header = readHeader(root, 'LogoutResponse');
  const status = requiredChild(root, NS.samlp, 'Status');
  const code = requiredChild(status, NS.samlp, 'StatusCode');
  const sub = optionalChild(code, NS.samlp, 'StatusCode');
  const message = optionalChild(status, NS.samlp, 'StatusMessage');
  return {
    ...header,
    inResponseTo: attr(root, 'InResponseTo'),
    status: requiredAttr(code, 'Value'),
    subStatus: sub && requiredAttr(sub, 'Value'),
    statusMessage: message && textOf(message),
  };
}

/** Reads the one SAML message inside a SOAP 1.1 envelope's Body (bindings §3.2.3). */
export function soapBody(envelope: Element): Element {
  if (envelope.namespaceURI !== NS.soap || envelope.localName !== 'Envelope') throw new SamlError('the answer is not a SOAP 1.1 Envelope');
  const body = requiredChild(envelope, NS.soap, 'Body');
  const fault = optionalChild(body, NS.soap, 'Fault');
  if (fault) {
    // SOAP 1.1 §4.4: faultcode and faultstring are unqualified (no namespace; some servers qualify them)
    const text = (name: string) => { const el = childElements(fault, null, name)[0] ?? childElements(fault, NS.soap, name)[0]; return el ? el.textContent?.trim() : undefined; };
    throw new SamlError(`SOAP Fault ${text('faultcode') ?? ''}: ${text('faultstring') ?? ''}`.trim(), STATUS.responder);
  }
  const children: Element[] = [];
  for (let n = body.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) children.push(n as Element);
  if (children.length !== 1) throw new SamlError(`the SOAP Body must hold exactly one message (found ${children.length})`);
  return children[0]!;
}

/** A SOAP 1.1 envelope around a message (bindings §3.2.3): the message's text, which declares every prefix it uses. */
export const soapEnvelope = (message: string): string => `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${message}</soap:Body></soap:Envelope>`;
