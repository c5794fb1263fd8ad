import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { Agent } from 'undici';
import { postForm } from '../src/logout/post-form.ts';
import { Sqlite as BetterSqlite3 } from '../src/storage/sqlite-driver.ts';

/**
 * The least a durable, signed fan-out can cost on this machine: what Adieu does, written by hand
 * with nothing else around it. One SQLite transaction inserts a row per application with a
 * prepared statement (WAL, synchronous=NORMAL, as Adieu), the tokens are signed on the thread
 * pool while it runs, each is POSTed (undici dispatch) as soon as it is signed once the commit is done, and one
 * UPDATE records the outcomes. No IdP, no Kysely, no events, no lease bookkeeping.
 *
 * Set against the bare POSTs it shows how much of Adieu's ratio is the physics of
 * "write durably, sign, then send" on this machine and how much is Adieu's own overhead.
 */
export async function startFloorPipeline(privateJwk: JWK, url: (appId: string) => string, apps: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-floor-'));
  const db = new BetterSqlite3(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`create table deliveries (id text primary key, logout_id text not null, client_id text not null,
    target text not null, sid text, sub text, status text not null, attempts integer not null, next_attempt_at integer not null,
    deadline_at integer not null, created_at integer not null, completed_at integer);
    create index deliveries_logout on deliveries (logout_id);
    create index deliveries_due on deliveries (status, next_attempt_at);`);
  const insert = db.prepare('insert into deliveries values (?, ?, ?, ?, ?, ?, \'delivering\', 1, ?, ?, ?, null)');
  const finish = db.prepare('update deliveries set status = \'delivered\', completed_at = ? where logout_id = ?');
  const key: KeyObject = createPrivateKey({ key: privateJwk as any, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: privateJwk.kid, typ: 'logout+jwt' })).toString('base64url');
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const signToken = (aud: string, sid: string) => {
    const iat = Math.floor(Date.now() / 1000);
    const input = `${header}.${Buffer.from(JSON.stringify({ iss: 'floor', aud, iat, exp: iat + 120, jti: randomUUID(), sub: 'bench-user', sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } })).toString('base64url')}`;
    return new Promise<string>((resolve, reject) => sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, (err, s) => (err ? reject(err) : resolve(`${input}.${s.toString('base64url')}`))));
  };
  return {
    /** One logout: resolves when every application acknowledged and the outcomes are written. */
    async logout() {
      const logoutId = randomUUID();
      const now = Date.now();
      const tokens = apps.map((app, i) => signToken(app, `${logoutId}-${i}`));
      db.transaction(() => {
        apps.forEach((app, i) => insert.run(randomUUID(), logoutId, app, url(app), `${logoutId}-${i}`, 'bench-user', now, now + 86_400_000, now));
      })();
      await Promise.all(apps.map(async (app, i) => {
        const { status } = await postForm(agent, url(app), `logout_token=${await tokens[i]}`, 300, 5_000);
        if (status !== 200) throw new Error(`HTTP ${status}`);
      }));
      finish.run(Date.now(), logoutId);
    },
    async close() {
      await agent.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
