import type { Element } from '@xmldom/xmldom';
import { bindingName, nameIdFormatName } from './names.ts';
import { attr, childElements, NS, parseXml, requiredAttr, SamlError, textOf } from './xml.ts';

/** What an SP's metadata (saml-metadata-2.0-os §2.4.4) says, as Adieu's registration fields. */
export interface ImportedSp {
  entity_id: string;
  assertion_consumer_services: { binding: 'HTTP-POST' | 'HTTP-Redirect'; location: string; index?: number; is_default?: boolean }[];
  single_logout_services?: { binding: 'SOAP' | 'HTTP-Redirect' | 'HTTP-POST'; location: string; response_location?: string }[];
  signing_certificates?: string[];
  encryption_certificates?: string[];
  want_requests_signed?: boolean;
  name_id_format?: 'email' | 'persistent' | 'transient' | 'unspecified';
}

/** The certificates of KeyDescriptors for `use` (one without `use` serves both, metadata §2.4.1.1). */
function certificates(sp: Element, wanted: 'signing' | 'encryption'): string[] {
  const out: string[] = [];
  for (const kd of childElements(sp, NS.md, 'KeyDescriptor')) {
    const use = attr(kd, 'use');
    if (use && use !== wanted) continue;
    for (const ki of childElements(kd, NS.ds, 'KeyInfo')) {
      for (const data of childElements(ki, NS.ds, 'X509Data')) {
        for (const c of childElements(data, NS.ds, 'X509Certificate')) out.push(textOf(c).replace(/\s+/g, ''));
      }
    }
  }
  return out;
}

/**
 * Reads an SP's EntityDescriptor into registration fields. Bindings Adieu does not speak
 * (Artifact, PAOS) are left out; the result is validated as any registration is.
 */
export function importSpMetadata(text: string): ImportedSp {
  const root = parseXml(text, 512 * 1024).documentElement!;
  if (root.namespaceURI !== NS.md || root.localName !== 'EntityDescriptor') throw new SamlError('metadata_xml must be one md:EntityDescriptor');
  const sp = childElements(root, NS.md, 'SPSSODescriptor')[0];
  if (!sp) throw new SamlError('metadata_xml has no SPSSODescriptor');
  const acs = childElements(sp, NS.md, 'AssertionConsumerService').flatMap((el) => {
    const binding = bindingName(requiredAttr(el, 'Binding'));
    if (binding !== 'HTTP-POST' && binding !== 'HTTP-Redirect') return [];
    const index = attr(el, 'index');
    return [{
      binding,
      location: requiredAttr(el, 'Location'),
      ...(index !== undefined ? { index: Number(index) } : {}),
      ...(attr(el, 'isDefault') === 'true' ? { is_default: true } : {}),
    }];
  });
  const slo = childElements(sp, NS.md, 'SingleLogoutService').flatMap((el) => {
    const binding = bindingName(requiredAttr(el, 'Binding'));
    if (!binding) return [];
    const response = attr(el, 'ResponseLocation');
    return [{ binding, location: requiredAttr(el, 'Location'), ...(response ? { response_location: response } : {}) }];
  });
  const formats = childElements(sp, NS.md, 'NameIDFormat').map((el) => nameIdFormatName(textOf(el))).filter((f) => f !== undefined);
  const certs = certificates(sp, 'signing');
  const encryption = certificates(sp, 'encryption');
  const signed = attr(sp, 'AuthnRequestsSigned');
  return {
    entity_id: requiredAttr(root, 'entityID'),
    assertion_consumer_services: acs,
    ...(slo.length ? { single_logout_services: slo } : {}),
    ...(certs.length ? { signing_certificates: certs } : {}),
    ...(encryption.length ? { encryption_certificates: encryption } : {}),
    ...(signed !== undefined ? { want_requests_signed: signed === 'true' } : {}),
    ...(formats[0] ? { name_id_format: formats[0] } : {}),
  };
}

const METADATA_MAX_BYTES = 512 * 1024;
const METADATA_TIMEOUT_MS = 5_000;

/**
 * Fetches an SP's metadata from `metadata_url` (the management API does, when a client is
 * written): only where the back-channel host policy allows, no redirects, bounded in time and size.
 */
export async function fetchSpMetadata(url: string, checkHost: (target: string) => string | undefined): Promise<string> {
  const refused = checkHost(url);
  if (refused) throw new SamlError(refused);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(METADATA_TIMEOUT_MS), headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
  } catch (err) {
    throw new SamlError(`could not be fetched: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  if (res.status !== 200) throw new SamlError(`answered HTTP ${res.status}`);
  if (Number(res.headers.get('content-length') ?? 0) > METADATA_MAX_BYTES) throw new SamlError(`is larger than ${METADATA_MAX_BYTES} bytes`);
  const text = await res.text();
  if (Buffer.byteLength(text) > METADATA_MAX_BYTES) throw new SamlError(`is larger than ${METADATA_MAX_BYTES} bytes`);
  return text;
}

/**
 * What an SP's metadata says of it (entity ID, endpoints, keys): with `metadata_url`, these come
 * from the metadata it serves, at every write and every refresh; the rest of the registration
 * (attribute mapping, NameID format, signing policy…) is the admin's and is kept.
 */
export const METADATA_IDENTITY_FIELDS = ['entity_id', 'assertion_consumer_services', 'single_logout_services', 'signing_certificates', 'encryption_certificates'] as const;

/**
 * A registration whose `saml.metadata_url` is fetched now and read as `metadata_xml`, the fields
 * the metadata describes taken from it; anything else is returned as it is. Throws SamlError
 * (why the URL gave no metadata).
 */
export async function withFetchedMetadata(input: unknown, checkHost: (target: string) => string | undefined): Promise<unknown> {
  const saml = (input as { saml?: Record<string, unknown> } | null)?.saml;
  if (!saml || typeof saml.metadata_url !== 'string' || saml.metadata_xml !== undefined) return input;
  const kept = Object.fromEntries(Object.entries(saml).filter(([k]) => !(METADATA_IDENTITY_FIELDS as readonly string[]).includes(k)));
  return { ...(input as object), saml: { ...kept, metadata_xml: await fetchSpMetadata(saml.metadata_url, checkHost) } };
}
