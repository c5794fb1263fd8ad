import { freePort } from '../../harness/idp.ts';
import { apacheBase, apacheDir, requireApacheModule, runApache } from './apache.ts';

export interface ApacheRp {
  url: string;
  /** mod_auth_openidc's redirect URI (also its back-channel logout endpoint with ?logout=backchannel). */
  redirectUri: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Apache httpd with mod_auth_openidc (Debian's libapache2-mod-auth-openidc), a relying party
 * nobody here wrote, protecting /protected/ with Adieu as its OpenID Provider. Started as an
 * ordinary process on a free port; `.ci/run` installs the packages.
 */
export async function startApacheOpenidc(opts: { issuer: string; clientId: string; clientSecret: string }): Promise<ApacheRp> {
  requireApacheModule('auth_openidc', 'libapache2-mod-auth-openidc');
  const port = await freePort();
  const dir = apacheDir('adieu-apache-', '<h1>Protected by mod_auth_openidc</h1>');
  const url = `http://localhost:${port}`;
  const redirectUri = `${url}/protected/redirect_uri`;
  const conf = `${apacheBase(dir, port, ['auth_openidc'], 'warn auth_openidc:info')}
OIDCProviderMetadataURL ${opts.issuer}/.well-known/openid-configuration
OIDCClientID ${opts.clientId}
OIDCClientSecret ${opts.clientSecret}
OIDCRedirectURI ${redirectUri}
OIDCCryptoPassphrase adieu-test-passphrase-0123456789
OIDCScope "openid email"
OIDCPKCEMethod S256
OIDCSessionType server-cache
OIDCCacheType shm
# the tests' browser is fetch, which always sends Sec-Fetch-Mode: cors; count only X-Requested-With
# as "not a navigation" (one of mod_auth_openidc's documented settings)
OIDCUnAuthAction 401 "%{HTTP:X-Requested-With} == 'XMLHttpRequest'"
<Location /protected/>
  AuthType openid-connect
  Require valid-user
</Location>
`;
  const apache = await runApache(dir, url, conf);
  return { url, redirectUri, ...apache };
}
