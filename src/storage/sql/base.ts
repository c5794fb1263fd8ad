import { Kysely, Migrator } from 'kysely';
import type { ClientMetadata } from '../../clients/metadata.ts';
import { migrationProvider } from '../migrations.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Database } from '../schema.ts';

/** Rows or ids per statement, well under both backends' parameter limits. */
export const ROWS_PER_STATEMENT = 400;

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A stored client's metadata column: validated when it was written, so typed when read. */
export function parseClientMetadata(text: string): ClientMetadata {
  return JSON.parse(text) as ClientMetadata;
}

export type Constructor<T> = new (...args: any[]) => T;

const sessionRow = (db: Kysely<Database>, uid: string) => db.selectFrom('oidc_payloads').select(['id', 'payload']).where('model', '=', 'Session').where('uid', '=', uid);
const lockSessionSqlite = compiledOnce(sessionRow);
const lockSessionForUpdate = compiledOnce((db, uid: string) => sessionRow(db, uid).forUpdate());
/** Several sessions' rows, locked in uid order: two batches that share sessions wait, never deadlock. */
const sessionRows = (db: Kysely<Database>, uids: string[]) => db.selectFrom('oidc_payloads').select(['uid', 'id', 'payload'])
  .where('model', '=', 'Session').where('uid', 'in', uids).orderBy('uid');

/**
 * What every role of the SQL storage shares: the Kysely instance, which backend it is (database
 * differences are branches on `kind`, named where they are), migrations, and the per-session lock.
 */
export class SqlBase {
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

  /**
   * The oidc-provider Session with this uid, locked for the rest of the transaction: every
   * change to a session (its save, its SSO record, its end) takes this lock first, so changes
   * from one browser's parallel requests, on any node, are serialised. SQLite's single writer
   * connection serialises transactions already.
   */
  protected async lockSession(trx: Kysely<Database>, uid: string) {
    return (await (this.kind === 'postgres' ? lockSessionForUpdate : lockSessionSqlite)(trx, this.kind, uid)).rows[0];
  }

  /** lockSession for several sessions at once (one statement); each row with its uid. */
  protected async lockSessions(trx: Kysely<Database>, uids: string[]) {
    const rows = sessionRows(trx, uids);
    return (this.kind === 'postgres' ? rows.forUpdate() : rows).execute() as Promise<{ uid: string; id: string; payload: string }[]>;
  }
}
