import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { SqlStorage } from './sql-storage.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import { Sqlite } from './sqlite-driver.ts';
import type { Storage } from './types.ts';

export type StorageConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; pool_size?: number };

const INT8_OID = 20;

const STATEMENT_CACHE_SIZE = 500;
const SQLITE_CACHE_KIB = 64 * 1024;
const SQLITE_MMAP_BYTES = 256 * 1024 * 1024;

/**
 * Kysely's SQLite driver prepares every query anew, and SQLite compiles SQL on every prepare: a
 * quarter of the cost of writing a 100-delivery outbox (bench/fanout.ts). Statements are reused
 * instead, keyed by their SQL. Safe because the driver runs one query at a time on its single
 * connection and we never stream (an iterating statement cannot run twice at once).
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement) {
        // most recently used last, so the first entry is the one to evict
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/** Opens a backend and brings its schema up to date. */
export async function openStorage(config: StorageConfig, onError: (err: Error) => void = () => {}): Promise<Storage> {
  let storage: SqlStorage;
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const database = new Sqlite(config.path);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('synchronous = NORMAL');
    // SQLite's own page cache is 2 MB: at a million sessions every insert's index pages would be
    // read back through the kernel. 64 MB of cache and reads mapped from the file keep the
    // sign-in rate flat as the database grows (npm run bench scale).
    database.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    database.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    const checkpointer = config.path === ':memory:' ? undefined : startCheckpointer(database, config.path, onError);
    storage = new SqlStorage(
      new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }),
      'sqlite',
      async () => checkpointer?.stop(),
    );
  } else {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.pool_size ?? 10,
      // epoch seconds are bigint columns; they fit a JS number
      types: { getTypeParser: ((oid: number, format?: any) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format))) as any },
    });
    // An idle connection can die (database restart, admin termination): pg-pool drops it and the
    // next query opens a new one. Without a listener the 'error' event would crash the process.
    pool.on('error', onError);
    storage = new SqlStorage(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), 'postgres');
  }
  try {
    await storage.migrate();
  } catch (err) {
    await storage.close().catch(() => {});
    throw err;
  }
  return storage;
}
