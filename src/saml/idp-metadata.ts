import type { SamlIdp, ServiceProvider } from './idp.ts';
import { BINDINGS, NAME_ID_FORMATS } from './names.ts';
import { certificateBody } from './signature.ts';
import { NS } from './xml.ts';
import { el, renderCanonical } from './xml-writer.ts';

/**
 * The IdP's metadata for one SP (saml-metadata-2.0-os §2.4.3), signed: entityID, the signing
 * certificate, SSO and SLO endpoints (Redirect and POST), the NameID formats.
 */
export async function idpMetadata(idp: SamlIdp, sp: ServiceProvider): Promise<string> {
  const urls = idp.urls(sp.client_id);
  const endpoints = (element: string, location: string) =>
    (['HTTP-Redirect', 'HTTP-POST'] as const).map((b) => el(`md:${element}`, { Binding: BINDINGS[b], Location: location }));
  const descriptor = el('md:EntityDescriptor', { ID: `_${sp.client_id.replace(/[^A-Za-z0-9_.-]/g, '_')}-metadata`, entityID: idp.entityId }, [
    el('md:IDPSSODescriptor', { WantAuthnRequestsSigned: String(sp.sp.want_requests_signed), protocolSupportEnumeration: NS.samlp }, [
      el('md:KeyDescriptor', { use: 'signing' }, [el('ds:KeyInfo', {}, [el('ds:X509Data', {}, [el('ds:X509Certificate', {}, [certificateBody(idp.credentials.certificate_pem)])])])]),
      ...endpoints('SingleLogoutService', urls.slo),
      ...Object.values(NAME_ID_FORMATS).map((f) => el('md:NameIDFormat', {}, [f])),
      ...endpoints('SingleSignOnService', urls.sso),
    ]),
  ]);
  return renderCanonical(await idp.signer.sign(descriptor));
}
