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
const TEXT_SPECIAL = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ATTR_SPECIAL = /[&<"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** C14N text escaping (§2.3 of C14N 1.0: &, <, >, #xD). */
export const escapeText = (value: string) => (TEXT_SPECIAL.test(value)
  ? value.replace(INVALID, '').replace(/[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' })[c]!)
  : value);
/** C14N attribute escaping (&, <, ", #x9, #xA, #xD). */
export const escapeAttr = (value: string) => (ATTR_SPECIAL.test(value)
  ? value.replace(INVALID, '').replace(/[&<"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[c]!)
  : value);

/** The namespace declarations the output's ancestors made, innermost first (a few links at most). */
interface Scope { readonly prefix: string; readonly uri: string; readonly parent: Scope | undefined }
const NO_SCOPE: Scope | undefined = undefined;
function declared(scope: Scope | undefined, prefix: string): string | undefined {
  for (let s = scope; s; s = s.parent) if (s.prefix === prefix) return s.uri;
  return undefined;
}
const declaration = (prefix: string, uri: string) => ` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${escapeAttr(uri)}"`;

/**
 * Subtrees already written on their own (no ancestor declaring anything), with the prefixes they
 * use: a signed message is written once to be signed and then placed in an envelope, a form or a
 * Response; it is written the same there unless an ancestor declares one of those prefixes (then
 * exc-c14n leaves that declaration out, and the subtree is written again). Elements are not changed
 * once built (the signer copies the root it signs), so a subtree is keyed by its object.
 */
const written = new WeakMap<XmlElement, { text: string; prefixes: ReadonlySet<string> }>();

/** The start tag, each child and the end tag of an element, apart: the signer places its signature between two children. */
export function renderParts(node: XmlElement, inScope: Scope | undefined = NO_SCOPE, prefixes = new Set<string>()) {
  const colon = node.name.indexOf(':');
  const prefix = colon < 0 ? '' : node.name.slice(0, colon);
  const uri = node.ns ?? PREFIXES[prefix];
  if (!uri) throw new Error(`unknown namespace of ${node.name}`);
  prefixes.add(prefix);
  let open = `<${node.name}`;
  let scope = inScope;
  if (declared(inScope, prefix) !== uri) {
    open += declaration(prefix, uri);
    scope = { prefix, uri, parent: inScope };
  }
  const attrs = node.attrs ?? {};
  const names = Object.keys(attrs);
  if (names.length > 1) names.sort();
  for (const name of names) {
    const value = attrs[name];
    if (value !== undefined && value !== null) open += ` ${name}="${escapeAttr(String(value))}"`;
  }
  open += '>';
  const children: string[] = [];
  for (const child of node.children ?? []) {
    if (child === undefined || child === null || child === false) continue;
    children.push(typeof child === 'string' ? escapeText(child) : render(child, scope, prefixes));
  }
  return { open, children, close: `</${node.name}>`, scope, prefixes };
}

function render(node: XmlElement, inScope: Scope | undefined, prefixes: Set<string>): string {
  const alone = written.get(node);
  if (alone && ![...alone.prefixes].some((p) => declared(inScope, p) !== undefined)) {
    for (const p of alone.prefixes) prefixes.add(p);
    return alone.text;
  }
  const parts = renderParts(node, inScope, prefixes);
  return parts.open + parts.children.join('') + parts.close;
}

/** Renders an element (and its subtree) in exclusive canonical form; `inScope` is what the output's ancestors declared. */
export function renderCanonical(node: XmlElement, inScope: Scope | undefined = NO_SCOPE): string {
  return render(node, inScope, new Set());
}

/** Records how `node` is written on its own (`text`, using `prefixes`), for the writer to reuse. */
export function rememberWritten(node: XmlElement, text: string, prefixes: ReadonlySet<string>): void {
  written.set(node, { text, prefixes });
}

// private-use characters mark where a template's values go: the writer passes them through, and
// nothing Adieu builds contains them (values that do are refused by `plain`)
const MARKERS = /[\ue000-\ue0ff]/g;

/** Values to fill a template with, by name. */
export type Values<K extends string> = Readonly<Record<K, string>>;

/** Text cut where the values go: `pieces[i]`, then the value named `keys[i]`, …, then the last piece. */
export interface Cut<K extends string> { readonly pieces: readonly string[]; readonly keys: readonly K[] }

/** An element built with a marker for each value, to be rendered and cut by `cut`. */
export function marked<K extends string>(keys: readonly K[], build: (values: Values<K>) => XmlElement): { element: XmlElement; markers: Map<string, K> } {
  if (keys.length > 0x100) throw new Error('a template takes at most 256 values');
  const markers = new Map(keys.map((k, i) => [String.fromCharCode(0xe000 + i), k] as const));
  return { element: build(Object.fromEntries([...markers].map(([m, k]) => [k, m])) as Values<K>), markers };
}

/** Cuts text rendered from a `marked` element at its markers. */
export function cut<K extends string>(text: string, markers: ReadonlyMap<string, K>): Cut<K> {
  const keys = [...text.matchAll(MARKERS)].map((m) => markers.get(m[0])!);
  return { pieces: text.split(MARKERS), keys };
}

/** Checks that the cuts together place each value exactly once. */
export function placesEachOnce<K extends string>(keys: readonly K[], ...cuts: Cut<K>[]): void {
  const placed = cuts.flatMap((c) => c.keys);
  if (placed.length !== keys.length || keys.some((k) => !placed.includes(k))) throw new Error('a template must place each of its values exactly once');
}

/** The cut text with the values in: only for `plain` values (written as they are). */
export function fill<K extends string>(c: Cut<K>, values: Values<K>): string {
  let out = c.pieces[0]!;
  for (let i = 0; i < c.keys.length; i++) out += values[c.keys[i]!] + c.pieces[i + 1]!;
  return out;
}

// what either escaping changes, or a marker
const NOT_PLAIN = /[&<>"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uE000-\uE0FF\uFFFE\uFFFF]/;

/** Values a template can take as they are: nothing to escape, no marker. */
export function plain<K extends string>(values: Values<K>, keys: readonly K[]): boolean {
  for (const k of keys) if (NOT_PLAIN.test(values[k])) return false;
  return true;
}

/**
 * An element whose text differs from one use to the next only in a few values (a signature's
 * SignedInfo: the reference and the digest), written once with a marker where each value goes and
 * then filled in. Filled in only where that gives what rendering would: the values need no
 * escaping (IDs, base64) and no ancestor declares one of its prefixes; otherwise it is rendered.
 */
export function template<K extends string>(keys: readonly K[], build: (values: Values<K>) => XmlElement) {
  const { element, markers } = marked(keys, build);
  const prefixes = new Set<string>();
  const text = cut(render(element, NO_SCOPE, prefixes), markers);
  placesEachOnce(keys, text);
  return (values: Values<K>, inScope: Scope | undefined = NO_SCOPE): string => {
    if (!plain(values, keys) || [...prefixes].some((p) => declared(inScope, p) !== undefined)) return render(build(values), inScope, new Set());
    return fill(text, values);
  };
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
