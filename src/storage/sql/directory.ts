import type { ClientMetadata } from '../../clients/metadata.ts';
import { epochSeconds } from '../../time.ts';
import type { Kysely } from 'kysely';
import { ShortCache } from '../short-cache.ts';
import { compiledOnce } from './compiled-once.ts';
import type { ClientTable, Database, LoginFailureTable, UserTable } from '../schema.ts';
import { UniqueViolation, type LoginFailures, type StoredClient, type StoredConnection, type StoredSigningKey, type StoredUser } from '../types.ts';
import { isUniqueViolation, parseClientMetadata, ROWS_PER_STATEMENT, type Constructor, type SqlBase } from './base.ts';

function toLoginFailures(row: LoginFailureTable): LoginFailures {
  return { key: row.key, failures: Number(row.failures), window_started_at: Number(row.window_started_at), last_failure_at: Number(row.last_failure_at) };
}

/** How long a client's registration read is reused (see getClient). */
export const CLIENT_CACHE_MS = 1_000;

// on every sign-in (compiled-once.ts)
const clientRow = compiledOnce((db, clientId: string) => db.selectFrom('clients').selectAll().where('client_id', '=', clientId));
const userById = compiledOnce((db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id));

function toClient(r: ClientTable): StoredClient {
  return { ...r, source: r.source as StoredClient['source'], metadata: parseClientMetadata(r.metadata) };
}

/** The client_web_origins rows of one client's metadata. */
function webOriginRows(clientId: string, metadata: ClientMetadata) {
  const origins = new Set(metadata.web_origins ?? []);
  return [...origins].map((origin) => ({ origin, client_id: clientId }));
}

export function toUser(row: UserTable): StoredUser {
  return { ...row, profile: JSON.parse(row.profile), roles: JSON.parse(row.roles) as string[] };
}

export function userRow(user: StoredUser): UserTable {
  return { ...user, profile: JSON.stringify(user.profile), roles: JSON.stringify(user.roles) };
}

/** The clients with these ids, a statement per ROWS_PER_STATEMENT ids (also inside a transaction). */
export async function readClients(db: Kysely<Database>, clientIds: Iterable<string>): Promise<Map<string, StoredClient>> {
  const ids = [...new Set(clientIds)];
  const clients = new Map<string, StoredClient>();
  for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
    const rows = await db.selectFrom('clients').selectAll().where('client_id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).execute();
    for (const r of rows) clients.set(r.client_id, toClient(r));
  }
  return clients;
}

/** Who and what Adieu knows: clients, users and their upstream identities, failed sign-ins, connections, keys, settings. */
export function withDirectory<B extends Constructor<SqlBase>>(Base: B) {
  return class SqlDirectory extends Base {
    async listClients(): Promise<StoredClient[]> {
      const rows = await this.db.selectFrom('clients').selectAll().orderBy('client_id').execute();
      return rows.map(toClient);
    }

    async getClients(clientIds: Iterable<string>): Promise<Map<string, StoredClient>> {
      return readClients(this.db, clientIds);
    }

    /**
     * Every authorization and token request reads its client: kept for CLIENT_CACHE_MS. A change
     * made through this node is seen at once; one made through another node (PostgreSQL) within
     * CLIENT_CACHE_MS.
     */
    readonly #clients = new ShortCache<StoredClient | undefined>(CLIENT_CACHE_MS, async (clientId) => {
      const r = (await clientRow(this.db, this.kind, clientId)).rows[0];
      return r && toClient(r);
    });

    /** A change to a client, in a transaction; its cached read is forgotten once it committed. */
    async #changingClient<T>(clientId: string, change: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
      try {
        return await this.db.transaction().execute(change);
      } finally {
        this.#clients.delete(clientId);
      }
    }

    async getClient(clientId: string): Promise<StoredClient | undefined> {
      const client = await this.#clients.get(clientId);
      // a copy: callers may change what they get
      return client && { ...client, metadata: structuredClone(client.metadata) };
    }

    async putClient(clientId: string, metadata: ClientMetadata, source: StoredClient['source']): Promise<boolean> {
      const t = epochSeconds();
      return this.#changingClient(clientId, async (trx) => {
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
      return this.#changingClient(clientId, async (trx) => {
        await trx.deleteFrom('client_web_origins').where('client_id', '=', clientId).execute();
        const r = await trx.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    }

    async isWebOrigin(origin: string): Promise<boolean> {
      return !!(await this.db.selectFrom('client_web_origins').select('client_id').where('origin', '=', origin).limit(1).executeTakeFirst());
    }

    async listUsers({ connection, limit, offset }: { connection?: string; limit: number; offset: number }): Promise<StoredUser[]> {
      let q = this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset);
      if (connection) q = q.where('connection', '=', connection);
      return (await q.execute()).map(toUser);
    }

    async getUser(id: string): Promise<StoredUser | undefined> {
      const r = (await userById(this.db, this.kind, id)).rows[0];
      return r && toUser(r);
    }

    /**
     * A silent sign-in reads its user twice (the authorization, the ID token's claims): kept for
     * CLIENT_CACHE_MS as a client's registration is. A change made through this node is seen at
     * once; one made through another node within CLIENT_CACHE_MS (ending the user's sessions,
     * which deleting or re-passwording does, takes effect at once: their grants and codes are gone).
     */
    readonly #accounts = new ShortCache<StoredUser | undefined>(CLIENT_CACHE_MS, (id) => this.getUser(id));

    async getAccount(id: string): Promise<StoredUser | undefined> {
      return this.#accounts.get(id);
    }

    async findUser(connection: string, username: string): Promise<StoredUser | undefined> {
      const r = await this.db.selectFrom('users').selectAll()
        .where('connection', '=', connection).where('username', '=', username).executeTakeFirst();
      return r && toUser(r);
    }

    async createUser(user: StoredUser): Promise<void> {
      try {
        await this.db.insertInto('users').values(userRow(user)).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new UniqueViolation(`user ${user.username} already exists in connection ${user.connection}`);
        throw err;
      }
    }

    async updateUser(id: string, patch: Partial<Pick<StoredUser, 'username' | 'email' | 'password_hash' | 'profile' | 'roles'>>): Promise<StoredUser | undefined> {
      const { profile, roles, ...rest } = patch;
      try {
        await this.db.updateTable('users')
          .set({ ...rest, ...(profile ? { profile: JSON.stringify(profile) } : {}), ...(roles ? { roles: JSON.stringify(roles) } : {}), updated_at: epochSeconds() })
          .where('id', '=', id).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new UniqueViolation(`username ${patch.username} is taken in this connection`);
        throw err;
      }
      this.#accounts.delete(id);
      return this.getUser(id);
    }

    async deleteUser(id: string): Promise<boolean> {
      try {
        return await this.db.transaction().execute(async (trx) => {
          await trx.deleteFrom('identities').where('user_id', '=', id).execute();
          const r = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
          return Number(r.numDeletedRows) > 0;
        });
      } finally {
        this.#accounts.delete(id);
      }
    }

    async findUserByIdentity(connection: string, subject: string): Promise<StoredUser | undefined> {
      const r = await this.db.selectFrom('identities').innerJoin('users', 'users.id', 'identities.user_id').selectAll('users')
        .where('identities.connection', '=', connection).where('identities.subject', '=', subject).executeTakeFirst();
      return r && toUser(r);
    }

    async linkIdentity(connection: string, subject: string, user: StoredUser, { create = false } = {}): Promise<void> {
      try {
        await this.db.transaction().execute(async (trx) => {
          if (create) await trx.insertInto('users').values(userRow(user)).execute();
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
  };
}
