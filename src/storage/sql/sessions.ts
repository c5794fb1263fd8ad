import type { CompiledQuery, Kysely } from 'kysely';
import type { ClientMetadata } from '../../clients/metadata.ts';
import type { Database, DeliveryTable, SsoSessionTable } from '../schema.ts';
import type { EndedSessionData, Json, LogoutPlan, SsoSessionRecord } from '../types.ts';
import { ROWS_PER_STATEMENT, type Constructor, type SqlBase } from './base.ts';
import { compiledOnce } from './compiled-once.ts';
import { readClients } from './directory.ts';
import { writePayload } from './payloads.ts';

const ssoSessionRow = compiledOnce((db, uid: string) => db.selectFrom('sso_sessions').selectAll().where('uid', '=', uid));
const liveSessionWithRecord = compiledOnce((db, id: string, now_s: number) => db.selectFrom('oidc_payloads as p')
  .leftJoin('sso_sessions as s', 's.uid', 'p.uid')
  .selectAll('s').select('p.payload')
  .where('p.model', '=', 'Session').where('p.id', '=', id)
  .where((eb) => eb.or([eb('p.expires_at', 'is', null), eb('p.expires_at', '>', now_s)])));

function toSsoSession(row: SsoSessionTable): SsoSessionRecord {
  return {
    uid: row.uid,
    account_id: row.account_id,
    username: row.username,
    connection: { name: row.connection_name, strategy: row.connection_strategy },
    clients: JSON.parse(row.clients),
    last_used_client_id: row.last_used_client_id,
    upstream: row.upstream ? JSON.parse(row.upstream) : null,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    expires_at: Number(row.expires_at),
  };
}

export async function writeSsoSession(db: Kysely<Database>, s: SsoSessionRecord) {
  const row: SsoSessionTable = {
    uid: s.uid,
    account_id: s.account_id,
    username: s.username,
    connection_name: s.connection.name,
    connection_strategy: s.connection.strategy,
    clients: JSON.stringify(s.clients),
    last_used_client_id: s.last_used_client_id,
    upstream: s.upstream ? JSON.stringify(s.upstream) : null,
    created_at: s.created_at,
    updated_at: s.updated_at,
    expires_at: s.expires_at,
  };
  const { uid, created_at, ...update } = row;
  await db.insertInto('sso_sessions').values(row)
    .onConflict((oc) => oc.column('uid').doUpdateSet(update))
    .execute();
}

