import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { api, freePort, PASSWORD, testClient } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { openStorage, type StorageConfig } from '../src/storage/open.ts';
import type { SqlBase } from '../src/storage/sql/base.ts';
import { rate, silentLoginLoop, startAdieuProcess } from './silent-login.ts';
import { percentiles } from './stats.ts';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const APPS = ['app1', 'app2', 'app3'];

/**
 * `sessions` copies of one real session (its SSO record, its oidc-provider Session and its two
 * grants, ids and owner rewritten in SQL), spread over sessions / 5 copies of its user: one
 * statement per table.
 */
export async function fill(db: Kysely<any>, kind: 'sqlite' | 'postgres', template: { uid: string; accountId: string }, sessions: number) {
  const users = Math.max(1, Math.floor(sessions / 5));
  const series = kind === 'sqlite'
    ? sql`(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${sessions - 1}) SELECT i FROM s)`
    : sql`(SELECT i FROM generate_series(0, ${sessions - 1}) AS i)`;
  const text = (e: unknown) => sql`CAST(${e} AS TEXT)`;
  const i = sql.ref('s.i');
  const user = sql`'bulk-user-' || ${text(sql`${i} % ${users}`)}`;
  const session = await db.selectFrom('oidc_payloads').selectAll().where('model', '=', 'Session').where('uid', '=', template.uid).executeTakeFirstOrThrow();
  const grantIds = Object.values(JSON.parse(session.payload).authorizations as Record<string, { grantId: string }>).map((a) => a.grantId);
  // the session's payload names its grants: each copy names its own
  const withGrants = (payload: unknown) => grantIds.reduce((p, g, k) => sql`REPLACE(${p}, ${g}, ${sql`'bulkg-' || ${text(i)} || '-' || ${String(k)}`})`, payload);
  await sql`INSERT INTO users (id, connection, username, email, password_hash, profile, roles, created_at, updated_at)
    SELECT 'bulk-user-' || ${text(i)}, t.connection, 'bulk-' || ${text(i)} || '@bench.test', 'bulk-' || ${text(i)} || '@bench.test', t.password_hash, t.profile, t.roles, t.created_at, t.updated_at
    FROM users t, ${sql`(SELECT i FROM ${series} AS q WHERE i < ${users})`} AS s WHERE t.id = ${template.accountId}`.execute(db);
  await sql`INSERT INTO sso_sessions (uid, account_id, username, connection_name, connection_strategy, clients, last_used_client_id, upstream, created_at, updated_at, expires_at)
    SELECT 'bulk-' || ${text(i)}, ${user}, t.username, t.connection_name, t.connection_strategy, t.clients, t.last_used_client_id, t.upstream, t.created_at, t.updated_at, t.expires_at
    FROM sso_sessions t, ${series} AS s WHERE t.uid = ${template.uid}`.execute(db);
  await sql`INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at)
    SELECT 'Session', 'bulkj-' || ${text(i)}, ${withGrants(sql`REPLACE(REPLACE(REPLACE(t.payload, t.uid, 'bulk-' || ${text(i)}), t.id, 'bulkj-' || ${text(i)}), t.account_id, ${user})`)},
      NULL, NULL, 'bulk-' || ${text(i)}, ${user}, t.expires_at, NULL
    FROM oidc_payloads t, ${series} AS s WHERE t.model = 'Session' AND t.uid = ${template.uid}`.execute(db);
  for (const [k, grantId] of grantIds.entries()) {
    await sql`INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at)
      SELECT 'Grant', 'bulkg-' || ${text(i)} || '-' || ${String(k)}, REPLACE(REPLACE(t.payload, t.id, 'bulkg-' || ${text(i)} || '-' || ${String(k)}), t.account_id, ${user}),
        'bulkg-' || ${text(i)} || '-' || ${String(k)}, NULL, NULL, ${user}, t.expires_at, NULL
      FROM oidc_payloads t, ${series} AS s WHERE t.model = 'Grant' AND t.id = ${grantId}`.execute(db);
  }
  await sql`ANALYZE`.execute(db);
}

async function databaseBytes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('SELECT pg_database_size(current_database()) AS size')).rows[0].size);
  } finally {
    await client.end();
  }
}

/** The SQLite file's size once its write-ahead log is checkpointed into it (and emptied). */
async function sqliteBytes(storage: StorageConfig & { kind: 'sqlite' }): Promise<number> {
  const reader = await openStorage(storage);
  try {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute((reader as unknown as SqlBase).db);
  } finally {
    await reader.close();
  }
  return statSync(storage.path).size;
}

/** Signs a new user (created through the management API) in to `apps` in `browsers` browsers. */
async function userWithSessions(issuer: string, name: string, browsers: number, apps: string[]) {
  const created = await api(issuer, '/users', { token: ADMIN_TOKEN, method: 'POST', json: { username: `${name}@bench.test`, email: `${name}@bench.test`, password: PASSWORD } });
  if (created.status !== 201) throw new Error(`POST /users: ${created.status} ${JSON.stringify(created.body)}`);
  for (let b = 0; b < browsers; b++) {
    const ua = new UserAgent();
    for (const app of apps) await signIn(ua, issuer, testClient(app), { username: `${name}@bench.test` });
  }
  return created.body.id as string;
}

