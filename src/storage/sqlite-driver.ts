import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The SQLite driver for the running Node. better-sqlite3 12 (raw `node::ObjectWrap`) aborts the
 * process on Node 24 when a Database or Statement is finalized after its environment is gone — at
 * exit, or when a worker thread ends (`Assertion failed: (env) != nullptr` in
 * RemoveEnvironmentCleanupHook; WiseLibs/better-sqlite3#1515, closed without a fix). 13 is built on
 * Node-API and does not, but it needs Node 22 and crashes on Node 20. So Node 22+ loads 13 (the
 * `better-sqlite3-napi` alias in package.json) and Node 20 loads 12; same API. Drop 12 and the
 * alias with Node 20.
 */
const SQLITE_DRIVER = Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The driver's constructor (typed as better-sqlite3's: the two versions share their API). */
export const Sqlite: typeof BetterSqlite3 = require(SQLITE_DRIVER);

/** Where the driver's module lives, for worker threads that load it themselves. */
export const sqliteDriverPath = (): string => require.resolve(SQLITE_DRIVER);
