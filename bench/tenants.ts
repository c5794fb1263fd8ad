import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { api, freePort, PASSWORD, testClient } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { openStorage, type StorageConfig } from '../src/storage/open.ts';
import type { SqlBase } from '../src/storage/sql/base.ts';
import { rate, silentLoginLoop, startAdieuProcess } from './silent-login.ts';
import { percentiles, round2 } from './stats.ts';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const APPS = ['app1', 'app2', 'app3'];
/** The registration every bulk client copies, its id rewritten (name, secret, URIs, web origin). */
const TEMPLATE = 'tplclient';
const bulkId = (i: number) => `bulk-${i}`;
const app = (id: string, receiver: LogoutReceiver) => testClient(id, { id_token_signed_response_alg: 'ES256', backchannel_logout_uri: receiver.url(id) });

/** `count` copies of the template client (its row and its web origins), one statement per table. */
async function fillClients(db: Kysely<any>, kind: 'sqlite' | 'postgres', count: number) {
  const series = kind === 'sqlite'
    ? sql`(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${count - 1}) SELECT i FROM s)`
    : sql`(SELECT i FROM generate_series(0, ${count - 1}) AS i)`;
  const id = sql`'bulk-' || CAST(s.i AS TEXT)`;
  await sql`INSERT INTO clients (client_id, metadata, source, created_at, updated_at)
    SELECT ${id}, REPLACE(t.metadata, ${TEMPLATE}, ${id}), t.source, t.created_at, t.updated_at
    FROM clients t, ${series} AS s WHERE t.client_id = ${TEMPLATE}`.execute(db);
  await sql`INSERT INTO client_web_origins (origin, client_id)
    SELECT REPLACE(t.origin, ${TEMPLATE}, ${id}), ${id} FROM client_web_origins t, ${series} AS s WHERE t.client_id = ${TEMPLATE}`.execute(db);
  await sql`ANALYZE`.execute(db);
}

