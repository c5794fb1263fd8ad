import type { Element } from '@xmldom/xmldom';
import { NS } from './xml.ts';

// Adieu writes every SAML document it signs in canonical form: what it sends is byte for byte the
// Exclusive XML Canonicalization (xml-exc-c14n, §2–3 of C14N 1.0 it builds on) of itself. So a
// signature is computed over the text as written — no DOM, no XPath, no re-canonicalization:
// - namespace declarations appear on the elements that use them (exc-c14n's "visibly
//   utilized"), unless an ancestor in the output already declared the same one;
// - attributes are sorted by name (Adieu's have no prefix, so the namespace URI sorts none apart);
// - empty elements are written as a start and an end tag;
// - text and attribute values are escaped as C14N escapes them.
// The writer's output is checked against xml-crypto's canonicalization in the tests.

export interface XmlElement {
  /** prefix:localName (the prefix one of NS, unless `ns` says), or a localName in the default namespace `ns`. */
  name: string;
  /** The element's namespace URI, where its prefix is not one of NS (imported elements). */
  ns?: string;
  attrs?: Record<string, string | number | undefined | null>;
  children?: (XmlElement | string | undefined | null | false)[];
}

export const el = (name: string, attrs: XmlElement['attrs'] = {}, children: XmlElement['children'] = []): XmlElement => ({ name, attrs, children });

const PREFIXES: Record<string, string> = NS;
// characters XML 1.0 cannot carry at all (§2.2): dropped rather than written into a broken document
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** C14N text escaping (§2.3 of C14N 1.0: &, <, >, #xD). */
export const escapeText = (value: string) => value.replace(INVALID, '').replace(/[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' })[c]!);
/** C14N attribute escaping (&, <, ", #x9, #xA, #xD). */
export const escapeAttr = (value: string) => value.replace(INVALID, '').replace(/[&<"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[c]!);

/** Renders an element (and its subtree) in exclusive canonical form; `inScope` is what the output's ancestors declared. */
export function renderCanonical(node: XmlElement, inScope: ReadonlyMap<string, string> = new Map()): string {
  const colon = node.name.indexOf(':');
  const prefix = colon < 0 ? '' : node.name.slice(0, colon);
  const uri = node.ns ?? PREFIXES[prefix];
  if (!uri) throw new Error(`unknown namespace of ${node.name}`);
  let out = `<${node.name}`;
  let scope = inScope;
  if (inScope.get(prefix) !== uri) {
    out += ` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${escapeAttr(uri)}"`;
    scope = new Map(inScope).set(prefix, uri);
  }
  const attrs = Object.entries(node.attrs ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of attrs) out += ` ${name}="${escapeAttr(String(value))}"`;
  out += '>';
  for (const child of node.children ?? []) {
    if (child === undefined || child === null || child === false) continue;
    out += typeof child === 'string' ? escapeText(child) : renderCanonical(child, scope);
  }
  return `${out}</${node.name}>`;
}

/**
 * An element parsed from XML a library made (XML Encryption's EncryptedData), as the writer's
 * tree: elements, their unprefixed attributes and text; namespace declarations are re-derived.
 */
export function importElement(element: Element): XmlElement {
  const attrs: Record<string, string> = {};
  for (const a of Array.from(element.attributes)) {
    if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
    if (a.name.includes(':')) throw new Error(`prefixed attribute ${a.name} is not supported`);
    attrs[a.name] = a.value;
  }
  const children: XmlElement['children'] = [];
  for (let n = element.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) children.push(importElement(n as Element));
    else if (n.nodeType === 3 || n.nodeType === 4) children.push(n.nodeValue ?? '');
  }
  return { name: element.tagName, ns: element.namespaceURI ?? undefined, attrs, children };
}
