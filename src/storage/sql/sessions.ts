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
      return this.db.transaction().execute(async (trx) => {
        const stored = await this.lockSession(trx, uid);
        const row = (await ssoSessionRow(trx, this.kind, uid)).rows[0];
        const session = stored ? (JSON.parse(stored.payload) as Json) : undefined;
        const authorizations = (session?.authorizations ?? {}) as Record<string, { grantId?: string; persistsLogout?: boolean }>;
        const revokedGrantIds = Object.values(authorizations)
          .filter((a) => a.grantId && !a.persistsLogout).map((a) => a.grantId!);
        await trx.deleteFrom('sso_sessions').where('uid', '=', uid).execute();
        await trx.deleteFrom('oidc_payloads').where('model', '=', 'Session').where('uid', '=', uid).execute();
        if (revokedGrantIds.length) {
          await trx.deleteFrom('oidc_payloads').where('grant_id', 'in', revokedGrantIds).execute();
          await trx.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', 'in', revokedGrantIds).execute();
        }
        const record = row && toSsoSession(row);
        const clientIds = record?.clients.map((c) => c.client_id) ?? Object.keys(authorizations);
        const clients = new Map([...await readClients(trx, clientIds)].map(([id, c]): [string, ClientMetadata] => [id, c.metadata]));
        const ended: EndedSessionData = { record, session, revokedGrantIds, clientMetadata: clients };
        // the outbox: the logout and its deliveries commit with the session's end, or not at all
        const logout = (ended.record || ended.session) ? plan?.(ended) : undefined;
        if (logout) {
          await trx.insertInto('logout_records').values(logout.record).execute();
          const claim = logout.claim;
          const rows = logout.deliveries.map((d): DeliveryTable => {
            const claimed = claim?.targets.has(d.id) ?? false;
            return { ...d, include_sid: d.include_sid ? 1 : 0, channel_params: d.channel_params ? JSON.stringify(d.channel_params) : null, claimed_by: claimed ? claim!.nodeId : null, claimed_until: claimed ? claim!.until : null };
          });
          // SQLite: one prepared single-row insert per delivery ran in half the time of one
          // multi-row statement (100 rows, bench/fanout.ts). PostgreSQL: one statement per chunk, as
          // each statement is a round trip.
          if (this.kind === 'sqlite') for (const row of rows) await trx.executeQuery(this.insertDeliveries([row]));
          else for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await trx.executeQuery(this.insertDeliveries(rows.slice(i, i + ROWS_PER_STATEMENT)));
        }
        return { ...ended, logout };
      });
    }

    async listExpiredSsoSessions(at: number, limit: number): Promise<SsoSessionRecord[]> {
      const rows = await this.db.selectFrom('sso_sessions').selectAll()
        .where('expires_at', '<=', at).orderBy('expires_at').limit(limit).execute();
      return rows.map(toSsoSession);
    }
  };
}
