import { SUCCESS_STATUSES, type FinalDelivery } from '../storage/types.ts';

/** The nearest-rank percentile of sorted values (null for none). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function latencies(rows: readonly FinalDelivery[]) {
  const values = rows.map((r) => r.latency_ms).filter((v): v is number => v != null).sort((a, b) => a - b);
  return { p50: percentile(values, 50), p99: percentile(values, 99), count: values.length };
}

const isOk = (r: FinalDelivery) => SUCCESS_STATUSES.has(r.status);

/**
 * The overview's figures from the deliveries that completed since `since_ms`: outcomes per
 * channel, latency percentiles, and a series of `bucket_ms` buckets up to `now_ms` (every bucket
 * present, empty ones too, so a chart's time axis is even).
 */
export function deliveryFigures(rows: readonly FinalDelivery[], since_ms: number, now_ms: number, bucket_ms: number) {
  const by_channel: Record<string, { ok: number; failed: number }> = {};
  for (const r of rows) {
    const c = (by_channel[r.channel] ??= { ok: 0, failed: 0 });
    if (isOk(r)) c.ok++;
    else c.failed++;
  }
  const buckets = Math.max(1, Math.ceil((now_ms - since_ms) / bucket_ms));
  const grouped: FinalDelivery[][] = Array.from({ length: buckets }, () => []);
  for (const r of rows) {
    const i = Math.floor((r.completed_at - since_ms) / bucket_ms);
    if (i >= 0 && i < buckets) grouped[i]!.push(r);
  }
  return {
    deliveries_by_channel: by_channel,
    latency_ms: latencies(rows),
    series: grouped.map((g, i) => {
      const l = latencies(g);
      return { start_ms: since_ms + i * bucket_ms, ok: g.filter(isOk).length, failed: g.filter((r) => !isOk(r)).length, p50_ms: l.p50, p99_ms: l.p99 };
    }),
  };
}

export interface ClientHealth {
  final: number;
  ok: number;
  success_rate: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  last_failure: { completed_at: number; status: string; error: string | null; logout_id: string } | null;
}

/** Each application's logout health from its deliveries that completed in the window. */
export function clientHealth(rows: readonly FinalDelivery[]): Map<string, ClientHealth> {
  const byClient = new Map<string, FinalDelivery[]>();
  for (const r of rows) {
    let list = byClient.get(r.client_id);
    if (!list) byClient.set(r.client_id, (list = []));
    list.push(r);
  }
  const out = new Map<string, ClientHealth>();
  for (const [client, list] of byClient) {
    const ok = list.filter(isOk).length;
    const l = latencies(list);
    const failure = list.filter((r) => !isOk(r)).reduce<FinalDelivery | undefined>((last, r) => (!last || r.completed_at >= last.completed_at ? r : last), undefined);
    out.set(client, {
      final: list.length, ok, success_rate: list.length ? ok / list.length : null, p50_ms: l.p50, p99_ms: l.p99,
      last_failure: failure ? { completed_at: failure.completed_at, status: failure.status, error: failure.last_error, logout_id: failure.logout_id } : null,
    });
  }
  return out;
}
