import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { SigningCredentials } from '../../src/saml/signature.ts';

export interface NodeSamlSettings {
  issuer: string;
  clientId: string;
  entityId: string;
  acs: string;
  credentials: SigningCredentials;
  nameIdFormat: string;
  /** Decrypts assertions encrypted for the SP (its registration has encryption_certificates). */
  decrypt?: boolean;
}

/**
 * @node-saml/node-saml (what passport-saml applications run) configured against an Adieu as an
 * Auth0 SAML app would be: its endpoints at /samlp/:client_id, its certificate from the metadata.
 */
export async function nodeSamlFor(s: NodeSamlSettings): Promise<SAML> {
  const metadata = await (await fetch(`${s.issuer}/samlp/metadata/${s.clientId}`)).text();
  const idpCert = /<ds:X509Certificate>([^<]+)</.exec(metadata)?.[1];
  if (!idpCert) throw new Error(`no signing certificate in ${s.issuer}/samlp/metadata/${s.clientId}`);
  return new SAML({
    entryPoint: `${s.issuer}/samlp/${s.clientId}`,
    logoutUrl: `${s.issuer}/samlp/${s.clientId}/logout`,
    issuer: s.entityId,
    callbackUrl: s.acs,
    idpCert,
    privateKey: s.credentials.private_key_pem,
    publicCert: s.credentials.certificate_pem,
    signatureAlgorithm: 'sha256',
    identifierFormat: s.nameIdFormat,
    audience: s.entityId,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.never,
    disableRequestedAuthnContext: true,
    ...(s.decrypt ? { decryptionPvk: s.credentials.private_key_pem } : {}),
  });
}
