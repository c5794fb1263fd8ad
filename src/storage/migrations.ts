import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

// Migrations are code, kept in order; the same schema builder calls run on SQLite and PostgreSQL.
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('oidc_payloads')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('user_code', 'text')
        .addColumn('uid', 'text')
        .addColumn('account_id', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
        .execute();
      await db.schema.createIndex('oidc_payloads_grant_id').on('oidc_payloads').column('grant_id').execute();
      await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['model', 'uid']).execute();
      await db.schema.createIndex('oidc_payloads_user_code').on('oidc_payloads').columns(['model', 'user_code']).execute();
      await db.schema.createIndex('oidc_payloads_expires_at').on('oidc_payloads').column('expires_at').execute();

      await db.schema.createTable('clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema.createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('users_connection_username', ['connection', 'username'])
        .execute();

      await db.schema.createTable('connections')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('strategy', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema.createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();

      await db.schema.createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema.createTable('sso_sessions')
        .addColumn('uid', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('connection_name', 'text', (c) => c.notNull())
        .addColumn('connection_strategy', 'text', (c) => c.notNull())
        .addColumn('clients', 'text', (c) => c.notNull())
        .addColumn('last_used_client_id', 'text')
        .addColumn('upstream', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sso_sessions_account_id').on('sso_sessions').column('account_id').execute();
    },
  },
  '0002_logout_propagation': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('logout_records')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('username', 'text')
        .addColumn('session_uid', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('return_to', 'text')
        .addColumn('page_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('logout_records_account').on('logout_records').columns(['account_id', 'created_at']).execute();
      await db.schema.createIndex('logout_records_created').on('logout_records').column('created_at').execute();

      await db.schema.createTable('deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('logout_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_name', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('sid', 'text')
        .addColumn('sub', 'text')
        .addColumn('include_sid', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('latency_ms', 'integer')
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('deadline_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('deliveries_logout').on('deliveries').column('logout_id').execute();
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['channel', 'status', 'next_attempt_at']).execute();
    },
  },
  // /user/ssodata checks a browser's Origin on every application page load: an indexed lookup
  // instead of reading every client's metadata
  '0003_client_web_origins': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('client_web_origins')
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('client_web_origins_pk', ['origin', 'client_id'])
        .execute();
      await db.schema.createIndex('client_web_origins_client').on('client_web_origins').column('client_id').execute();
      // frozen: the rows as web_origins were stored then, not through application code that may change
      const clients = await db.selectFrom('clients').select(['client_id', 'metadata']).execute();
      const rows = clients.flatMap((c: { client_id: string; metadata: string }) => {
        const origins = new Set((JSON.parse(c.metadata).web_origins as string[] | undefined) ?? []);
        return [...origins].map((origin) => ({ origin, client_id: c.client_id }));
      });
      if (rows.length) await db.insertInto('client_web_origins').values(rows).execute();
    },
  },
  // Federated users are found by (connection, upstream sub), never by a name or email the
  // upstream asserts; failed sign-ins are counted where every node sees them.
  '0004_identities_and_login_throttle': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('identities')
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('identities_pk', ['connection', 'subject'])
        .execute();
      await db.schema.createIndex('identities_user').on('identities').column('user_id').execute();
      await db.schema.createIndex('users_email').on('users').column('email').execute();
      // frozen: users created from an upstream before this kept its sub in profile.upstream_sub
      const users = await db.selectFrom('users').select(['id', 'connection', 'profile', 'created_at']).execute();
      for (const u of users as { id: string; connection: string; profile: string; created_at: number }[]) {
        const sub = (JSON.parse(u.profile) as { upstream_sub?: unknown }).upstream_sub;
        if (typeof sub === 'string' && sub) {
          await db.insertInto('identities').values({ connection: u.connection, subject: sub, user_id: u.id, created_at: u.created_at }).execute();
        }
      }

      await db.schema.createTable('login_failures')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', 'bigint', (c) => c.notNull())
        .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_failures_last').on('login_failures').column('last_failure_at').execute();
    },
  },
  // The outbox is found by status (which deliveries Adieu sends itself), whatever the channel:
  // channels are pluggable (src/logout/channels), the index no longer names them.
  '0005_deliveries_due_by_status': {
    async up(db: Kysely<any>) {
      await db.schema.createIndex('deliveries_due_status').on('deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.dropIndex('deliveries_due').execute();
    },
  },
  // What a channel needs from the registration and the session beyond target and sid, fixed when
  // the logout is planned (JSON): a SAML SP's NameID exactly as its sign-in issued it (SAML core
  // §3.7.1), the algorithm an OIDC client's tokens are signed with.
  '0006_deliveries_channel_params': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('deliveries').addColumn('channel_params', 'text').execute();
    },
  },
  // The admin console: roles on users, who caused each logout, an audit log of admin actions, and the indexes its lists
  // and figures page on (sessions by expiry, deliveries by completion per application, users by name).
  '0007_console': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('users').addColumn('roles', 'text', (c) => c.notNull().defaultTo('[]')).execute();
      await db.schema.createIndex('users_username').on('users').column('username').execute();
      await db.schema.createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
      await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'at']).execute();
      await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'at']).execute();
      await db.schema.createIndex('sso_sessions_expires_at').on('sso_sessions').column('expires_at').execute();
      await db.schema.createIndex('deliveries_completed').on('deliveries').columns(['completed_at']).execute();
      await db.schema.createIndex('deliveries_client_completed').on('deliveries').columns(['client_id', 'completed_at']).execute();
      await db.schema.alterTable('logout_records').addColumn('actor', 'text').execute();
      await db.schema.createIndex('logout_records_session').on('logout_records').columns(['session_uid']).execute();
    },
  },
  // A delivery's history for the admin's trace: each attempt's time and result, and what admins
  // did to it (retry, cancel); the delivery row keeps only the latest.
  '0008_delivery_events': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('delivery_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('status', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('delivery_events_delivery').on('delivery_events').columns(['delivery_id', 'at']).execute();
    },
  },
  // A slot freed at a busy application claims that application's next deliveries (outbox-worker.ts):
  // found by target, in due order, without reading the rest of the outbox.
  '0009_deliveries_due_by_target': {
    async up(db: Kysely<any>) {
      await db.schema.createIndex('deliveries_target_due').on('deliveries').columns(['target', 'status', 'next_attempt_at']).execute();
    },
  },
  // The deliveries still waiting (completed_at null) are a small, moving part of a table that keeps
  // its history: indexed alone, so a claim reads only them. The oldest due; an application's own
  // (and which applications have any: a loose scan of target, one index step per application);
  // what passed its deadline. The claim for everyone no longer reads past the backlog of an
  // application it skips (busy, or its circuit open): 80 ms a claim at 200k waiting rows on SQLite.
  // The index of completion times holds the completed only: SQLite (no statistics) took it for
  // `completed_at IS NULL` over these.
  '0010_deliveries_waiting': {
    async up(db: Kysely<any>) {
      await db.schema.createIndex('deliveries_waiting_due').on('deliveries').column('next_attempt_at').where(sql.ref('completed_at'), 'is', null).execute();
      await db.schema.createIndex('deliveries_waiting_target').on('deliveries').columns(['target', 'next_attempt_at']).where(sql.ref('completed_at'), 'is', null).execute();
      await db.schema.createIndex('deliveries_waiting_deadline').on('deliveries').column('deadline_at').where(sql.ref('completed_at'), 'is', null).execute();
      await db.schema.dropIndex('deliveries_target_due').execute();
      await db.schema.dropIndex('deliveries_due_status').execute();
      await db.schema.dropIndex('deliveries_completed').execute();
      await db.schema.createIndex('deliveries_completed').on('deliveries').column('completed_at').where(sql.ref('completed_at'), 'is not', null).execute();
    },
  },
  // oidc-provider payloads indexed only where the column is set: an authorization code or access
  // token (no uid, no user code) went into the (model, uid) and (model, user_code) indexes as
  // NULLs, and a Session or Interaction (no grant) into grant_id — index entries every sign-in
  // wrote and nothing reads. Lookups are by equality or IN, which both planners match to an
  // `IS NOT NULL` partial index.
  '0011_payload_indexes_where_set': {
    async up(db: Kysely<any>) {
      const indexes: [string, string[], string][] = [
        ['oidc_payloads_grant_id', ['grant_id'], 'grant_id'],
        ['oidc_payloads_uid', ['model', 'uid'], 'uid'],
        ['oidc_payloads_user_code', ['model', 'user_code'], 'user_code'],
      ];
      for (const [name, columns, set] of indexes) {
        await db.schema.dropIndex(name).execute();
        await db.schema.createIndex(name).on('oidc_payloads').columns(columns).where(sql.ref(set), 'is not', null).execute();
      }
    },
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
