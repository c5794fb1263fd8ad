import { randomUUID } from 'node:crypto';
import type { AuditLogTable } from '../schema.ts';
import type { AuditEntry, Delivery, FinalDelivery, LogoutOutbox, LogoutRecord, StoredUser } from '../types.ts';
import { ROWS_PER_STATEMENT, type Constructor, type SqlBase } from './base.ts';
import { toUser } from './directory.ts';
import { toDelivery } from './outbox.ts';

function toAudit(r: AuditLogTable): AuditEntry {
  return { ...r, at: Number(r.at), status: Number(r.status), detail: r.detail == null ? null : JSON.parse(r.detail) };
}

/** The highest string with this prefix, for an indexed prefix search (`>= p and < p + U+FFFF`) on both backends. */
const prefixEnd = (prefix: string) => `${prefix}\uffff`;

/** What the admin console reads beyond the other roles (figures, search) and the audit log it writes. */
export function withAdmin<B extends Constructor<SqlBase & Pick<LogoutOutbox, 'getLogout'>>>(Base: B) {
  return class SqlAdmin extends Base {
    async appendAudit(entry: AuditEntry): Promise<void> {
      await this.db.insertInto('audit_log').values({ ...entry, detail: entry.detail == null ? null : JSON.stringify(entry.detail) }).execute();
    }

    async listAudit({ actor, action, before, limit }: { actor?: string; action?: string; before?: { at: number; id: string }; limit: number }): Promise<AuditEntry[]> {
      let q = this.db.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit);
      if (actor) q = q.where('actor', '=', actor);
      if (action) q = q.where('action', '=', action);
      if (before) q = q.where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]));
      return (await q.execute()).map(toAudit);
    }

    async searchUsers(prefix: string, limit: number): Promise<StoredUser[]> {
      // three indexed lookups (id, username prefix, email prefix), merged: an OR would scan the table
      const [byId, byName, byEmail] = await Promise.all([
        this.db.selectFrom('users').selectAll().where('id', '=', prefix).execute(),
        this.db.selectFrom('users').selectAll().where('username', '>=', prefix).where('username', '<', prefixEnd(prefix))
          .orderBy('username').limit(limit).execute(),
        this.db.selectFrom('users').selectAll().where('email', '>=', prefix).where('email', '<', prefixEnd(prefix))
          .orderBy('email').limit(limit).execute(),
      ]);
      const found = new Map<string, StoredUser>();
      for (const r of [...byId, ...byName, ...byEmail]) if (!found.has(r.id)) found.set(r.id, toUser(r));
      return [...found.values()].slice(0, limit);
    }

    async countLiveSsoSessions(now_s: number): Promise<number> {
      const r = await this.db.selectFrom('sso_sessions').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('expires_at', '>', now_s).executeTakeFirstOrThrow();
      return Number(r.n);
    }

    async countLogoutsByTrigger(since_ms: number): Promise<Record<string, number>> {
      const rows = await this.db.selectFrom('logout_records').select(['trigger', (eb) => eb.fn.countAll<number>().as('n')])
        .where('created_at', '>=', since_ms).groupBy('trigger').execute();
      return Object.fromEntries(rows.map((r) => [r.trigger, Number(r.n)]));
    }

    async listFinalDeliveries(since_ms: number, clientIds?: string[]): Promise<FinalDelivery[]> {
      const select = (ids?: string[]) => {
        let q = this.db.selectFrom('deliveries')
          .select(['logout_id', 'client_id', 'channel', 'status', 'latency_ms', 'last_error', 'completed_at'])
          .where('completed_at', '>=', since_ms);
        if (ids) q = q.where('client_id', 'in', ids);
        return q.execute();
      };
      const rows = clientIds
        ? (await Promise.all(chunk(clientIds, ROWS_PER_STATEMENT).map(select))).flat()
        : await select();
      return rows.map((r) => ({
        ...r,
        status: r.status as FinalDelivery['status'],
        latency_ms: r.latency_ms == null ? null : Number(r.latency_ms),
        completed_at: Number(r.completed_at),
      })).sort((a, b) => a.completed_at - b.completed_at);
    }

    async listLogoutsOfSession(sessionUid: string): Promise<LogoutRecord[]> {
      const rows = await this.db.selectFrom('logout_records').select('id').where('session_uid', '=', sessionUid)
        .orderBy('created_at', 'desc').execute();
      return (await Promise.all(rows.map((r) => this.getLogout(r.id)))).filter((l) => !!l);
    }

    async getDelivery(id: string): Promise<Delivery | undefined> {
      const r = await this.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toDelivery(r);
    }

    async retryDelivery(id: string, now_ms: number, deadline_ms: number, actor: string): Promise<Delivery | undefined> {
      return this.db.transaction().execute(async (trx) => {
        // only what Adieu sends itself (failed/rejected are outbox statuses) and has not delivered;
        // an attempt in flight (delivering) is left to finish
        const r = await trx.updateTable('deliveries')
          .set({ status: 'retrying', next_attempt_at: now_ms, deadline_at: deadline_ms, completed_at: null, latency_ms: null, updated_at: now_ms })
          .where('id', '=', id).where('status', 'in', ['retrying', 'failed', 'rejected'])
          .executeTakeFirst();
        if (!Number(r.numUpdatedRows)) return undefined;
        const row = await trx.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        // the logout is in progress again until this delivery is final
        await trx.updateTable('logout_records').set({ status: 'in_progress', completed_at: null }).where('id', '=', row.logout_id).execute();
        await trx.insertInto('delivery_events').values({ id: randomUUID(), delivery_id: id, at: now_ms, event: 'retry', status: 'retrying', detail: actor }).execute();
        return toDelivery(row);
      });
    }

    async cancelDelivery(id: string, reason: string, now_ms: number): Promise<Delivery | undefined> {
      const cancelled = await this.db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('deliveries')
          .set({ status: 'skipped', last_error: reason, next_attempt_at: now_ms, completed_at: now_ms, updated_at: now_ms, claimed_by: null, claimed_until: null })
          .where('id', '=', id).where('status', 'in', ['pending', 'retrying', 'awaiting_browser'])
          .executeTakeFirst();
        if (!Number(r.numUpdatedRows)) return false;
        await trx.insertInto('delivery_events').values({ id: randomUUID(), delivery_id: id, at: now_ms, event: 'cancel', status: 'skipped', detail: reason }).execute();
        return true;
      });
      return cancelled ? this.getDelivery(id) : undefined;
    }
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
