import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { api, freePort, PASSWORD, testClient } from '../harness/idp.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { openStorage } from '../src/storage/open.ts';
import type { SqlBase } from '../src/storage/sql/base.ts';
import { startReceiver } from './fanout.ts';
import { fill } from './scale.ts';
import { silentLoginLoop, startAdieuProcess } from './silent-login.ts';
import { percentiles } from './stats.ts';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const APPS = ['app1', 'app2'];

/**
 * Runs `op` from `concurrency` loops (each pausing `pause_ms` between calls) until `stop()` says
 * so, keeping each call's latency. A call that fails is counted and said at once (on stderr), and
 * the loop goes on: one refused request must not end a quarter-hour run without its figures.
 */
function timedLoop(concurrency: number, op: () => Promise<void>, pause_ms = 0, what = 'call') {
  const ms: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  let running = true;
  const loops = Promise.all(Array.from({ length: concurrency }, async () => {
    while (running) {
      const t = performance.now();
      try {
        await op();
        ms.push(performance.now() - t);
      } catch (err) {
        const message = `${what} failed ${((t - started) / 1000).toFixed(1)} s into the loop: ${(err as Error).message} ${(err as Error & { cause?: Error }).cause?.message ?? ''}`;
        errors.push(message);
        console.error(message);
      }
      if (pause_ms) await new Promise((r) => setTimeout(r, pause_ms));
    }
  }));
  return { ms, errors, async stop() { running = false; await loops; return ms; } };
}

/**
 * Mass expiry: `sessions` live SSO sessions (copies of one real session signed in to two
 * back-channel apps) all expire at once, with Adieu in its own process and its sweeper every
 * second. Measured: the time until the sweep ended them all (each through the one ending path)
 * and until every logout token reached the receiver (a process of its own), and — while that goes
 * on — silent sign-in latency (8 concurrent, against the same before) and /health.
 * Target (#13): sign-in p99 during the sweep within 2x of before; /health answers throughout.
 */
export async function benchExpiry({ backend = 'sqlite' as 'sqlite' | 'postgres', sessions = 100_000, baseline_s = 5 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-expiry-'));
  const pgDatabase = backend === 'postgres' ? await createTestDatabase() : undefined;
  const storage = pgDatabase ? { kind: 'postgres' as const, url: pgDatabase.url } : { kind: 'sqlite' as const, path: join(dir, 'adieu.db') };
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const receiver = await startReceiver(0);
  const received = async () => {
    receiver.child.send('count');
    const [{ count }] = await once(receiver.child, 'message') as [{ count: number }];
    return count;
  };
  const idp = await startAdieuProcess({
    port, storage, secrets: { admin_token: ADMIN_TOKEN },
    clients: APPS.map((id) => testClient(id, { id_token_signed_response_alg: 'ES256', backchannel_logout_uri: receiver.url(id) })),
    users: [{ username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', password: PASSWORD }],
    session: { sweep_interval_ms: 1_000 },
  }, dir);
  const reader = await openStorage(storage);
  const db = (reader as unknown as SqlBase).db as Kysely<any>;
  try {
    const ua = new UserAgent();
    const mary = (await signIn(ua, issuer, testClient('app1'))).claims.sub as string;
    await signIn(ua, issuer, testClient('app2'));
    const [template] = (await api(issuer, `/users/${mary}/sessions`, { token: ADMIN_TOKEN })).body.sessions;
    await fill(db, backend, { uid: template.id, accountId: mary }, sessions);
    const bulk = async () => Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM sso_sessions WHERE uid LIKE 'bulk-%'`.execute(db)).rows[0]!.n);
    if (await bulk() !== sessions) throw new Error('the sessions were not all written');

    // Mary's own session stays live: she signs in silently, before and during the sweep
    const login = silentLoginLoop(ua, issuer, testClient('app1', { id_token_signed_response_alg: 'ES256' }));
    const op = await login;
    const health = () => timedLoop(1, async () => {
      const res = await fetch(`${issuer}/health`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`/health ${res.status}`);
    }, 50, '/health');
    const warm = timedLoop(8, op);
    await new Promise((r) => setTimeout(r, 1_000));
    await warm.stop();
    const beforeHealth = health();
    const before = timedLoop(8, op, 0, 'silent sign-in');
    await new Promise((r) => setTimeout(r, baseline_s * 1000));
    const beforeMs = await before.stop();
    const beforeHealthMs = await beforeHealth.stop();

    const receivedBefore = await received();
    const expected = sessions * APPS.length;
    // all of them expire now: the next sweep (within a second) finds them
    const now_s = Math.floor(Date.now() / 1000);
    await sql`UPDATE sso_sessions SET expires_at = ${now_s - 1} WHERE uid LIKE 'bulk-%'`.execute(db);
    await sql`UPDATE oidc_payloads SET expires_at = ${now_s - 1} WHERE model = 'Session' AND uid LIKE 'bulk-%'`.execute(db);
    const started = performance.now();
    const during = timedLoop(8, op, 0, 'silent sign-in');
    const duringHealth = health();
    let swept_s: number | undefined;
    let delivered_s: number | undefined;
    const deadline = started + 30 * 60_000;
    while (swept_s === undefined || delivered_s === undefined) {
      if (performance.now() > deadline) throw new Error(`not done after 30 minutes: ${await bulk()} sessions left, ${(await received()) - receivedBefore} of ${expected} logout tokens`);
      await new Promise((r) => setTimeout(r, 250));
      if (swept_s === undefined && await bulk() === 0) swept_s = (performance.now() - started) / 1000;
      if (delivered_s === undefined && (await received()) - receivedBefore >= expected) delivered_s = (performance.now() - started) / 1000;
    }
    const duringMs = await during.stop();
    const duringHealthMs = await duringHealth.stop();
    const [b, d] = [percentiles(beforeMs), percentiles(duringMs)];
    return {
      name: `mass expiry: ${sessions} sessions (two back-channel apps each) expiring at once, ${backend}, Adieu in its own process, sweeper every 1 s`,
      sweep_all_s: +swept_s.toFixed(1),
      deliver_all_s: +delivered_s.toFixed(1),
      sessions_ended_per_s: Math.round(sessions / swept_s),
      logout_tokens_per_s: Math.round(expected / delivered_s),
      silent_sign_in_before_ms: b,
      silent_sign_in_during_ms: d,
      sign_ins_before_per_s: Math.round(beforeMs.length / baseline_s),
      sign_ins_during_per_s: Math.round(duringMs.length / delivered_s),
      p99_ratio_during_vs_before: +(d.p99_ms / b.p99_ms).toFixed(2),
      target_p99_ratio: 2,
      health_before_ms: percentiles(beforeHealthMs),
      health_during_ms: { ...percentiles(duringHealthMs), max: +Math.max(...duringHealthMs).toFixed(1), answered: duringHealthMs.length },
      failed_before: { sign_ins: before.errors.length, health: beforeHealth.errors.length },
      failed_during: { sign_ins: during.errors.length, health: duringHealth.errors.length },
    };
  } finally {
    await reader.close();
    idp.stop();
    receiver.stop();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
