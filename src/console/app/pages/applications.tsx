import { Badge, ErrorNote, Loading, Ms, Page, TableWrap, When, channelText } from '../components.tsx';
import { canWrite } from '../api.ts';
import { useApi } from '../hooks.ts';

export interface CoverageCell { trigger: string; label: string; browser: boolean; channels: string[]; unreached: string | null }
export interface Health { final: number; ok: number; success_rate: number | null; p50_ms: number | null; p99_ms: number | null; last_failure: { completed_at: string; status: string; error: string | null; logout_id: string } | null }
export interface Application {
  client_id: string;
  client_name: string | null;
  kind: 'oidc' | 'saml' | 'machine' | 'console';
  coverage: CoverageCell[];
  health: Health;
  circuits: { target: string; state: 'closed' | 'open' | 'half_open' }[];
}

export function HealthText({ h }: { h: Health }) {
  if (!h.final) return <span class="muted">no sign-outs yet</span>;
  const rate = Math.round((h.success_rate ?? 0) * 1000) / 10;
  return <><Badge tone={rate === 100 ? 'ok' : 'bad'}>{rate}% signed out</Badge> <span class="small">of {h.final}; p50 <Ms value={h.p50_ms} />, p99 <Ms value={h.p99_ms} /></span></>;
}

export function CircuitText({ circuits }: { circuits: Application['circuits'] }) {
  if (!circuits.length) return <span class="muted">—</span>;
  return <>{circuits.map((c) => <div key={c.target}><Badge tone={c.state === 'closed' ? 'ok' : 'bad'}>{c.state.replace('_', '-')}</Badge></div>)}</>;
}

/** Which endings reach which application, by which channel. */
export function CoverageMatrix({ apps }: { apps: Application[] }) {
  const endings = apps[0]?.coverage ?? [];
  return (
    <TableWrap label="Coverage matrix">
      <table class="matrix">
        <caption>Which ways a session ends reach each application, and by which channel</caption>
        <thead>
          <tr><th scope="col">Application</th>{endings.map((e) => <th scope="col" key={e.trigger}>{e.label}{e.browser ? '' : ' *'}</th>)}</tr>
        </thead>
        <tbody>
          {apps.map((a) => (
            <tr key={a.client_id} data-client={a.client_id}>
              <th scope="row">{a.client_name ?? a.client_id}</th>
              {a.coverage.map((c) => (
                <td key={c.trigger} title={c.unreached ?? undefined}>
                  {c.channels.length ? <Badge tone="ok">{c.channels.map((ch) => channelText[ch] ?? ch).join(', ')}</Badge> : <Badge tone="bad">not reached</Badge>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">* no browser shows the logout page: only channels Adieu sends itself (back-channel, SAML SOAP) reach the application.</p>
    </TableWrap>
  );
}

export function ApplicationsPage() {
  const { data, error } = useApi<{ applications: Application[] }>('/applications');
  // machine clients sign nobody in; the console's tokens end with the session itself
  const apps = data?.applications.filter((a) => a.kind === 'oidc' || a.kind === 'saml') ?? [];
  return (
    <Page title="Applications" actions={canWrite() ? <a class="button" href="/admin/applications/new">New application</a> : undefined}>
      <ErrorNote error={error} />
      {!data ? <Loading what="applications" /> : (
        <>
          <TableWrap label="Applications">
            <table>
              <caption class="sr-only">Applications and their sign-out health over 24 hours</caption>
              <thead><tr><th scope="col">Application</th><th scope="col">Kind</th><th scope="col">Sign-out, 24 h</th><th scope="col">Last failure</th><th scope="col">Circuit</th></tr></thead>
              <tbody>
                {data.applications.map((a) => (
                  <tr key={a.client_id}>
                    <th scope="row"><a href={`/admin/applications/${encodeURIComponent(a.client_id)}`}>{a.client_name ?? a.client_id}</a><div class="muted small">{a.client_id}</div></th>
                    <td>{{ saml: 'SAML', machine: 'machine', console: 'this console', oidc: 'OIDC' }[a.kind]}</td>
                    <td>{a.kind === 'machine' ? <span class="muted">signs nobody in</span> : a.kind === 'console' ? <span class="muted">its tokens end with the session</span> : <HealthText h={a.health} />}</td>
                    <td>{a.health.last_failure ? <><span class="reason small">{a.health.last_failure.error ?? a.health.last_failure.status}</span> <When at={a.health.last_failure.completed_at} /></> : <span class="muted">—</span>}</td>
                    <td><CircuitText circuits={a.circuits} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <h2>Coverage</h2>
          <CoverageMatrix apps={apps} />
        </>
      )}
    </Page>
  );
}
