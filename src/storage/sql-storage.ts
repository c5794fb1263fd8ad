import { CompiledQuery, Kysely, Migrator } from 'kysely';
import type { Database, DeliveryTable, LoginFailureTable, LogoutRecordTable, SsoSessionTable, UserTable } from './schema.ts';
import { migrationProvider } from './migrations.ts';
import { epochSeconds } from '../time.ts';
import {
  UniqueViolation,
  type Json, type Storage, type StoredClient, type StoredConnection, type StoredSigningKey,
  type StoredUser, type SsoSessionRecord, type EndedSessionData, type LoginFailures,
  SUCCESS_STATUSES,
  type AttemptOutcome, type Delivery, type DeliveryStatus, type LogoutPlan, type LogoutRecord, type LogoutStatus,
} from './types.ts';

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toLoginFailures(row: LoginFailureTable): LoginFailures {
  return { key: row.key, failures: Number(row.failures), window_started_at: Number(row.window_started_at), last_failure_at: Number(row.last_failure_at) };
}

/** The client_web_origins rows of one client's metadata. */
function webOriginRows(clientId: string, metadata: Record<string, unknown>) {
  const origins = new Set((metadata.web_origins as string[] | undefined) ?? []);
  return [...origins].map((origin) => ({ origin, client_id: clientId }));
}

function toUser(row: UserTable): StoredUser {
  return { ...row, profile: JSON.parse(row.profile) };
}

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

function toDelivery(r: DeliveryTable): Delivery {
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
  'id', 'logout_id', 'position', 'client_id', 'client_name', 'channel', 'target', 'sid', 'sub', 'include_sid', 'status',
  'attempts', 'last_error', 'latency_ms', 'next_attempt_at', 'deadline_at', 'claimed_by', 'claimed_until', 'created_at',
  'updated_at', 'completed_at',
] as const satisfies readonly (keyof DeliveryTable)[];
// every column, or a new one would silently not be written
const everyDeliveryColumn: Exclude<keyof DeliveryTable, (typeof DELIVERY_COLUMNS)[number]> extends never ? true : never = true;
void everyDeliveryColumn;

/** Not final yet: a delivery Adieu sends itself (outbox), or one the browser loads. */
const OUTBOX_NOT_FINAL = ['pending', 'delivering', 'retrying'];
const NOT_FINAL = [...OUTBOX_NOT_FINAL, 'awaiting_browser'];
/** Rows or ids per statement, well under both backends' parameter limits. */
const ROWS_PER_STATEMENT = 400;

/**
 * The Storage implementation for every SQL backend. Only the Kysely dialect differs between
 * SQLite and PostgreSQL; the queries below are written in the subset both understand.
 */
