import { setTimeout } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AdieuConfig } from '../config/schema.ts';
import type { OutboxWorker } from '../logout/outbox-worker.ts';
import type { Storage } from '../storage/types.ts';
import { epochSeconds, repeatEvery } from '../time.ts';
import type { SessionEnder } from './end-session.ts';

/** Rows one statement deletes: a sweep never holds a long lock, however much expired at once. */
const SWEEP_BATCH = 1_000;
/** Expired sessions listed at once: ended in transactions of ENDING_BATCH (end-session.ts). */
const LISTED = 100;
/**
 * The share of time a sweep with more expired sessions waiting works: it rests as long again as
 * each listing took to end and to deliver, leaving the rest to requests. Ended at full speed,
 * 100k sessions expiring at once took 3 of PostgreSQL's 2 cores' minutes with sign-ins slowed
 * 2.3x (p99).
 */
const SWEEP_DUTY = 0.5;
/** How long a listing's deliveries are waited for: an application answering slowly does not hold the sweep. */
const DELIVERY_WAIT_MS = 2_000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Everything that runs out: expired SSO sessions end through the same SessionEnder as every other
 * ending (their applications are told); expired provider payloads are deleted; completed logout
 * records older than the retention go, with their deliveries; stale failed sign-in counts go.
 */
export async function sweepExpired(storage: Storage, ender: SessionEnder, config: Pick<AdieuConfig, 'logout' | 'login_throttle'>, now_ms = Date.now(), outbox?: Pick<OutboxWorker, 'idle'>, stopping: () => boolean = () => false) {
  const now_s = epochSeconds(now_ms);
  for (;;) {
    const started_ms = performance.now();
    const expired = await storage.listExpiredSsoSessions(now_s, LISTED);
    // a few statements per batch of sessions, not a transaction each (PostgreSQL ended ~100
    // sessions/s one transaction each, 100k expiring at once took a quarter of an hour)
    await ender.endMany(expired.map((s) => s.uid), 'expired', { actor: 'system' });
    // a mass expiry sweeps for minutes: a stopping server leaves the rest to the next start
    if (expired.length < LISTED || stopping()) break;
    // their logout tokens are most of the work (SQLite ended 10k in 4 s and delivered in 20)
    await outbox?.idle(DELIVERY_WAIT_MS);
    await setTimeout((performance.now() - started_ms) * (1 / SWEEP_DUTY - 1));
  }
  while (await storage.sweepExpiredPayloads(now_s, SWEEP_BATCH) === SWEEP_BATCH);
  while (await storage.pruneLogouts(now_ms - config.logout.retention_days * DAY_MS, SWEEP_BATCH) === SWEEP_BATCH);
  // a count is kept while it can still refuse a sign-in or add to its window
  const { window_ms, lockout_ms } = config.login_throttle;
  while (await storage.pruneLoginFailures(now_ms - Math.max(window_ms, lockout_ms), SWEEP_BATCH) === SWEEP_BATCH);
}

/** Runs the sweep every `session.sweep_interval_ms`, one at a time (a long sweep is not overlapped). */
export function startExpirySweeper(config: AdieuConfig, storage: Storage, ender: SessionEnder, outbox: Pick<OutboxWorker, 'idle'>, logger: Logger): { stop(): Promise<void> } {
  let stopping = false;
  const sweeper = repeatEvery(config.session.sweep_interval_ms, () => sweepExpired(storage, ender, config, Date.now(), outbox, () => stopping), (err) => logger.error({ err }, 'expiry sweep failed'));
  return {
    async stop() {
      stopping = true;
      await sweeper.stop();
    },
  };
}
