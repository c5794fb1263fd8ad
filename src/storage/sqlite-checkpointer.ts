import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteDriverPath } from './sqlite-driver.ts';

const CHECKPOINT_INTERVAL_MS = 1_000;
const STOP_TIMEOUT_MS = 2_000;
/** SQLite's own automatic checkpoint threshold, restored should the worker fail. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

// Plain JavaScript evaluated in the worker: it needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); }
  catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/**
 * Moves SQLite's WAL checkpoints off the event loop. SQLite runs them inside whichever commit
 * crosses the threshold, so one write in ten or so paid for copying the log into the database
 * (the p90 of ending a session doubled). A worker thread with its
 * own connection checkpoints every second instead; PASSIVE never waits for or blocks writers.
 * Should the worker fail, SQLite's automatic checkpoints come back.
 */
export function startCheckpointer(database: BetterSqlite3.Database, path: string, onError: (err: Error) => void) {
  database.pragma('wal_autocheckpoint = 0');
  const restore = (err: Error) => {
    onError(err);
    if (database.open) database.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver: sqliteDriverPath(), path, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  worker.on('message', (m: { error?: string }) => {
    if (m.error) onError(new Error(`SQLite checkpoint failed: ${m.error}`));
  });
  worker.on('error', (err) => restore(new Error(`SQLite checkpoint worker failed: ${err.message}`, { cause: err })));
  // resolves however the worker ends (events.once would reject on its 'error' event)
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
  let stopping: Promise<void> | undefined;
  return {
    /**
     * Before the main connection closes (so that one, the last, cleans the log up): the worker
     * closes its own connection and ends.
     */
    stop() {
      stopping ??= (async () => {
        worker.removeAllListeners('error');
        worker.on('error', () => {});
        worker.postMessage('stop');
        const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
