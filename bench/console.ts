import { sql, type Kysely } from 'kysely';
import { consoleSession } from '../harness/console.ts';
import { freePort, PASSWORD, startIdp, testClient } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { percentiles } from './stats.ts';
import type { SqlBase } from '../src/storage/sql/base.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Bulk rows in one statement per table (a recursive CTE on SQLite, generate_series on PostgreSQL):
 * `sessions` live SSO sessions of `users` users, and `logouts` completed logout records spread
 * evenly over the 30 days logout records are kept, with 3 deliveries each (one in ten failed).
 */
async function fill(db: Kysely<any>, kind: 'sqlite' | 'postgres', { sessions, users, logouts, tag }: { sessions: number; users: number; logouts: number; tag: string }) {
  const series = (n: number) => (kind === 'sqlite'
    ? sql`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1}) SELECT i FROM s`
    : sql`SELECT i FROM generate_series(0, ${n - 1}) AS i`);
  const now_s = Math.floor(Date.now() / 1000);
  const now_ms = Date.now();
  const cat = (...parts: unknown[]) => sql.join(parts.map((p) => (typeof p === 'string' ? sql.lit(p) : p)), sql` || `);
  const i = sql.ref('i');
  await sql`INSERT INTO users (id, connection, username, email, password_hash, profile, roles, created_at, updated_at)
    SELECT ${cat('user-' + tag + '-', sql`CAST(${i} AS TEXT)`)}, 'Username-Password-Authentication', ${cat(`user-${tag}-`, sql`CAST(${i} AS TEXT)`, '@bench.test')}, ${cat(`user-${tag}-`, sql`CAST(${i} AS TEXT)`, '@bench.test')}, NULL, '{}', '[]', ${now_s}, ${now_s}
    FROM (${series(users)}) AS t`.execute(db);
  await sql`INSERT INTO sso_sessions (uid, account_id, username, connection_name, connection_strategy, clients, last_used_client_id, upstream, created_at, updated_at, expires_at)
    SELECT ${cat('bulk-' + tag + '-', sql`CAST(${i} AS TEXT)`)}, ${cat('user-' + tag + '-', sql`CAST(${i} % ${users} AS TEXT)`)}, 'bench', 'Username-Password-Authentication', 'auth0',
      '[{"client_id":"app1","sid":"s1","first_at":0,"last_at":0},{"client_id":"app2","sid":"s2","first_at":0,"last_at":0}]', 'app2', NULL, ${now_s}, ${now_s}, ${now_s + 86_400}
    FROM (${series(sessions)}) AS t`.execute(db);
  const at = sql`(CAST(${now_ms} AS BIGINT) - CAST(${i} AS BIGINT) * ${Math.floor((30 * DAY_MS) / logouts)})`;
  await sql`INSERT INTO logout_records (id, trigger, account_id, username, session_uid, status, return_to, page_token, actor, created_at, completed_at)
    SELECT ${cat('lo-' + tag + '-', sql`CAST(${i} AS TEXT)`)}, 'user_logout', ${cat('user-' + tag + '-', sql`CAST(${i} % ${users} AS TEXT)`)}, 'bench', ${cat('gone-' + tag + '-', sql`CAST(${i} AS TEXT)`)},
      CASE WHEN ${i} % 10 = 0 THEN 'completed_with_failures' ELSE 'completed' END, NULL, 'x', 'system', ${at}, ${at} + 40
    FROM (${series(logouts)}) AS t`.execute(db);
  for (const [n, client] of [[0, 'app1'], [1, 'app2'], [2, 'app3']] as const) {
    await sql`INSERT INTO deliveries (id, logout_id, position, client_id, client_name, channel, target, sid, sub, include_sid, channel_params, status, attempts, last_error, latency_ms, next_attempt_at, deadline_at, claimed_by, claimed_until, created_at, updated_at, completed_at)
      SELECT ${cat('d-' + tag + '-', sql`CAST(${i} AS TEXT)`, `-${n}`)}, ${cat('lo-' + tag + '-', sql`CAST(${i} AS TEXT)`)}, ${n}, ${client}, NULL, 'backchannel', 'http://127.0.0.1:9/bcl', 's', 'u', 1, NULL,
        CASE WHEN ${n} = 2 AND ${i} % 10 = 0 THEN 'failed' ELSE 'delivered' END, 1, CASE WHEN ${n} = 2 AND ${i} % 10 = 0 THEN 'HTTP 500' ELSE NULL END,
        10 + (${i} % 50), ${at}, ${at} + 86400000, NULL, NULL, ${at}, ${at}, ${at} + 10 + (${i} % 50)
      FROM (${series(logouts)}) AS t`.execute(db);
  }
  if (kind === 'postgres') await sql`ANALYZE`.execute(db);
}