export class SqlStorage implements Storage {
  constructor(
    readonly db: Kysely<Database>,
    readonly kind: 'sqlite' | 'postgres',
    /** Runs before the connections close (SQLite: stops the checkpoint worker). */
    private readonly beforeClose: () => Promise<void> = async () => {},
  ) {}

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`storage migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.beforeClose();
    await this.db.destroy();
  }

  // --- oidc-provider payloads -------------------------------------------------------------

  async upsertPayload(model: string, id: string, payload: Json, expiresAt: number | null): Promise<void> {
    await SqlStorage.writePayload(this.db, model, id, payload, expiresAt);
  }

  private static async writePayload(db: Kysely<Database>, model: string, id: string, payload: Json, expiresAt: number | null) {
    const row = {
      model,
      id,
      payload: JSON.stringify(payload),
      grant_id: (payload.grantId as string | undefined) ?? null,
      user_code: (payload.userCode as string | undefined) ?? null,
      uid: (payload.uid as string | undefined) ?? null,
      account_id: (payload.accountId as string | undefined) ?? null,
      expires_at: expiresAt,
      consumed_at: null,
    };
    await db.insertInto('oidc_payloads').values(row)
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({
        payload: row.payload,
        grant_id: row.grant_id,
        user_code: row.user_code,
        uid: row.uid,
        account_id: row.account_id,
        expires_at: row.expires_at,
      }))
      .execute();
  }

  /**
   * The oidc-provider Session with this uid, locked for the rest of the transaction: every
   * change to a session (its save, its SSO record, its end) takes this lock first, so changes
   * from one browser's parallel requests, on any node, are serialised. SQLite's single writer
   * connection serialises transactions already.
   */
  private lockSession(trx: Kysely<Database>, uid: string) {
    let q = trx.selectFrom('oidc_payloads').select(['id', 'payload'])
      .where('model', '=', 'Session').where('uid', '=', uid);
    if (this.kind === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  async saveSession(payload: Json & { uid: string; jti: string }, expiresAt: number | null, merge: (stored: Json | undefined) => Json | undefined): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const stored = await this.lockSession(trx, payload.uid);
      const merged = merge(stored ? JSON.parse(stored.payload) : undefined);
      if (!merged) return false;
      // another request may have rotated the session's id meanwhile: the row keeps its id
      const id = stored && merged.jti !== payload.jti ? stored.id : String(merged.jti);
      if (stored && stored.id !== id) await trx.deleteFrom('oidc_payloads').where('model', '=', 'Session').where('id', '=', stored.id).execute();
      await SqlStorage.writePayload(trx, 'Session', id, merged, expiresAt);
      return true;
    });
  }

  private livePayloads(model: string) {
    return this.db.selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('model', '=', model)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', epochSeconds())]));
  }

  private static withConsumed(row: { payload: string; consumed_at: number | null } | undefined): Json | undefined {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as Json;
    if (row.consumed_at != null) payload.consumed = Number(row.consumed_at);
    return payload;
  }

  async findPayload(model: string, id: string): Promise<Json | undefined> {
    return SqlStorage.withConsumed(await this.livePayloads(model).where('id', '=', id).executeTakeFirst());
  }

  async findPayloadBy(model: string, column: 'uid' | 'user_code', value: string): Promise<Json | undefined> {
    return SqlStorage.withConsumed(await this.livePayloads(model).where(column, '=', value).executeTakeFirst());
  }

  async consumePayload(model: string, id: string, at: number): Promise<boolean> {
    // compare-and-set: of two concurrent uses exactly one consumes
    const r = await this.db.updateTable('oidc_payloads').set({ consumed_at: at })
      .where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async revokeGrant(grantId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
      await trx.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', '=', grantId).execute();
    });
  }

  async destroyPayload(model: string, id: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();
  }

  // --- clients -----------------------------------------------------------------------------

  async listClients(): Promise<StoredClient[]> {
    const rows = await this.db.selectFrom('clients').selectAll().orderBy('client_id').execute();
    return rows.map((r) => ({ ...r, source: r.source as StoredClient['source'], metadata: JSON.parse(r.metadata) }));
  }

  async getClient(clientId: string): Promise<StoredClient | undefined> {
    const r = await this.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return r && { ...r, source: r.source as StoredClient['source'], metadata: JSON.parse(r.metadata) };
  }

  async putClient(clientId: string, metadata: Json, source: StoredClient['source']): Promise<boolean> {
    const t = epochSeconds();
    return this.db.transaction().execute(async (trx) => {
      const existed = await trx.selectFrom('clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst();
      await trx.insertInto('clients')
        .values({ client_id: clientId, metadata: JSON.stringify(metadata), source, created_at: t, updated_at: t })
        .onConflict((oc) => oc.column('client_id').doUpdateSet({ metadata: JSON.stringify(metadata), source, updated_at: t }))
        .execute();
      await trx.deleteFrom('client_web_origins').where('client_id', '=', clientId).execute();
      const origins = webOriginRows(clientId, metadata);
      if (origins.length) await trx.insertInto('client_web_origins').values(origins).execute();
      return !existed;
    });
  }

  async deleteClient(clientId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('client_web_origins').where('client_id', '=', clientId).execute();
      const r = await trx.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async isWebOrigin(origin: string): Promise<boolean> {
    return !!(await this.db.selectFrom('client_web_origins').select('client_id').where('origin', '=', origin).limit(1).executeTakeFirst());
  }

  // --- users -------------------------------------------------------------------------------

  async listUsers({ connection, limit, offset }: { connection?: string; limit: number; offset: number }): Promise<StoredUser[]> {
    let q = this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset);
    if (connection) q = q.where('connection', '=', connection);
    return (await q.execute()).map(toUser);
  }

  async getUser(id: string): Promise<StoredUser | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  async findUser(connection: string, username: string): Promise<StoredUser | undefined> {
    const r = await this.db.selectFrom('users').selectAll()
      .where('connection', '=', connection).where('username', '=', username).executeTakeFirst();
    return r && toUser(r);
  }

  async createUser(user: StoredUser): Promise<void> {
    try {
      await this.db.insertInto('users').values({ ...user, profile: JSON.stringify(user.profile) }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueViolation(`user ${user.username} already exists in connection ${user.connection}`);
      throw err;
    }
  }

  async updateUser(id: string, patch: Partial<Pick<StoredUser, 'username' | 'email' | 'password_hash' | 'profile'>>): Promise<StoredUser | undefined> {
    const { profile, ...rest } = patch;
    try {
      await this.db.updateTable('users')
        .set({ ...rest, ...(profile ? { profile: JSON.stringify(profile) } : {}), updated_at: epochSeconds() })
        .where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueViolation(`username ${patch.username} is taken in this connection`);
      throw err;
    }
    return this.getUser(id);
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('identities').where('user_id', '=', id).execute();
      const r = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async findUserByIdentity(connection: string, subject: string): Promise<StoredUser | undefined> {
    const r = await this.db.selectFrom('identities').innerJoin('users', 'users.id', 'identities.user_id').selectAll('users')
      .where('identities.connection', '=', connection).where('identities.subject', '=', subject).executeTakeFirst();
    return r && toUser(r);
  }

  async linkIdentity(connection: string, subject: string, user: StoredUser, { create = false } = {}): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        if (create) await trx.insertInto('users').values({ ...user, profile: JSON.stringify(user.profile) }).execute();
        await trx.insertInto('identities').values({ connection, subject, user_id: user.id, created_at: epochSeconds() }).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueViolation(`identity ${subject} of connection ${connection} (or user ${user.username}) already exists`);
      throw err;
    }
  }

  async findUsersByEmail(email: string, limit: number): Promise<StoredUser[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('email', '=', email).orderBy('created_at').limit(limit).execute();
    return rows.map(toUser);
  }

  // --- failed sign-ins -------------------------------------------------------------------------

  async recordLoginFailure(keys: string[], now_ms: number, window_ms: number): Promise<LoginFailures[]> {
    const out: LoginFailures[] = [];
    for (const key of keys) {
      const stale = now_ms - window_ms;
      const row = await this.db.insertInto('login_failures')
        .values({ key, failures: 1, window_started_at: now_ms, last_failure_at: now_ms })
        .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({
          failures: eb.case().when('login_failures.window_started_at', '<', stale).then(1).else(eb('login_failures.failures', '+', 1)).end(),
          window_started_at: eb.case().when('login_failures.window_started_at', '<', stale).then(now_ms).else(eb.ref('login_failures.window_started_at')).end(),
          last_failure_at: now_ms,
        })))
        .returningAll().executeTakeFirstOrThrow();
      out.push(toLoginFailures(row));
    }
    return out;
  }

  async getLoginFailures(keys: string[]): Promise<LoginFailures[]> {
    if (!keys.length) return [];
    return (await this.db.selectFrom('login_failures').selectAll().where('key', 'in', keys).execute()).map(toLoginFailures);
  }

  async clearLoginFailures(keys: string[]): Promise<void> {
    if (keys.length) await this.db.deleteFrom('login_failures').where('key', 'in', keys).execute();
  }

  async pruneLoginFailures(before_ms: number, limit: number): Promise<number> {
    const r = await this.db.deleteFrom('login_failures')
      .where('key', 'in', (eb) => eb.selectFrom('login_failures').select('key').where('last_failure_at', '<', before_ms).limit(limit))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // --- connections, keys, settings -----------------------------------------------------------

  async putConnection(c: StoredConnection): Promise<void> {
    const values = { name: c.name, type: c.type, strategy: c.strategy, options: JSON.stringify(c.options), updated_at: epochSeconds() };
    await this.db.insertInto('connections').values(values)
      .onConflict((oc) => oc.column('name').doUpdateSet({ type: values.type, strategy: values.strategy, options: values.options, updated_at: values.updated_at }))
      .execute();
  }

  async listConnections(): Promise<StoredConnection[]> {
    const rows = await this.db.selectFrom('connections').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, type: r.type as StoredConnection['type'], strategy: r.strategy, options: JSON.parse(r.options) }));
  }

  async listSigningKeys(): Promise<StoredSigningKey[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map((r) => ({
      ...r,
      private_jwk: JSON.parse(r.private_jwk),
      created_at: Number(r.created_at),
      retired_at: r.retired_at == null ? null : Number(r.retired_at),
    }));
  }

  async addSigningKey(key: StoredSigningKey): Promise<void> {
    await this.db.insertInto('signing_keys').values({ ...key, private_jwk: JSON.stringify(key.private_jwk) }).execute();
  }

  async getSetting(key: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r?.value;
  }

  async setSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.getSetting(key))!;
  }

  // --- SSO sessions ----------------------------------------------------------------------------

  async saveSsoSession(s: SsoSessionRecord): Promise<void> {
    await SqlStorage.writeSsoSession(this.db, s);
  }

  private static async writeSsoSession(db: Kysely<Database>, s: SsoSessionRecord) {
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

  async updateSsoSession(uid: string, update: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined): Promise<SsoSessionRecord | undefined> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await this.lockSession(trx, uid))) return undefined; // ended meanwhile
      const row = await trx.selectFrom('sso_sessions').selectAll().where('uid', '=', uid).executeTakeFirst();
      const next = update(row && toSsoSession(row));
      if (next) await SqlStorage.writeSsoSession(trx, next);
      return next;
    });
  }

  async getSsoSession(uid: string): Promise<SsoSessionRecord | undefined> {
    const r = await this.db.selectFrom('sso_sessions').selectAll().where('uid', '=', uid).executeTakeFirst();
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
      const row = await trx.selectFrom('sso_sessions').selectAll().where('uid', '=', uid).executeTakeFirst();
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
      const clients = new Map<string, Json>();
      for (let i = 0; i < clientIds.length; i += ROWS_PER_STATEMENT) {
        const rows = await trx.selectFrom('clients').select(['client_id', 'metadata'])
          .where('client_id', 'in', clientIds.slice(i, i + ROWS_PER_STATEMENT)).execute();
        for (const r of rows) clients.set(r.client_id, JSON.parse(r.metadata));
      }
      const ended: EndedSessionData = { record, session, revokedGrantIds, clientMetadata: clients };
      // the outbox: the logout and its deliveries commit with the session's end, or not at all
      const logout = (ended.record || ended.session) ? plan?.(ended) : undefined;
      if (logout) {
        await trx.insertInto('logout_records').values(logout.record).execute();
        const claim = logout.claim;
        const rows = logout.deliveries.map((d): DeliveryTable => {
          const claimed = claim?.ids.has(d.id) ?? false;
          return { ...d, include_sid: d.include_sid ? 1 : 0, claimed_by: claimed ? claim!.nodeId : null, claimed_until: claimed ? claim!.until : null };
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

  /**
   * The outbox insert's SQL for each row count (1 on SQLite, chunks on PostgreSQL), built once:
   * building it with Kysely for every logout was a visible share of a 100-application one.
   */
  readonly #insertDeliveriesSql = new Map<number, string>();

  private insertDeliveries(rows: DeliveryTable[]): CompiledQuery {
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

  async claimDeliveries(nodeId: string, now: number, leaseMs: number, limit: number, skipTargets: string[] = []): Promise<Delivery[]> {
    // the statuses say which deliveries Adieu sends itself, whatever their channel
    let due = this.db.selectFrom('deliveries').select('id')
      .where('status', 'in', OUTBOX_NOT_FINAL)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('next_attempt_at').limit(limit);
    const skip = skipTargets.slice(0, ROWS_PER_STATEMENT);
    if (skip.length) due = due.where((eb) => eb.or([eb('target', 'not in', skip), eb('deadline_at', '<=', now)]));
    if (this.kind === 'postgres') due = due.forUpdate().skipLocked();
    const rows = await this.db.updateTable('deliveries')
      .set((eb) => ({ status: 'delivering', claimed_by: nodeId, claimed_until: now + leaseMs, updated_at: now, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', due)
      .returningAll()
      .execute();
    return rows.map(toDelivery);
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
      .where('status', '=', 'awaiting_browser').where('deadline_at', '<', now)
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

  async listLogouts({ account_id, status, limit, offset }: { account_id?: string; status?: LogoutStatus; limit: number; offset: number }): Promise<LogoutRecord[]> {
    let q = this.db.selectFrom('logout_records').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset);
    if (account_id) q = q.where('account_id', '=', account_id);
    if (status) q = q.where('status', '=', status);
    return (await q.execute()).map(toLogout);
  }

  async deliveryQueueDepth(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', OUTBOX_NOT_FINAL).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async listExpiredSsoSessions(at: number, limit: number): Promise<SsoSessionRecord[]> {
    const rows = await this.db.selectFrom('sso_sessions').selectAll()
      .where('expires_at', '<=', at).orderBy('expires_at').limit(limit).execute();
    return rows.map(toSsoSession);
  }

  async sweepExpiredPayloads(at: number, limit: number): Promise<number> {
    // A provider Session that an SSO record holds ends through endSession (its applications are
    // told); one without (never signed in: a cookie-less end-session request) is only a row.
    const r = await this.db.deleteFrom('oidc_payloads')
      .where((eb) => eb(eb.refTuple('model', 'id'), 'in', eb.selectFrom('oidc_payloads as p').select(['p.model', 'p.id'])
        .where('p.expires_at', '<=', at)
        .where((w) => w.or([
          w('p.model', '!=', 'Session'),
          w.not(w.exists(w.selectFrom('sso_sessions as s').select('s.uid').whereRef('s.uid', '=', 'p.uid'))),
        ]))
        .limit(limit)
        .$asTuple('model', 'id')))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async pruneLogouts(createdBefore: number, limit: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const ids = (await trx.selectFrom('logout_records').select('id')
        .where('created_at', '<', createdBefore).where('completed_at', 'is not', null)
        .orderBy('created_at').limit(limit).execute()).map((r) => r.id);
      if (!ids.length) return 0;
      await trx.deleteFrom('deliveries').where('logout_id', 'in', ids).execute();
      await trx.deleteFrom('logout_records').where('id', 'in', ids).execute();
      return ids.length;
    });
  }
}