/** Until each app has had `count` logout tokens for `sub`: the time it took. */
async function untilTold(receiver: LogoutReceiver, sub: string, apps: string[], count: number, started: number) {
  const told = () => apps.every((app) => (receiver.received.get(app) ?? []).filter((r) => r.claims.sub === sub).length >= count);
  while (!told()) {
    if (performance.now() - started > 60_000) throw new Error(`logout tokens for ${sub} did not all arrive`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - started;
}

async function measure(volume: number, backend: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-scale-'));
  const pgDatabase = backend === 'postgres' ? await createTestDatabase() : undefined;
  const storage = pgDatabase ? { kind: 'postgres' as const, url: pgDatabase.url } : { kind: 'sqlite' as const, path: join(dir, 'adieu.db') };
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const receiver = await new LogoutReceiver(issuer).start();
  const idp = await startAdieuProcess({
    port, storage, secrets: { admin_token: ADMIN_TOKEN },
    clients: APPS.map((id) => testClient(id, { id_token_signed_response_alg: 'ES256', backchannel_logout_uri: receiver.url(id) })),
    users: [{ username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', password: PASSWORD }],
    session: { sweep_interval_ms: 3_600_000 },
  }, dir);
  try {
    // the template: Mary's real session, signed in to two applications
    const ua = new UserAgent();
    const mary = (await signIn(ua, issuer, testClient('app1'))).claims.sub as string;
    await signIn(ua, issuer, testClient('app2'));
    const [template] = (await api(issuer, `/users/${mary}/sessions`, { token: ADMIN_TOKEN })).body.sessions;
    const filler = await openStorage(storage);
    const filled = performance.now();
    await fill((filler as unknown as SqlBase).db as Kysely<any>, backend, { uid: template.id, accountId: mary }, volume - 1);
    const fill_s = Math.round((performance.now() - filled) / 100) / 10;
    await filler.close();

    const ssodata: number[] = [];
    for (let r = 0; r < 320; r++) {
      const t = performance.now();
      const res = await ua.fetch(`${issuer}/user/ssodata`);
      if (!(await res.json() as { sso: boolean }).sso) throw new Error('ssodata: no session');
      if (r >= 20) ssodata.push(performance.now() - t);
    }
    const login = await silentLoginLoop(ua, issuer, testClient('app1', { id_token_signed_response_alg: 'ES256' }));
    await rate(1, 8, login);
    const logins_per_s = Math.round(await rate(4, 8, login));

    // ending one session (three applications) to the last logout token received
    const endOne: number[] = [];
    for (let k = 0; k < 12; k++) {
      const sub = await userWithSessions(issuer, `one-${k}`, 1, APPS);
      const [s] = (await api(issuer, `/users/${sub}/sessions`, { token: ADMIN_TOKEN })).body.sessions;
      const t = performance.now();
      const res = await api(issuer, `/sessions/${s.id}`, { token: ADMIN_TOKEN, method: 'DELETE' });
      if (res.status !== 204) throw new Error(`DELETE /sessions: ${res.status}`);
      endOne.push(await untilTold(receiver, sub, APPS, 1, t));
    }
    // "sign out everywhere" for a user with 50 sessions, to the last of 50 logout tokens
    const everywhere: number[] = [];
    for (let k = 0; k < 3; k++) {
      const sub = await userWithSessions(issuer, `many-${k}`, 50, ['app1']);
      const t = performance.now();
      const res = await api(issuer, `/users/${sub}/sessions`, { token: ADMIN_TOKEN, method: 'DELETE' });
      if (res.status !== 200 || res.body.ended.length !== 50) throw new Error(`sign out everywhere: ${res.status} ${res.body.ended?.length}`);
      everywhere.push(await untilTold(receiver, sub, ['app1'], 50, t));
    }
    const rss_mb = Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${idp.pid}/status`, 'utf8'))![1]) / 1024);
    const bytes = storage.kind === 'postgres'
      ? await databaseBytes(storage.url)
      : await sqliteBytes(storage);
    return {
      sessions: volume, fill_s, ssodata: percentiles(ssodata), silent_logins_per_s: logins_per_s,
      end_one_session: percentiles(endOne), sign_out_everywhere_50: percentiles(everywhere),
      disk_bytes: bytes, disk_bytes_per_session: Math.round(bytes / volume), server_rss_mb: rss_mb,
    };
  } finally {
    idp.stop();
    await receiver.stop();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same figures with 1,000, 100,000 and 1,000,000 live SSO sessions (200,000 users at 1M):
 * /user/ssodata, the silent sign-in rate, ending one session and signing a user with 50 sessions
 * out everywhere (each to the last logout token received), with Adieu in its own process.
 */
export async function benchScale({ backend, volumes = [1_000, 100_000, 1_000_000] }: { backend: 'sqlite' | 'postgres'; volumes?: number[] }) {
  const figures = [];
  for (const v of volumes) figures.push(await measure(v, backend));
  const small = figures[0]!;
  const large = figures.at(-1)!;
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    name: `flat at ${large.sessions.toLocaleString('en')} sessions vs ${small.sessions.toLocaleString('en')}: the same operations, the same client code`,
    storage: backend,
    figures,
    ratios_large_vs_small: {
      ssodata_p50: ratio(large.ssodata.p50_ms, small.ssodata.p50_ms),
      ssodata_p99: ratio(large.ssodata.p99_ms, small.ssodata.p99_ms),
      silent_login_rate: ratio(small.silent_logins_per_s, large.silent_logins_per_s),
      end_one_session_p50: ratio(large.end_one_session.p50_ms, small.end_one_session.p50_ms),
      sign_out_everywhere_50_p50: ratio(large.sign_out_everywhere_50.p50_ms, small.sign_out_everywhere_50.p50_ms),
    },
    target_ratio: 1.2,
    // what a session adds on disk (its record, its provider session, its grants, their indexes)
    disk_bytes_per_session: Math.round((large.disk_bytes - small.disk_bytes) / (large.sessions - small.sessions)),
  };
}
