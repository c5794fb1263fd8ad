import { ActivityChart, type Bucket } from '../chart.tsx';
import { Badge, channelText, ErrorNote, Loading, Ms, Page, triggerText, When } from '../components.tsx';
import { useApi } from '../hooks.ts';

interface Overview {
  generated_at: string;
  live_sessions: number;
  logouts_by_trigger: Record<string, number>;
  deliveries_by_channel: Record<string, { ok: number; failed: number }>;
  latency_ms: { p50: number | null; p99: number | null; count: number };
  queue: { pending: number; retrying: number; delivering: number };
  open_circuits: number;
  failing_applications: { client_id: string; client_name: string | null; failed: number; final: number; last_failure: { completed_at: string; status: string; error: string | null; logout_id: string } }[];
  series: Bucket[];
}

export function OverviewPage() {
  const { data, error } = useApi<Overview>('/overview', { every_ms: 5_000 });
  return (
    <Page title="Overview">
      <ErrorNote error={error} />
      {!data ? <Loading what="the overview" /> : (
        <>
          <section aria-label="Now" class="cards">
            <div class="card"><h2>Live sessions</h2><p class="big">{data.live_sessions.toLocaleString()}</p></div>
            <div class="card"><h2>Logouts, 24 h</h2><p class="big">{Object.values(data.logouts_by_trigger).reduce((a, b) => a + b, 0).toLocaleString()}</p></div>
            <div class="card"><h2>Queue</h2><p class="big">{data.queue.pending + data.queue.retrying + data.queue.delivering}</p><p class="muted small">{data.queue.pending} pending, {data.queue.retrying} retrying, {data.queue.delivering} sending</p></div>
            <div class="card"><h2>Delivery latency</h2><p class="big"><Ms value={data.latency_ms.p50} /></p><p class="muted small">p50; p99 <Ms value={data.latency_ms.p99} /> of {data.latency_ms.count}</p></div>
            <div class="card"><h2>Open circuits</h2><p class="big">{data.open_circuits}</p><p class="muted small">logout URLs paused after failures</p></div>
          </section>

          <section aria-labelledby="failing-h">
            <h2 id="failing-h">Applications failing now</h2>
            {data.failing_applications.length === 0 ? <p><Badge tone="ok">none</Badge> Every application's latest sign-out reached it.</p> : (
              <ul class="failing">
                {data.failing_applications.map((a) => (
                  <li key={a.client_id}>
                    <Badge tone="bad">{a.client_name ?? a.client_id}</Badge> {a.failed} of {a.final} failed in 24 h; last: {a.last_failure.error ?? a.last_failure.status} (<When at={a.last_failure.completed_at} />) —{' '}
                    <a href={`/admin/logouts/${a.last_failure.logout_id}`}>trace</a> · <a href={`/admin/applications/${encodeURIComponent(a.client_id)}`}>application</a>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby="chart-h">
            <h2 id="chart-h">Last 24 hours</h2>
            <ActivityChart series={data.series} />
          </section>

          <div class="two">
            <section aria-labelledby="triggers-h">
              <h2 id="triggers-h">Logouts by trigger</h2>
              <table>
                <thead><tr><th scope="col">Trigger</th><th scope="col">Logouts</th></tr></thead>
                <tbody>
                  {Object.entries(data.logouts_by_trigger).sort((a, b) => b[1] - a[1]).map(([t, n]) => <tr key={t}><th scope="row">{triggerText[t] ?? t}</th><td>{n}</td></tr>)}
                  {Object.keys(data.logouts_by_trigger).length === 0 && <tr><td colSpan={2} class="muted">none</td></tr>}
                </tbody>
              </table>
            </section>
            <section aria-labelledby="channels-h">
              <h2 id="channels-h">Deliveries by channel</h2>
              <table>
                <thead><tr><th scope="col">Channel</th><th scope="col">Signed out</th><th scope="col">Failed</th></tr></thead>
                <tbody>
                  {Object.entries(data.deliveries_by_channel).map(([c, n]) => <tr key={c}><th scope="row">{channelText[c] ?? c}</th><td>{n.ok}</td><td>{n.failed}</td></tr>)}
                  {Object.keys(data.deliveries_by_channel).length === 0 && <tr><td colSpan={3} class="muted">none</td></tr>}
                </tbody>
              </table>
            </section>
          </div>
          <p class="muted small">As of <When at={data.generated_at} />; refreshes every 5 s.</p>
        </>
      )}
    </Page>
  );
}
