import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/idp.ts';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

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
  if (!existsSync(APACHE) || !existsSync(join(MODULES, 'mod_auth_openidc.so'))) {
    throw new Error('this test needs Debian packages apache2 and libapache2-mod-auth-openidc (.ci/run installs them: apt-get install -y apache2 libapache2-mod-auth-openidc)');
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'adieu-apache-'));
  const docs = join(dir, 'htdocs', 'protected');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'index.html'), '<h1>Protected by mod_auth_openidc</h1>');
  const url = `http://localhost:${port}`;
  const redirectUri = `${url}/protected/redirect_uri`;
  const root = userInfo().uid === 0;
  if (root) chownSync(dir, 33, 33); // www-data reads the documents; the parent (root) writes the logs
  const conf = `
ServerRoot ${dir}
Listen 127.0.0.1:${port}
ServerName localhost:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn auth_openidc:info
${root ? 'User www-data\nGroup www-data' : ''}
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule authz_user_module ${MODULES}/mod_authz_user.so
LoadModule dir_module ${MODULES}/mod_dir.so
LoadModule mime_module ${MODULES}/mod_mime.so
LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so
TypesConfig /etc/mime.types
DocumentRoot ${dir}/htdocs
DirectoryIndex index.html
StartServers 1
ServerLimit 1
ThreadsPerChild 16
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
  writeFileSync(join(dir, 'httpd.conf'), conf);
  const child: ChildProcess = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => { output += c; });
  child.stderr!.on('data', (c) => { output += c; });
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '') + output;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`apache2 exited ${child.exitCode}:\n${errorLog()}`);
    const ok = await fetch(`${url}/`, { redirect: 'manual' }).then(() => true, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`apache2 did not start:\n${errorLog()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    redirectUri,
    errorLog,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