/** SSO sessions: oidc-provider's Session saved under the session lock, the SSO record, the one transaction that ends a session. */
export function withSessions<B extends Constructor<SqlBase & { insertDeliveries(rows: DeliveryTable[]): CompiledQuery }>>(Base: B) {
  return class SqlSessions extends Base {
    async saveSession(
      payload: Json & { uid: string; jti: string },
      expiresAt: number | null,
      merge: (stored: Json | undefined) => Json | undefined,
      updateRecord?: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined,
    ): Promise<boolean> {
      return this.db.transaction().execute(async (trx) => {
        const stored = await this.lockSession(trx, payload.uid);
        const merged = merge(stored ? JSON.parse(stored.payload) : undefined);
        if (!merged) return false;
        // another request may have rotated the session's id meanwhile: the row keeps its id
        const id = stored && merged.jti !== payload.jti ? stored.id : String(merged.jti);
        if (stored && stored.id !== id) await trx.deleteFrom('oidc_payloads').where('model', '=', 'Session').where('id', '=', stored.id).execute();
        await writePayload(trx, this.kind, 'Session', id, merged, expiresAt);
        if (updateRecord) await this.changeSsoSession(trx, payload.uid, updateRecord);
        return true;
      });
    }

    /** The record's read-change-write; the caller holds the session's lock. */
    private async changeSsoSession(trx: Kysely<Database>, uid: string, update: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined) {
      const row = (await ssoSessionRow(trx, this.kind, uid)).rows[0];
      const next = update(row && toSsoSession(row));
      if (next) await writeSsoSession(trx, next);
      return next;
    }

    async saveSsoSession(s: SsoSessionRecord): Promise<void> {
      await writeSsoSession(this.db, s);
    }

    async updateSsoSession(uid: string, update: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined): Promise<SsoSessionRecord | undefined> {
      return this.db.transaction().execute(async (trx) => {
        if (!(await this.lockSession(trx, uid))) return undefined; // ended meanwhile
        return this.changeSsoSession(trx, uid, update);
      });
    }

    async findSession(id: string, now_s: number): Promise<{ payload: Json; record: SsoSessionRecord | undefined } | undefined> {
      const row = (await liveSessionWithRecord(this.db, this.kind, id, now_s)).rows[0];
      if (!row) return undefined;
      const { payload, ...record } = row;
      return { payload: JSON.parse(payload) as Json, record: record.uid === null ? undefined : toSsoSession(record as SsoSessionTable) };
    }

    async getSsoSession(uid: string): Promise<SsoSessionRecord | undefined> {
      const r = (await ssoSessionRow(this.db, this.kind, uid)).rows[0];
      return r && toSsoSession(r);
    }

    async listSsoSessions(accountId: string, at: number): Promise<SsoSessionRecord[]> {
      const rows = await this.db.selectFrom('sso_sessions').selectAll()
        .where('account_id', '=', accountId).where('expires_at', '>', at)
        .orderBy('created_at').orderBy('uid').execute();
      return rows.map(toSsoSession);
    }

    async endSession(uid: string, plan?: (ended: EndedSessionData) => LogoutPlan | undefined): Promise<EndedSessionData & { logout?: LogoutPlan }> {
      return (await this.endSessions([{ uid, plan }]))[0]!;
    }

    async endSessions(endings: { uid: string; plan?: (ended: EndedSessionData) => LogoutPlan | undefined }[]): Promise<(EndedSessionData & { logout?: LogoutPlan })[]> {
      const uids = endings.map((e) => e.uid);
      return this.db.transaction().execute(async (trx) => {
        const stored = new Map((await this.lockSessions(trx, uids)).map((r) => [r.uid, r]));
        const records = new Map((await trx.selectFrom('sso_sessions').selectAll().where('uid', 'in', uids).execute()).map((r) => [r.uid, toSsoSession(r)]));
        const sessions = new Map([...stored].map(([uid, r]) => [uid, JSON.parse(r.payload) as Json]));
        const revoked = new Map(uids.map((uid) => {
          const authorizations = (sessions.get(uid)?.authorizations ?? {}) as Record<string, { grantId?: string; persistsLogout?: boolean }>;
          return [uid, Object.values(authorizations).filter((a) => a.grantId && !a.persistsLogout).map((a) => a.grantId!)];
        }));
        const revokedGrantIds = [...revoked.values()].flat();
        await trx.deleteFrom('sso_sessions').where('uid', 'in', uids).execute();
        await trx.deleteFrom('oidc_payloads').where('model', '=', 'Session').where('uid', 'in', uids).execute();
        for (let i = 0; i < revokedGrantIds.length; i += ROWS_PER_STATEMENT) {
          const grants = revokedGrantIds.slice(i, i + ROWS_PER_STATEMENT);
          await trx.deleteFrom('oidc_payloads').where('grant_id', 'in', grants).execute();
          await trx.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', 'in', grants).execute();
        }
        const clientIdsOf = (uid: string) => records.get(uid)?.clients.map((c) => c.client_id) ?? Object.keys(sessions.get(uid)?.authorizations ?? {});
        const metadata = new Map([...await readClients(trx, uids.flatMap(clientIdsOf))].map(([id, c]): [string, ClientMetadata] => [id, c.metadata]));
        // the outbox: each logout and its deliveries commit with its session's end, or not at all
        const results = endings.map(({ uid, plan }) => {
          const ended: EndedSessionData = {
            record: records.get(uid), session: sessions.get(uid), revokedGrantIds: revoked.get(uid)!,
            clientMetadata: new Map(clientIdsOf(uid).flatMap((id): [string, ClientMetadata][] => (metadata.has(id) ? [[id, metadata.get(id)!]] : []))),
          };
          const logout = (ended.record || ended.session) ? plan?.(ended) : undefined;
          return { ...ended, logout };
        });
        const logouts = results.flatMap((r) => (r.logout ? [r.logout] : []));
        if (logouts.length) await trx.insertInto('logout_records').values(logouts.map((l) => l.record)).execute();
        const rows = logouts.flatMap((logout) => logout.deliveries.map((d): DeliveryTable => {
          const claimed = logout.claim?.targets.has(d.id) ?? false;
          return { ...d, include_sid: d.include_sid ? 1 : 0, channel_params: d.channel_params ? JSON.stringify(d.channel_params) : null, claimed_by: claimed ? logout.claim!.nodeId : null, claimed_until: claimed ? logout.claim!.until : null };
        }));
        // SQLite: one prepared single-row insert per delivery ran in half the time of one
        // multi-row statement (100 rows, bench/fanout.ts). PostgreSQL: one statement per chunk, as
        // each statement is a round trip.
        if (this.kind === 'sqlite') for (const row of rows) await trx.executeQuery(this.insertDeliveries([row]));
        else for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await trx.executeQuery(this.insertDeliveries(rows.slice(i, i + ROWS_PER_STATEMENT)));
        return results;
      });
    }

    async listExpiredSsoSessions(at: number, limit: number): Promise<SsoSessionRecord[]> {
      const rows = await this.db.selectFrom('sso_sessions').selectAll()
        .where('expires_at', '<=', at).orderBy('expires_at').limit(limit).execute();
      return rows.map(toSsoSession);
    }
  };
}
