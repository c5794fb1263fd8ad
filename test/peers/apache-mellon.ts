import { chownSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/idp.ts';
import { generateSigningCredentials } from '../../src/saml/idp-credentials.ts';
import { certificateBody } from '../../src/saml/signature.ts';
import { apacheBase, apacheDir, requireApacheModule, runApache } from './apache.ts';

export interface MellonSp {
  url: string;
  entityId: string;
  /** The SP's metadata (SOAP and Redirect SLO, signing certificate), as its admin would give it to the IdP. */
  metadata: string;
  /** Starts Apache once the IdP's metadata can be fetched (the IdP needs the SP's metadata first). */
  start(idpMetadataUrl: string): Promise<void>;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Apache httpd with mod_auth_mellon (Debian's libapache2-mod-auth-mellon), a SAML SP nobody here
 * wrote, protecting /protected/. Its logout endpoint /mellon/logout takes Redirect and SOAP.
 */
export async function mellonSp(options: { slo: ('SOAP' | 'HTTP-Redirect')[] } = { slo: ['SOAP', 'HTTP-Redirect'] }): Promise<MellonSp> {
  requireApacheModule('auth_mellon', 'libapache2-mod-auth-mellon');
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const entityId = `${url}/mellon/metadata`;
  const credentials = await generateSigningCredentials('mellon');
  const binding = (b: string) => `urn:oasis:names:tc:SAML:2.0:bindings:${b}`;
  const metadata = `<?xml version="1.0"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(credentials.certificate_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
${options.slo.map((b) => `    <SingleLogoutService Binding="${binding(b)}" Location="${url}/mellon/logout"/>`).join('\n')}
    <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>
    <AssertionConsumerService index="0" isDefault="true" Binding="${binding('HTTP-POST')}" Location="${url}/mellon/postResponse"/>
  </SPSSODescriptor>
</EntityDescriptor>
`;
  const dir = apacheDir('adieu-mellon-', '<h1>Protected by mod_auth_mellon</h1>');
  let apache: Awaited<ReturnType<typeof runApache>> | undefined;
  return {
    url,
    entityId,
    metadata,
    async start(idpMetadataUrl) {
      const files = {
        'sp.key': credentials.private_key_pem,
        'sp.crt': credentials.certificate_pem,
        'sp-metadata.xml': metadata,
        'idp-metadata.xml': await (await fetch(idpMetadataUrl)).text(),
      };
      for (const [name, content] of Object.entries(files)) {
        writeFileSync(join(dir, name), content);
        if (userInfo().uid === 0) chownSync(join(dir, name), 33, 33);
      }
      apache = await runApache(dir, url, `${apacheBase(dir, port, ['auth_mellon'], 'warn auth_mellon:info')}
MellonCacheSize 100
<Location />
  MellonEnable info
  MellonEndpointPath /mellon
  MellonSPPrivateKeyFile ${dir}/sp.key
  MellonSPCertFile ${dir}/sp.crt
  MellonSPMetadataFile ${dir}/sp-metadata.xml
  MellonIdPMetadataFile ${dir}/idp-metadata.xml
  MellonSecureCookie Off
</Location>
<Location /protected/>
  AuthType Mellon
  MellonEnable auth
  Require valid-user
</Location>
`);
    },
    errorLog: () => apache?.errorLog() ?? '',
    stop: async () => apache?.stop(),
  };
}
