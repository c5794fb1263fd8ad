import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../harness/idp.ts';

const BIN = new URL('../bin/adieu.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ADIEU_ADMIN_TOKEN: '' } });

describe('adieu CLI', () => {
  it('--help explains every command and option', () => {
    const r = run('--help');
    assert.equal(r.status, 0);
    for (const word of ['serve', 'check-config', 'rotate-key', '--config', '--port', '--help', 'ADIEU_ADMIN_TOKEN', 'ADIEU_DATABASE_URL']) {
      assert.ok(r.stdout.includes(word), word);
    }
  });

  it('fails clearly on unknown commands, missing --config and bad files', () => {
    const unknown = run('frobnicate');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command frobnicate/);
    const missing = run('serve');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--config FILE is required/);
    const dir = mkdtempSync(join(tmpdir(), 'adieu-cli-'));
    writeFileSync(join(dir, 'bad.json'), '{"issuer":"ftp://x"}');
    const bad = run('check-config', '--config', join(dir, 'bad.json'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /issuer: /);
  });

  it('check-config accepts the shipped example', () => {
    const r = run('check-config', '--config', new URL('../config/adieu.example.yaml', import.meta.url).pathname);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /is valid/);
  });

  it('serve runs the IdP until SIGTERM; rotate-key adds a key per algorithm to the JWKS', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'adieu-cli-'));
    const port = await freePort();
    const file = join(dir, 'adieu.yaml');
    writeFileSync(file, `issuer: http://localhost:${port}\nport: ${port}\nstorage: { kind: sqlite, path: ./adieu.db }\nlog_level: warn\n`);
    const serve = async () => {
      const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: 'ignore' });
      for (let i = 0; i < 300; i++) {
        try {
          if ((await fetch(`http://localhost:${port}/health`)).ok) return child;
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGKILL');
      throw new Error('adieu serve did not become ready');
    };
    const jwks = async () => ((await (await fetch(`http://localhost:${port}/.well-known/jwks.json`)).json()) as any).keys.map((k: any) => `${k.alg} ${k.kid}`);
    let child = await serve();
    // a failed assertion must not leave the server running (the test process would never end)
    t.after(() => { child.kill('SIGKILL'); });
    const before = await jwks();
    assert.deepEqual(before.map((k: string) => k.split(' ')[0]).sort(), ['ES256', 'RS256']);
    const stopped = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await stopped, 0);

    const rotated = run('rotate-key', '--config', file);
    assert.equal(rotated.status, 0, rotated.stderr);
    child = await serve();
    const after = await jwks();
    assert.equal(after.length, 4);
    for (const old of before) assert.ok(after.includes(old), `the old key ${old} still verifies`);
    for (const alg of ['RS256', 'ES256']) {
      const first = after.find((k: string) => k.startsWith(alg));
      assert.ok(!before.includes(first), `the new ${alg} key comes first (it signs)`);
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });
});