/**
 * The console's pages with a large dataset vs a fresh install, in the same run: each page's API
 * calls through the console (its session, its CSRF-checked way to the management API), measured
 * one after another, `rounds` times. The overview's figures are cached for 5 s; every round
 * waits that long for one call in `overviewMisses`, so the misses are measured too.
 */
export async function benchConsole({ storage, sessions = 1_000_000, users = 200_000, logouts = 100_000, rounds = 100 }: { storage?: unknown; sessions?: number; users?: number; logouts?: number; rounds?: number } = {}) {
  // a tag per dataset: on PostgreSQL both measurements share the database
  const measure = async (volume: { sessions: number; users: number; logouts: number; tag: string }) => {
    const port = await freePort();
    const receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
    const idp = await startIdp({
      port, ...(storage ? { storage } : {}),
      users: [{ username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', password: PASSWORD }, { username: 'ada', password: PASSWORD, roles: ['admin'] }],
      clients: ['app1', 'app2', 'app3'].map((id) => testClient(id, { backchannel_logout_uri: receiver.url(id) })),
    });
    try {
      const storageImpl = idp.adieu.storage as unknown as SqlBase;
      const filled = performance.now();
      await fill(storageImpl.db as Kysely<any>, storageImpl.kind, volume);
      const fill_s = Math.round((performance.now() - filled) / 100) / 10;
      const ua = new UserAgent();
      const mary = (await signIn(ua, idp.issuer, testClient('app1'))).claims.sub as string;
      await signIn(ua, idp.issuer, testClient('app2'));
      const admin = await consoleSession(idp.issuer, 'ada');
      const logoutId = `lo-${volume.tag}-5`;
      const pages: Record<string, string[]> = {
        overview: ['/overview'],
        'users search': [`/users?q=user-${volume.tag}-1234`],
        user: [`/users/${mary}`, `/users/${mary}/sessions`],
        'user preview': [`/users/${mary}/logout-preview`],
        'logouts, first page': ['/logouts?limit=50'],
        // the console pages with next_before (keyset); an offset this deep counts its way there
        'logouts, a deep page': [`/logouts?limit=50&before=${Date.now() - 29 * DAY_MS}.zzzz`],
        'logout trace': [`/logouts/${logoutId}`],
        applications: ['/applications'],
        application: ['/clients/app3', '/clients/app3/logout-health'],
        audit: ['/audit?limit=50'],
      };
      const out: Record<string, { p50_ms: number; p99_ms: number }> = {};
      for (const [name, calls] of Object.entries(pages)) {
        const samples: number[] = [];
        for (let r = 0; r < rounds + 5; r++) {
          const t = performance.now();
          for (const path of calls) {
            const res = await admin.call('GET', path);
            if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
            await res.arrayBuffer();
          }
          if (r >= 5) samples.push(performance.now() - t);
        }
        out[name] = percentiles(samples, 1);
      }
      // the overview's figures as computed when its 5 s cache has run out (every console refresh is one)
      const misses: number[] = [];
      for (let r = 0; r < 5; r++) {
        await new Promise((resolve) => setTimeout(resolve, 5_100));
        const t = performance.now();
        await (await admin.call('GET', '/overview')).arrayBuffer();
        misses.push(performance.now() - t);
      }
      out['overview, cache expired'] = percentiles(misses, 1);
      return { fill_s, pages: out };
    } finally {
      await idp.close();
      await receiver.stop();
    }
  };
  const small = await measure({ sessions: 1_000, users: 200, logouts: 100, tag: 'small' });
  const large = await measure({ sessions, users, logouts, tag: 'large' });
  const pages = Object.fromEntries(Object.entries(large.pages).map(([name, l]) => [name, {
    ...l, fresh_p99_ms: small.pages[name]!.p99_ms, ratio_p99: Math.round((l.p99_ms / small.pages[name]!.p99_ms) * 100) / 100, under_100ms: l.p99_ms < 100,
  }]));
  return {
    name: 'admin console pages (their management API calls through the console), large dataset vs fresh install',
    storage: (storage as { kind?: string } | undefined)?.kind ?? 'sqlite',
    data: { sessions, users, logouts, deliveries: logouts * 3, logouts_spread_days: 30, fill_s: large.fill_s },
    rounds,
    pages,
  };
}
