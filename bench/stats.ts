/** p50 and p99 of latency samples in ms, rounded to `decimals`. */
export function percentiles(samples: number[], decimals = 2) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  const round = (ms: number) => Math.round(ms * 10 ** decimals) / 10 ** decimals;
  return { p50_ms: round(at(50)), p99_ms: round(at(99)) };
}

/** A ratio or a time to two decimals, as the bench reports them. */
export const round2 = (x: number) => +x.toFixed(2);
