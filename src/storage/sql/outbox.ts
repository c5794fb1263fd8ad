import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import type { DeliveryTable, LogoutRecordTable } from '../schema.ts';
import { SUCCESS_STATUSES, type AttemptOutcome, type ChannelParams, type Delivery, type DeliveryEvent, type DeliveryStatus, type LogoutRecord, type LogoutStatus } from '../types.ts';
import { ROWS_PER_STATEMENT, type Constructor, type SqlBase } from './base.ts';

export function toDelivery(r: DeliveryTable): Delivery {
  return {
    id: r.id,
    logout_id: r.logout_id,
    position: Number(r.position),
    client_id: r.client_id,
    client_name: r.client_name,
    channel: r.channel as Delivery['channel'],
    target: r.target,
    sid: r.sid,
    sub: r.sub,
    include_sid: !!r.include_sid,
    channel_params: r.channel_params == null ? null : JSON.parse(r.channel_params) as ChannelParams,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    last_error: r.last_error,
    latency_ms: r.latency_ms == null ? null : Number(r.latency_ms),
    next_attempt_at: Number(r.next_attempt_at),
    deadline_at: Number(r.deadline_at),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    completed_at: r.completed_at == null ? null : Number(r.completed_at),
  };
}

function toLogout(r: LogoutRecordTable): LogoutRecord {
  return {
    ...r,
    status: r.status as LogoutStatus,
    created_at: Number(r.created_at),
    completed_at: r.completed_at == null ? null : Number(r.completed_at),
  };
}

const DELIVERY_COLUMNS = [
  'id', 'logout_id', 'position', 'client_id', 'client_name', 'channel', 'target', 'sid', 'sub', 'include_sid', 'channel_params', 'status',
  'attempts', 'last_error', 'latency_ms', 'next_attempt_at', 'deadline_at', 'claimed_by', 'claimed_until', 'created_at',
  'updated_at', 'completed_at',
] as const satisfies readonly (keyof DeliveryTable)[];
// every column, or a new one would silently not be written
const everyDeliveryColumn: Exclude<keyof DeliveryTable, (typeof DELIVERY_COLUMNS)[number]> extends never ? true : never = true;
void everyDeliveryColumn;

/** Not final yet: a delivery Adieu sends itself (outbox), or one the browser loads. */
const OUTBOX_NOT_FINAL = ['pending', 'delivering', 'retrying'];
const NOT_FINAL = [...OUTBOX_NOT_FINAL, 'awaiting_browser'];
/** How many waiting applications one claim for everyone asks for their due deliveries (the next claim goes on from there). */
const TARGETS_PER_CLAIM = 100;