/** Until `sub` has had `count` logout tokens over all applications: the time it took. */
async function untilTold(receiver: LogoutReceiver, sub: string, count: number, started: number) {
  const told = () => {
    let n = 0;
    for (const list of receiver.received.values()) for (const r of list) if (r.claims.sub === sub) n++;
    return n >= count;
  };
  while (!told()) {
    if (performance.now() - started > 60_000) throw new Error(`logout tokens for ${sub} did not all arrive`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - started;
}

/** A new user (management API) signed in to `apps` in one browser; their session's id. */
async function sessionOf(issuer: string, name: string, apps: ReturnType<typeof testClient>[]) {
  const created = await api(issuer, '/users', { token: ADMIN_TOKEN, method: 'POST', json: { username: `${name}@bench.test`, email: `${name}@bench.test`, password: PASSWORD } });
  if (created.status !== 201) throw new Error(`POST /users: ${created.status} ${JSON.stringify(created.body)}`);
  const ua = new UserAgent();
  for (const a of apps) await signIn(ua, issuer, a, { username: `${name}@bench.test` });
  const [session] = (await api(issuer, `/users/${created.body.id}/sessions`, { token: ADMIN_TOKEN })).body.sessions;
  return { ua, sub: created.body.id as string, sessionId: session.id as string };
}

async function ssodata(ua: UserAgent, issuer: string, rounds: number, clients: number) {
  const samples: number[] = [];
  for (let r = 0; r < rounds + 10; r++) {
    const t = performance.now();
    const res = await ua.fetch(`${issuer}/user/ssodata`);
    const body = await res.json() as { sessionClients?: string[] };
    if (body.sessionClients?.length !== clients) throw new Error(`ssodata: ${body.sessionClients?.length} clients, not ${clients}`);
    if (r >= 10) samples.push(performance.now() - t);
  }
  return percentiles(samples);
}

/** Ends a session through the management API, to the last of its `count` logout tokens. */
async function endToLastToken(issuer: string, receiver: LogoutReceiver, s: { sub: string; sessionId: string }, count: number) {
  const t = performance.now();
  const res = await api(issuer, `/sessions/${s.sessionId}`, { token: ADMIN_TOKEN, method: 'DELETE' });
  if (res.status !== 204) throw new Error(`DELETE /sessions: ${res.status}`);
  return untilTold(receiver, s.sub, count, t);
}

async function measure(clients: number, bigSession: number, backend: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-tenants-'));
  const pgDatabase = backend === 'postgres' ? await createTestDatabase() : undefined;
  const storage: StorageConfig = pgDatabase ? { kind: 'postgres', url: pgDatabase.url } : { kind: 'sqlite', path: join(dir, 'adieu.db') };
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const receiver = await new LogoutReceiver(issuer).start();
  const idp = await startAdieuProcess({
    port, storage, secrets: { admin_token: ADMIN_TOKEN },
    clients: [...APPS, TEMPLATE].map((id) => app(id, receiver)),
    users: [{ username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', password: PASSWORD }],
  }, dir);
  try {
    const filler = await openStorage(storage);
    // the big session's applications are bulk clients: at least that many of them
    const bulk = Math.max(bigSession, clients - APPS.length - 1);
    await fillClients((filler as unknown as SqlBase).db as Kysely<any>, backend, bulk);
    await filler.close();

    // a session of three applications: what every request of an ordinary user costs
    const small = await sessionOf(issuer, 'small', APPS.map((id) => app(id, receiver)));
    const ssodata_3 = await ssodata(small.ua, issuer, 300, 3);
    const login = await silentLoginLoop(small.ua, issuer, app('app1', receiver));
    await rate(1, 8, login);
    const silent_logins_per_s = Math.round(await rate(4, 8, login));
    const endSmall: number[] = [];
    for (let k = 0; k < 12; k++) endSmall.push(await endToLastToken(issuer, receiver, await sessionOf(issuer, `small-${k}`, APPS.map((id) => app(id, receiver))), APPS.length));

    // a session signed in to `bigSession` applications: ssodata lists them all, its logout plans them all
    const bigApps = Array.from({ length: bigSession }, (_, i) => app(bulkId(i), receiver));
    const built = performance.now();
    const bigs = [];
    for (let k = 0; k < 3; k++) bigs.push(await sessionOf(issuer, `big-${k}`, bigApps));
    const big_session_built_s = round2((performance.now() - built) / 3_000);
    const ssodata_big = await ssodata(bigs[0]!.ua, issuer, 50, bigSession);
    const endBig: number[] = [];
    for (const big of bigs) endBig.push(await endToLastToken(issuer, receiver, big, bigSession));
    return {
      clients: bulk + APPS.length + 1, ssodata_3_apps: ssodata_3, silent_logins_per_s, end_session_3_apps: percentiles(endSmall),
      big_session_apps: bigSession, big_session_built_s, ssodata_big_session: ssodata_big, end_big_session_to_last_token: percentiles(endBig),
    };
  } finally {
    idp.stop();
    await receiver.stop();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Large tenants (#13 item 5): the same operations with 1,000 and 10,000 registered clients
 * (bulk copies of one registration), Adieu in its own process: /user/ssodata, silent sign-in and
 * ending a session of three applications; a session signed in to 1,000 applications (its
 * ssodata, and its logout to the last of 1,000 logout tokens; three such sessions). Flat means nothing reads every
 * client: the 10,000-client figures within 1.2x of the 1,000-client ones.
 */
export async function benchTenants({ backend, sizes = [1_000, 10_000], bigSession = 1_000 }: { backend: 'sqlite' | 'postgres'; sizes?: [number, number]; bigSession?: number }) {
  const small = await measure(sizes[0], bigSession, backend);
  const large = await measure(sizes[1], bigSession, backend);
  const ratio = (a: number, b: number) => round2(a / b);
  return {
    name: `large tenants: ${sizes[1].toLocaleString('en')} clients vs ${sizes[0].toLocaleString('en')}, a session of ${bigSession.toLocaleString('en')} applications`,
    storage: backend,
    figures: [small, large],
    ratios_large_vs_small: {
      ssodata_3_apps_p50: ratio(large.ssodata_3_apps.p50_ms, small.ssodata_3_apps.p50_ms),
      ssodata_3_apps_p99: ratio(large.ssodata_3_apps.p99_ms, small.ssodata_3_apps.p99_ms),
      silent_login_rate: ratio(small.silent_logins_per_s, large.silent_logins_per_s),
      end_session_3_apps_p50: ratio(large.end_session_3_apps.p50_ms, small.end_session_3_apps.p50_ms),
      ssodata_big_session_p50: ratio(large.ssodata_big_session.p50_ms, small.ssodata_big_session.p50_ms),
      end_big_session_p50: ratio(large.end_big_session_to_last_token.p50_ms, small.end_big_session_to_last_token.p50_ms),
    },
    target_ratio: 1.2,
  };
}
