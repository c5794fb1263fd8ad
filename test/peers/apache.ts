import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// Debian's Apache httpd as a test peer: started by the test as an ordinary process on a free port.

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

/**
 * Runs Debian's apache2 in the foreground with this configuration (written to dir/httpd.conf)
 * until it answers at `url`; `stop` ends it and removes `dir`.
 */
export async function runApache(dir: string, url: string, conf: string) {
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

/** The modules and settings every test Apache shares (an event MPM with one process). */
export function apacheBase(dir: string, port: number, modules: string[], logLevel: string) {
  const root = userInfo().uid === 0;
  return `
ServerRoot ${dir}
Listen 127.0.0.1:${port}
ServerName localhost:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel ${logLevel}
${root ? 'User www-data\nGroup www-data' : ''}
${['mpm_event', 'authz_core', 'authn_core', 'authz_user', 'dir', 'mime', ...modules].map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
TypesConfig /etc/mime.types
DocumentRoot ${dir}/htdocs
DirectoryIndex index.html
StartServers 1
ServerLimit 1
ThreadsPerChild 16
`;
}

/** A temp dir with htdocs/protected/index.html saying `text`, readable by Apache's user. */
export function apacheDir(prefix: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const docs = join(dir, 'htdocs', 'protected');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'index.html'), text);
  if (userInfo().uid === 0) chownSync(dir, 33, 33); // www-data reads the documents; the parent (root) writes the logs
  return dir;
}

/** Whether Debian's apache2 and this module are installed; the error says what to install. */
export function requireApacheModule(module: string, pkg: string) {
  if (!existsSync(APACHE) || !existsSync(join(MODULES, `mod_${module}.so`))) {
    throw new Error(`this test needs Debian packages apache2 and ${pkg} (.ci/run installs them: apt-get install -y apache2 ${pkg})`);
  }
}