/** The logout outbox: logout records and their deliveries, claimed, attempted, reported, completed, pruned. */
export function withOutbox<B extends Constructor<SqlBase>>(Base: B) {
  return class SqlOutbox extends Base {
    /**
     * The outbox insert's SQL for each row count (1 on SQLite, chunks on PostgreSQL), built once:
     * building it with Kysely for every logout was a visible share of a 100-application one.
     */
    readonly #insertDeliveriesSql = new Map<number, string>();

    /** The outbox insert; the transaction that ends a session writes it (sessions.ts). */
    insertDeliveries(rows: DeliveryTable[]): CompiledQuery {
      let sql = this.#insertDeliveriesSql.get(rows.length);
      if (!sql) {
        const placeholders = Object.fromEntries(DELIVERY_COLUMNS.map((c) => [c, null])) as unknown as DeliveryTable;
        const compiled = this.db.insertInto('deliveries').values(rows.map(() => placeholders)).compile();
        if (compiled.parameters.length !== rows.length * DELIVERY_COLUMNS.length) throw new Error('outbox insert: unexpected parameter layout');
        sql = compiled.sql;
        this.#insertDeliveriesSql.set(rows.length, sql);
      }
      const parameters: unknown[] = [];
      for (const row of rows) for (const column of DELIVERY_COLUMNS) parameters.push(row[column]);
      return CompiledQuery.raw(sql, parameters);
    }

    /**
     * Waiting deliveries (not final: completed_at null, on the waiting indexes) that the outbox
     * sends and nobody holds; on PostgreSQL locked as read, and those another node's claim holds
     * skipped, so nodes claiming at once take different ones.
     */
    #claimable(now: number) {
      const q = this.db.selectFrom('deliveries').where('completed_at', 'is', null).where('status', 'in', OUTBOX_NOT_FINAL)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]));
      return this.kind === 'postgres' ? q.forUpdate().skipLocked() : q;
    }

    /** Where the claim for everyone starts in the list of waiting applications (see below). */
    #targetsFrom = 0;

    async claimDeliveries(nodeId: string, now: number, leaseMs: number, limit: number, skipTargets: string[] = [], onlyTarget?: string): Promise<Delivery[]> {
      const due = onlyTarget !== undefined
        // an application's own: newest first (a revived application's new logouts before its backlog)
        ? this.#claimable(now).select('id').where('target', '=', onlyTarget).where('next_attempt_at', '<=', now).orderBy('next_attempt_at', 'desc').limit(limit)
        : skipTargets.length === 0
          ? this.#claimable(now).select('id').where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit)
          : await this.#dueSkipping(now, limit, skipTargets);
      const rows = await this.db.updateTable('deliveries')
        .set((eb) => ({ status: 'delivering', claimed_by: nodeId, claimed_until: now + leaseMs, updated_at: now, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toDelivery);
    }

    /**
     * The oldest due deliveries of the applications not skipped, and any past its deadline:
     * read application by application (the waiting-target index), so the backlogs of the skipped
     * ones (busy, or their circuit open; typically the largest) are not read past. The waiting
     * applications are found by a loose index scan (one index step each); a claim asks at most
     * TARGETS_PER_CLAIM of them, starting where the last one stopped.
     */
    async #dueSkipping(now: number, limit: number, skipTargets: string[]) {
      const skip = new Set(skipTargets);
      const waiting = (await sql<{ target: string }>`
        WITH RECURSIVE t(target) AS (
          SELECT MIN(target) FROM deliveries WHERE completed_at IS NULL
          UNION ALL
          SELECT (SELECT MIN(d.target) FROM deliveries d WHERE d.completed_at IS NULL AND d.target > t.target) FROM t WHERE t.target IS NOT NULL
        )
        SELECT target FROM t WHERE target IS NOT NULL`.execute(this.db)).rows.map((r) => r.target).filter((t) => !skip.has(t));
      const from = this.#targetsFrom % Math.max(waiting.length, 1);
      const asked = [...waiting.slice(from), ...waiting.slice(0, from)].slice(0, TARGETS_PER_CLAIM);
      this.#targetsFrom = from + asked.length;
      const parts = [
        ...asked.map((target) => this.#claimable(now).select(['id', 'next_attempt_at']).where('target', '=', target).where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit)),
        // past its deadline, skipped or not: claimed to be given up (never attempted)
        this.#claimable(now).select(['id', 'next_attempt_at']).where('deadline_at', '<=', now).orderBy('deadline_at').limit(limit),
      ].map((part, i) => this.db.selectFrom(part.as(`p${i}`)).select(['id', 'next_attempt_at']));
      const union = parts.slice(1).reduce((all, part) => all.unionAll(part), parts[0]!).orderBy('next_attempt_at').limit(limit);
      return this.db.selectFrom(union.as('due')).select('id');
    }

    async releaseClaims(nodeId: string, ids: string[]): Promise<void> {
      for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
        await this.db.updateTable('deliveries')
          .set((eb) => ({
            status: eb.case().when('attempts', '<=', 1).then('pending').else('retrying').end(),
            attempts: eb('attempts', '-', 1),
            claimed_by: null,
            claimed_until: null,
          }))
          .where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).where('claimed_by', '=', nodeId).where('status', '=', 'delivering')
          .execute();
      }
    }

    async finishAttempts(nodeId: string, outcomes: { id: string; outcome: AttemptOutcome }[]): Promise<Set<string>> {
      const recorded = new Set<string>();
      const now = Date.now();
      // identical outcomes (typically: delivered on the first attempt, in one flush) are one UPDATE
      const groups = new Map<string, { outcome: AttemptOutcome; ids: string[] }>();
      for (const { id, outcome } of outcomes) {
        const key = JSON.stringify(outcome);
        const group = groups.get(key) ?? { outcome, ids: [] };
        group.ids.push(id);
        groups.set(key, group);
      }
      await this.db.transaction().execute(async (trx) => {
        for (const { outcome, ids } of groups.values()) {
          for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
            const rows = await trx.updateTable('deliveries')
              .set((eb) => ({
                ...outcome,
                latency_ms: outcome.completed_at === null ? null : eb(eb.val(outcome.completed_at), '-', eb.ref('created_at')),
                claimed_by: null,
                claimed_until: null,
                updated_at: now,
              }))
              .where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).where('claimed_by', '=', nodeId).where('status', '=', 'delivering')
              .returning('id')
              .execute();
            for (const r of rows) recorded.add(r.id);
          }
        }
        // each recorded attempt in the delivery's history (one statement per chunk), except the
        // common case the delivery row tells whole — delivered at the first attempt — which keeps
        // a fan-out's writes as they were
        const events = outcomes.filter(({ id, outcome }) => recorded.has(id) && !(outcome.attempts === 1 && SUCCESS_STATUSES.has(outcome.status))).map(({ id, outcome }) => ({
          id: randomUUID(), delivery_id: id, at: now, event: 'attempt', status: outcome.status, detail: outcome.last_error,
        }));
        for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) await trx.insertInto('delivery_events').values(events.slice(i, i + ROWS_PER_STATEMENT)).execute();
      });
      return recorded;
    }

    async reportBrowserDeliveries(logoutId: string, reports: { id: string; status: DeliveryStatus; last_error: string | null; latency_ms: number | null }[], now: number): Promise<number> {
      let updated = 0;
      for (const report of reports) {
        const r = await this.db.updateTable('deliveries')
          .set({ status: report.status, last_error: report.last_error, latency_ms: report.latency_ms, attempts: 1, updated_at: now, completed_at: now })
          .where('id', '=', report.id).where('logout_id', '=', logoutId)
          .where('status', '=', 'awaiting_browser')
          .where('deadline_at', '>=', now) // past it, the delivery is timed out whether or not the sweep got there
          .executeTakeFirst();
        updated += Number(r.numUpdatedRows);
      }
      return updated;
    }

    async expireBrowserDeliveries(now: number): Promise<string[]> {
      const rows = await this.db.updateTable('deliveries')
        .set({ status: 'timed_out', last_error: 'the logout page did not report a result (closed or navigated away)', updated_at: now, completed_at: now })
        .where('completed_at', 'is', null).where('status', '=', 'awaiting_browser').where('deadline_at', '<', now)
        .returning('logout_id').execute();
      return [...new Set(rows.map((r) => r.logout_id))];
    }

    async completeLogoutIfDone(logoutId: string, now: number): Promise<LogoutRecord | undefined> {
      // One statement: concurrent callers (nodes, or the page and the worker) race on the row,
      // and only the one that flips completed_at gets it back.
      const deliveriesWhoseStatus = (op: 'in' | 'not in', statuses: string[]) => this.db.selectFrom('deliveries').select('id')
        .where('logout_id', '=', logoutId).where('status', op, statuses);
      const row = await this.db.updateTable('logout_records')
        .set((eb) => ({
          status: eb.case().when(eb.exists(deliveriesWhoseStatus('not in', [...SUCCESS_STATUSES]))).then('completed_with_failures').else('completed').end(),
          completed_at: now,
        }))
        .where('id', '=', logoutId).where('completed_at', 'is', null)
        .where((eb) => eb.not(eb.exists(deliveriesWhoseStatus('in', NOT_FINAL))))
        .returningAll()
        .executeTakeFirst();
      return row && toLogout(row);
    }

    async getLogout(id: string): Promise<(LogoutRecord & { deliveries: Delivery[] }) | undefined> {
      const row = await this.db.selectFrom('logout_records').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      const deliveries = await this.db.selectFrom('deliveries').selectAll().where('logout_id', '=', id)
        .orderBy('position').execute();
      return { ...toLogout(row), deliveries: deliveries.map(toDelivery) };
    }

    async listDeliveryEvents(logoutId: string): Promise<DeliveryEvent[]> {
      const rows = await this.db.selectFrom('delivery_events').innerJoin('deliveries', 'deliveries.id', 'delivery_events.delivery_id')
        .selectAll('delivery_events').where('deliveries.logout_id', '=', logoutId)
        .orderBy('delivery_events.at').orderBy('delivery_events.id').execute();
      return rows.map((r) => ({ ...r, at: Number(r.at), event: r.event as DeliveryEvent['event'], status: r.status as DeliveryStatus | null }));
    }

    async appendDeliveryEvents(events: DeliveryEvent[]): Promise<void> {
      for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) await this.db.insertInto('delivery_events').values(events.slice(i, i + ROWS_PER_STATEMENT)).execute();
    }

    async listLogouts({ account_id, status, limit, offset, before }: { account_id?: string; status?: LogoutStatus; limit: number; offset: number; before?: { at: number; id: string } }): Promise<LogoutRecord[]> {
      let q = this.db.selectFrom('logout_records').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset);
      if (before) q = q.where((eb) => eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]));
      if (account_id) q = q.where('account_id', '=', account_id);
      if (status) q = q.where('status', '=', status);
      return (await q.execute()).map(toLogout);
    }

    async deliveryQueueDepth(): Promise<Record<string, number>> {
      const rows = await this.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('completed_at', 'is', null).where('status', 'in', OUTBOX_NOT_FINAL).groupBy('status').execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    }

    async pruneLogouts(createdBefore: number, limit: number): Promise<number> {
      return this.db.transaction().execute(async (trx) => {
        const ids = (await trx.selectFrom('logout_records').select('id')
          .where('created_at', '<', createdBefore).where('completed_at', 'is not', null)
          .orderBy('created_at').limit(limit).execute()).map((r) => r.id);
        if (!ids.length) return 0;
        await trx.deleteFrom('delivery_events').where('delivery_id', 'in', trx.selectFrom('deliveries').select('id').where('logout_id', 'in', ids)).execute();
        await trx.deleteFrom('deliveries').where('logout_id', 'in', ids).execute();
        await trx.deleteFrom('logout_records').where('id', 'in', ids).execute();
        return ids.length;
      });
    }
  };
}
