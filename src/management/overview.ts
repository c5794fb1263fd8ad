import type Router from '@koa/router';
import type { LogoutPropagation } from '../logout/propagation.ts';
import { BackgroundValue } from '../storage/short-cache.ts';
import type { Storage } from '../storage/types.ts';
import { epochSeconds, isoFromMs } from '../time.ts';
import { clientHealth, deliveryFigures } from './figures.ts';

const WINDOW_MS = 24 * 3600 * 1000;
const BUCKET_MS = 3600 * 1000;

/**
 * GET /overview: live sessions, the last 24 h of logouts by trigger and of deliveries by channel
 * and outcome, latency percentiles, the queue, hourly series, and the applications failing now
 * (whose latest delivery failed). Computed in the background at most every few seconds.
 */
export function overviewRoutes(router: Router, storage: Storage, propagation: LogoutPropagation) {
  // Counting live sessions reads the whole expiry index (~70 ms at a million on SQLite, where it
  // holds the event loop): once a minute, in the background. The rest every few seconds.
  const liveSessions = new BackgroundValue(60_000, () => storage.countLiveSsoSessions(epochSeconds()));
  const figures = new BackgroundValue(5_000, async () => {
    const now = Date.now();
    const since = now - WINDOW_MS;
    const [live_sessions, logouts_by_trigger, rows, queue, clients] = await Promise.all([
      liveSessions.get(),
      storage.countLogoutsByTrigger(since),
      storage.listFinalDeliveries(since),
      storage.deliveryQueueDepth(),
      storage.listClients(),
    ]);
    const f = deliveryFigures(rows, since, now, BUCKET_MS);
    const health = clientHealth(rows);
    const names = new Map(clients.map((c) => [c.client_id, c.metadata.client_name ?? null]));
    // failing now: the latest outcome in the window is a failure (rows are oldest first)
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) latest.set(r.client_id, r);
    const failing = [...health.entries()]
      .filter(([id, h]) => h.last_failure && latest.get(id)?.completed_at === h.last_failure.completed_at)
      .map(([client_id, h]) => ({
        client_id, client_name: names.get(client_id) ?? null, failed: h.final - h.ok, final: h.final,
        last_failure: { ...h.last_failure!, completed_at: isoFromMs(h.last_failure!.completed_at) },
      }));
    return {
      generated_at: isoFromMs(now),
      window: { since: isoFromMs(since), until: isoFromMs(now), bucket_minutes: BUCKET_MS / 60_000 },
      live_sessions,
      logouts_by_trigger,
      deliveries_by_channel: f.deliveries_by_channel,
      latency_ms: f.latency_ms,
      queue: { pending: queue.pending ?? 0, retrying: queue.retrying ?? 0, delivering: queue.delivering ?? 0 },
      open_circuits: propagation.worker.openCircuits(),
      failing_applications: failing,
      series: f.series.map(({ start_ms, ...b }) => ({ start: isoFromMs(start_ms), ...b })),
    };
  });

  router.get('/overview', async (ctx) => {
    ctx.body = await figures.get();
  });
}
