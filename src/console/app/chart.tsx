// The overview's chart: an SVG drawn from the series, readable without colour (failed bars are
// hatched, latency is a dashed line with square markers), with the same numbers as a table.
import { TableWrap } from './components.tsx';

export interface Bucket {
  start: string;
  ok: number;
  failed: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

const W = 720;
const H = 220;
const PAD = { left: 44, right: 68, top: 12, bottom: 28 };

/** A round upper bound for an axis (1, 2, 5 × 10^n). */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

const label = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const hour = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function ActivityChart({ series }: { series: Bucket[] }) {
  const countMax = niceMax(Math.max(...series.map((b) => b.ok + b.failed), 0));
  const latencyMax = niceMax(Math.max(...series.map((b) => b.p99_ms ?? 0), 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / series.length;
  const y = (v: number, max: number) => PAD.top + plotH - (v / max) * plotH;
  const points = series.map((b, i) => (b.p99_ms == null ? null : [PAD.left + i * step + step / 2, y(b.p99_ms, latencyMax)] as const));
  const line = points.filter((p) => p).map((p, i) => `${i ? 'L' : 'M'}${p![0].toFixed(1)},${p![1].toFixed(1)}`).join(' ');
  const total = series.reduce((n, b) => n + b.ok + b.failed, 0);
  const failed = series.reduce((n, b) => n + b.failed, 0);

  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc">
        <title id="chart-title">Deliveries and latency per hour, last 24 hours</title>
        <desc id="chart-desc">{`${total} deliveries completed, ${failed} failed. Bars: deliveries per hour (hatched: failed). Dashed line: p99 latency.`}</desc>
        <defs>
          <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" class="bar-failed-bg" />
            <line x1="0" y1="0" x2="0" y2="6" class="bar-failed-line" stroke-width="3" />
          </pattern>
        </defs>
        {[0, 0.5, 1].map((f) => (
          <g key={f} class="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(f * countMax, countMax)} y2={y(f * countMax, countMax)} />
            <text x={PAD.left - 6} y={y(f * countMax, countMax) + 4} text-anchor="end">{label(f * countMax)}</text>
            <text x={W - PAD.right + 6} y={y(f * latencyMax, latencyMax) + 4}>{label(f * latencyMax)} ms</text>
          </g>
        ))}
        {series.map((b, i) => {
          const x = PAD.left + i * step + 1;
          const okTop = y(b.ok, countMax);
          const failTop = y(b.ok + b.failed, countMax);
          return (
            <g key={b.start}>
              {b.ok > 0 && <rect class="bar-ok" x={x} width={step - 2} y={okTop} height={PAD.top + plotH - okTop} />}
              {b.failed > 0 && <rect fill="url(#hatch)" class="bar-failed" x={x} width={step - 2} y={failTop} height={okTop - failTop} />}
            </g>
          );
        })}
        {line && <path d={line} class="latency" fill="none" stroke-dasharray="6 4" stroke-width="2" />}
        {points.map((p, i) => p && <rect key={i} class="latency-mark" x={p[0] - 3} y={p[1] - 3} width="6" height="6" />)}
        {series.map((b, i) => (i % 4 === 0 ? <text key={b.start} class="axis" x={PAD.left + i * step} y={H - 8}>{hour(b.start)}</text> : null))}
      </svg>
      <figcaption>
        <span class="key"><span class="swatch ok" aria-hidden="true" /> signed out</span>
        <span class="key"><span class="swatch failed" aria-hidden="true" /> failed (hatched)</span>
        <span class="key"><span class="swatch latency" aria-hidden="true" /> p99 latency (dashed)</span>
      </figcaption>
      <details>
        <summary>The numbers as a table</summary>
        <TableWrap label="Deliveries per hour">
          <table>
            <thead><tr><th scope="col">Hour from</th><th scope="col">Signed out</th><th scope="col">Failed</th><th scope="col">p50</th><th scope="col">p99</th></tr></thead>
            <tbody>
              {series.map((b) => (
                <tr key={b.start}><th scope="row">{hour(b.start)}</th><td>{b.ok}</td><td>{b.failed}</td><td>{b.p50_ms ?? '—'}</td><td>{b.p99_ms ?? '—'}</td></tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </figure>
  );
}
