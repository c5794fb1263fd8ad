import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ADMIN_TOKEN, PASSWORD, api, freePort, startIdp, testClient } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';

const BIN = new URL('../bin/adieu.js', import.meta.url).pathname;

describe('durable back-channel delivery', () => {
  it('resumes pending deliveries after the IdP is killed with SIGKILL mid fan-out: each application signed out exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adieu-kill-'));
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const receiver = await new LogoutReceiver(issuer).start();
    const apps = Array.from({ length: 8 }, (_, i) => `app${i}`);
    for (const id of apps) receiver.behaviours.set(id, { kind: 'hold' });
    const config = {
      issuer, port, host: '127.0.0.1', log_level: 'warn',
      storage: { kind: 'sqlite', path: join(dir, 'adieu.db') },
      secrets: { admin_token: ADMIN_TOKEN },
      logout: { backchannel: { timeout_ms: 2000, poll_interval_ms: 50, initial_backoff_ms: 100 } },
      clients: apps.map((id) => testClient(id, { backchannel_logout_uri: receiver.url(id), backchannel_logout_session_required: true })),
      users: [{ username: 'mary@fabrikamcorp.com', password: PASSWORD }],
    };
    writeFileSync(join(dir, 'adieu.json'), JSON.stringify(config));
    const serve = async () => {
      const child = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'adieu.json')], { stdio: 'ignore' });
      await waitFor(async () => (await fetch(`${issuer}/health`)).ok, 30_000, 'adieu to start');
      return child;
    };
    let child: ChildProcess | undefined;
    try {
      child = await serve();
      const ua = new UserAgent();
      let sub = '';
      for (const id of apps) sub = (await signIn(ua, issuer, testClient(id))).claims.sub as string;
      await api(issuer, `/users/${sub}/sessions`, { method: 'DELETE' });
      // every application has the token in hand, none has answered: kill the IdP now
      await waitFor(() => apps.every((id) => receiver.count(id) === 1) || undefined, 10_000, 'the fan-out to reach every application');
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await waitFor(() => receiver.heldAbandoned === apps.length || undefined, 5000, 'the killed connections to close');
      for (const id of apps) receiver.behaviours.set(id, { kind: 'healthy' });
      receiver.release(); // their sockets are gone: these answers reach nobody

      child = await serve();
      const [record] = (await api(issuer, `/logouts?user_id=${sub}`)).body.logouts;
      const done = await waitFor(async () => {
        const l = (await api(issuer, `/logouts/${record.id}`)).body;
        return l.status !== 'in_progress' && l;
      }, 20_000, 'the resumed logout to complete');
      assert.equal(done.status, 'completed');
      for (const d of done.deliveries) {
        assert.equal(d.status, 'delivered', d.client_id);
        assert.equal(d.attempts, 2, `${d.client_id}: the attempt lost with the process counts`);
      }
      for (const id of apps) {
        assert.equal(receiver.acknowledged(id), 1, `${id} acknowledged exactly one logout`);
        assert.equal(receiver.count(id), 2, `${id} saw the lost attempt and the resumed one`);
      }
      assert.deepEqual(receiver.invalid, []);
      // nothing is delivered again later
      await new Promise((r) => setTimeout(r, 500));
      for (const id of apps) assert.equal(receiver.count(id), 2);
    } finally {
      child?.kill('SIGKILL');
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two IdP nodes sharing PostgreSQL deliver each delivery exactly once, and each reports the other\'s logouts', async () => {
    const db = await createTestDatabase();
    const portA = await freePort();
    const issuer = `http://localhost:${portA}`;
    const receiver = await new LogoutReceiver(issuer).start();
    const apps = Array.from({ length: 10 }, (_, i) => `app${i}`);
    for (const id of apps) receiver.behaviours.set(id, { kind: 'slow', delayMs: 100 });
    const shared = {
      storage: { kind: 'postgres', url: db.url },
      logout: { backchannel: { concurrency: 3, poll_interval_ms: 20 } },
      clients: apps.map((id) => testClient(id, { backchannel_logout_uri: receiver.url(id), backchannel_logout_session_required: true })),
    };
    const nodeA = await startIdp({ ...shared, port: portA });
    const nodeB = await startIdp({ ...shared, issuer, port: await freePort() });
    const delivered = { A: 0, B: 0 };
    nodeA.adieu.events.on('delivery.succeeded', () => delivered.A++);
    nodeB.adieu.events.on('delivery.succeeded', () => delivered.B++);
    try {
      const browsers = [new UserAgent(), new UserAgent(), new UserAgent()];
      const sids = new Set<string>();
      let sub = '';
      for (const ua of browsers) {
        for (const id of apps) {
          const s = await signIn(ua, issuer, testClient(id));
          sids.add(`${id}:${s.claims.sid}`);
          sub = s.claims.sub as string;
        }
      }
      await api(issuer, `/users/${sub}/sessions`, { method: 'DELETE' }); // on node A
      const nodeBUrl = nodeB.adieu.url.replace('127.0.0.1', 'localhost');
      const logouts = await waitFor(async () => {
        const list = (await api(nodeBUrl, `/logouts?user_id=${sub}`)).body.logouts;
        return list.length === 3 && list.every((l: any) => l.status === 'completed') && list;
      }, 20_000, 'node B to report three completed logouts');
      const detail = (await api(nodeBUrl, `/logouts/${logouts[0].id}`)).body;
      assert.equal(detail.deliveries.length, apps.length);

      const tokens = [...receiver.received.entries()].flatMap(([id, list]) => list.map((r) => `${id}:${r.claims.sid}`));
      assert.equal(tokens.length, 30, 'thirty deliveries, thirty tokens');
      assert.deepEqual(new Set(tokens), sids, 'each (application, session) exactly once');
      assert.equal(delivered.A + delivered.B, 30);
      assert.ok(delivered.A > 0 && delivered.B > 0, `both nodes delivered (A ${delivered.A}, B ${delivered.B})`);
      assert.deepEqual(receiver.invalid, []);
    } finally {
      await nodeA.close();
      await nodeB.close();
      await receiver.stop();
      await db.drop();
    }
  });
});
