import { createRequire } from 'node:module';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

// One parser for every SAML message Adieu reads, with the rules the SAML failure history asks for:
// no DTD (so no entity expansion or external entities), a size bound, and namespace-exact lookups.

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
} as const;

/** SAML 2.0 core §3.2.2.2 status codes Adieu sends or reads. */
export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  versionMismatch: 'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  unknownPrincipal: 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal',
} as const;

/**
 * A SAML message Adieu refuses. `status` is the SAML status code an answer to the sender carries
 * (SAML core §3.2.2.2); the message says what was wrong, for the log and the error page.
 */
export class SamlError extends Error {
  constructor(message: string, readonly status: string = STATUS.requester, readonly subStatus?: string) {
    super(message);
    this.name = 'SamlError';
  }
}

/**
 * xmldom 0.9 builds a Unicode RegExp from the grammar for every end tag it reads (`grammar.reg`
 * in sax.js's end-tag branch): about a third of the time it takes to parse a LogoutResponse. The
 * expressions depend only on their parts, and without the `g` or `y` flag a RegExp keeps no state
 * between uses, so one compiled expression per distinct list of parts gives the same results.
 * (xmldom/xmldom#950 tracks 0.9's parsing speed.) Applied once, to the module xmldom's parser
 * itself requires; `memoisedGrammar()` says whether it took (a test fails if an upgrade removes it).
 */
function memoiseGrammar(): boolean {
  const grammar = createRequire(import.meta.url)('@xmldom/xmldom/lib/grammar.js') as { reg?: (...parts: (RegExp | string)[]) => RegExp; memoised?: true };
  const compile = grammar.reg;
  if (typeof compile !== 'function') return false;
  if (grammar.memoised) return true;
  const compiled = new Map<string, RegExp>();
  const partIds = new WeakMap<RegExp, string>();
  let nextId = 0;
  // a part is keyed by identity (the grammar's expressions are constants), a string by its text
  const keyOf = (part: RegExp | string) => {
    if (typeof part === 'string') return `s${part}`;
    let id = partIds.get(part);
    if (id === undefined) partIds.set(part, (id = `r${nextId++}`));
    return id;
  };
  grammar.reg = function (this: unknown, ...parts: (RegExp | string)[]) {
    const key = parts.map(keyOf).join('\u0000');
    let expression = compiled.get(key);
    if (expression) return expression;
    expression = compile.apply(this, parts);
    // the grammar's expressions are a few dozen; anything beyond is not cached (memory stays bounded)
    if (compiled.size < 256) compiled.set(key, expression);
    return expression;
  };
  grammar.memoised = true;
  return true;
}
const grammarMemoised = memoiseGrammar();
export const memoisedGrammar = () => grammarMemoised;

/** Messages larger than this are refused before parsing (an AuthnRequest is ~1 KiB). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Parses a SAML message. Refused: anything over `maxBytes`, any DOCTYPE (SAML messages never
 * carry one; a DTD is how XXE and entity expansion get in), and anything not well-formed.
 */
export function parseXml(text: string, maxBytes = MAX_MESSAGE_BYTES): Document {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new SamlError(`message larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new SamlError('message carries a DTD (DOCTYPE/ENTITY), which SAML never uses');
  const errors: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => { if (level !== 'warning') errors.push(message); },
    }).parseFromString(text, 'text/xml');
  } catch (err) {
    throw new SamlError(`message is not well-formed XML: ${(err as Error).message}`);
  }
  if (errors.length || !doc.documentElement) throw new SamlError(`message is not well-formed XML: ${errors[0] ?? 'no document element'}`);
  if (doc.doctype) throw new SamlError('message carries a DTD (DOCTYPE), which SAML never uses');
  return doc;
}

/** Child elements of `parent` with this namespace (null: none) and local name, in document order. */
export function childElements(parent: Element, ns: string | null, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === localName) out.push(n as Element);
  }
  return out;
}

/** The one child element with this name; refused when there are several (schema: maxOccurs 1). */
export function optionalChild(parent: Element, ns: string, localName: string): Element | undefined {
  const found = childElements(parent, ns, localName);
  if (found.length > 1) throw new SamlError(`${parent.localName} has ${found.length} ${localName} elements; at most one is allowed`);
  return found[0];
}

export function requiredChild(parent: Element, ns: string, localName: string): Element {
  const found = optionalChild(parent, ns, localName);
  if (!found) throw new SamlError(`${parent.localName} has no ${localName}`);
  return found;
}

/**
 * The text of an element that may hold only text. Comments and other nodes inside are refused:
 * `<NameID>admin@x<!---->.evil</NameID>` is how a comment splits what a signature covered from
 * what a careless reader takes as the value.
 */
export function textOf(el: Element): string {
  let text = '';
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 || n.nodeType === 4) text += n.nodeValue ?? '';
    else throw new SamlError(`${el.localName} may hold only text (found a ${n.nodeType === 8 ? 'comment' : 'child node'})`);
  }
  return text.trim();
}

export function attr(el: Element, name: string): string | undefined {
  return el.hasAttribute(name) ? el.getAttribute(name) ?? undefined : undefined;
}

export function requiredAttr(el: Element, name: string): string {
  const value = attr(el, name);
  if (value === undefined || value === '') throw new SamlError(`${el.localName} has no ${name}`);
  return value;
}
