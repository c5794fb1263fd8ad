import type { SamlIdp, ServiceProvider } from './idp.ts';
import { BINDINGS, NAME_ID_FORMATS } from './names.ts';
import { certificateBody, signEnveloped } from './signature.ts';
import { joinXml, NS, xml } from './xml.ts';

/**
 * The IdP's metadata for one SP (saml-metadata-2.0-os §2.4.3), signed: entityID, the signing
 * certificate, SSO and SLO endpoints (Redirect and POST), the NameID formats.
 */
export function idpMetadata(idp: SamlIdp, sp: ServiceProvider): string {
  const urls = idp.urls(sp.client_id);
  const endpoints = (element: string, location: string) =>
    (['HTTP-Redirect', 'HTTP-POST'] as const).map((b) => xml`<md:${element} Binding="${BINDINGS[b]}" Location="${location}"/>`);
  const document = joinXml(
    xml`<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" ID="${`_${sp.client_id.replace(/[^A-Za-z0-9_.-]/g, '_')}-metadata`}" entityID="${idp.entityId}">`,
    xml`<md:IDPSSODescriptor WantAuthnRequestsSigned="${String(sp.sp.want_requests_signed)}" protocolSupportEnumeration="${NS.samlp}">`,
    xml`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(idp.credentials.certificate_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    xml`${endpoints('SingleLogoutService', urls.slo)}`,
    xml`${Object.values(NAME_ID_FORMATS).map((f) => xml`<md:NameIDFormat>${f}</md:NameIDFormat>`)}`,
    xml`${endpoints('SingleSignOnService', urls.sso)}`,
    '</md:IDPSSODescriptor></md:EntityDescriptor>');
  return signEnveloped(document, idp.credentials, 'first-child');
}
