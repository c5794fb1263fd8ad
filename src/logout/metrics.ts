import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Storage } from '../storage/types.ts';

/**
 * A value read at most once per `maxAge_ms`, however often it is asked for: scrapes (several
 * Prometheus servers, a dashboard refreshing) share one read in flight and then its result. A
 * failed read is not kept; the last good value is served until a read succeeds.
 */
export function cachedRead<T>(read: () => Promise<T>, maxAge_ms: number, now: () => number = Date.now): () => Promise<T> {
  let value: { at_ms: number; value: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return async () => {
    if (value && now() - value.at_ms < maxAge_ms) return value.value;
    inFlight ??= read().then((v) => {
      value = { at_ms: now(), value: v };
      return v;
    }).finally(() => { inFlight = undefined; });
    try {
      return await inFlight;
    } catch (err) {
      if (value) return value.value;
      throw err;
    }
  };
}

/** Prometheus metrics for logout propagation; one registry per server instance. */
export function createLogoutMetrics(storage: Storage, openCircuits: () => number = () => 0, queueDepthMaxAge_ms = 5_000) {
  const queueDepth = cachedRead(() => storage.deliveryQueueDepth(), queueDepthMaxAge_ms);
  const registry = new Registry();
  const latency = new Histogram({
    name: 'adieu_logout_delivery_latency_seconds',
    help: 'Time from the logout to the final outcome of a delivery (per successful or final attempt)',
    labelNames: ['channel', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'adieu_logout_deliveries_total',
    help: 'Final delivery outcomes by channel and status',
    labelNames: ['channel', 'status'] as const,
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'adieu_logout_delivery_attempts_total',
    help: 'Back-channel delivery attempts by result (delivered, rejected, retry, failed)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const logouts = new Counter({
    name: 'adieu_logouts_total',
    help: 'Sessions ended, by trigger',
    labelNames: ['trigger'] as const,
    registers: [registry],
  });
  const circuits = new Counter({
    name: 'adieu_logout_circuit_opened_total',
    help: 'Back-channel logout URLs whose circuit opened (consecutive failures) or closed again (a probe succeeded), on this node',
    labelNames: ['transition'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'adieu_logout_circuits_open',
    help: 'Back-channel logout URLs this node is not sending to (circuit open or probing)',
    registers: [registry],
    collect() {
      this.set(openCircuits());
    },
  });
  new Gauge({
    name: 'adieu_logout_queue_depth',
    help: 'Back-channel deliveries not yet final, by status (shared across nodes: read from storage, at most once per metrics.queue_depth_max_age_ms)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const depth = await queueDepth();
      this.reset();
      for (const status of ['pending', 'delivering', 'retrying']) this.set({ status }, depth[status] ?? 0);
    },
  });
  return { registry, latency, outcomes, attempts, logouts, circuits };
}

export type LogoutMetrics = ReturnType<typeof createLogoutMetrics>;
