import { useLocation } from 'preact-iso';
import { Badge, ErrorNote, Loading, Page, TableWrap, When, triggerText } from '../components.tsx';
import { DeliveryTable, LogoutStatus, type LogoutDetail } from '../deliveries.tsx';
import { useApi } from '../hooks.ts';

interface LogoutRow { id: string; trigger: string; actor: string | null; username: string | null; user_id: string | null; status: string; created_at: string; completed_at: string | null }

const PAGE = 50;
const statusTone = (s: string) => (s === 'completed' ? 'ok' : s === 'in_progress' ? 'wait' : 'bad');

export function LogoutsPage() {
  const { query, route } = useLocation();
  const status = query.status ?? '';
  const before = query.before ?? '';
  // keyset pages (next_before): as fast on the thousandth page as on the first
  const { data, error } = useApi<{ logouts: LogoutRow[]; next_before: string | null }>(`/logouts?limit=${PAGE}${status ? `&status=${status}` : ''}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
  const go = (s: string, b?: string | null) => route(`/admin/logouts${s || b ? '?' : ''}${s ? `status=${s}` : ''}${s && b ? '&' : ''}${b ? `before=${encodeURIComponent(b)}` : ''}`);
  return (
    <Page title="Logouts">
      <label for="status-filter">Show</label>{' '}
      <select id="status-filter" value={status} onChange={(e) => go((e.target as HTMLSelectElement).value)}>
        <option value="">all</option><option value="in_progress">in progress</option><option value="completed">completed</option><option value="completed_with_failures">completed with failures</option>
      </select>
      <ErrorNote error={error} />
      {!data ? <Loading what="logouts" /> : (
        <>
          <TableWrap label="Logouts">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">User</th><th scope="col">Trigger</th><th scope="col">By</th><th scope="col">Result</th></tr></thead>
              <tbody>
                {data.logouts.map((l) => (
                  <tr key={l.id}>
                    <th scope="row"><a href={`/admin/logouts/${l.id}`}><When at={l.created_at} /></a></th>
                    <td>{l.username ?? l.user_id ?? '—'}</td><td>{triggerText[l.trigger] ?? l.trigger}</td><td>{l.actor ?? '—'}</td>
                    <td><Badge tone={statusTone(l.status)}>{l.status.replaceAll('_', ' ')}</Badge></td>
                  </tr>
                ))}
                {data.logouts.length === 0 && <tr><td colSpan={5} class="muted">No logout.</td></tr>}
              </tbody>
            </table>
          </TableWrap>
          <nav class="pager" aria-label="Pages">
            <button type="button" class="secondary" disabled={!before} onClick={() => go(status)}>Newest</button>
            <button type="button" class="secondary" disabled={!data.next_before} onClick={() => go(status, data.next_before)}>Older</button>
          </nav>
        </>
      )}
    </Page>
  );
}

export function LogoutPage({ id }: { id: string }) {
  const { data, error, reload } = useApi<LogoutDetail>(`/logouts/${encodeURIComponent(id)}`, { every_ms: 1_000, poll: (l) => l.status === 'in_progress' || l.deliveries.some((d) => !d.final) });
  return (
    <Page title="Logout trace">
      <ErrorNote error={error} />
      {!data ? <Loading what="the logout" /> : (
        <>
          <dl class="facts">
            <dt>User</dt><dd>{data.user_id ? <a href={`/admin/users/${encodeURIComponent(data.user_id)}`}>{data.username ?? data.user_id}</a> : '—'}</dd>
            <dt>Trigger</dt><dd>{triggerText[data.trigger] ?? data.trigger}</dd>
            <dt>Caused by</dt><dd>{data.actor ?? '—'}</dd>
            <dt>Session</dt><dd><code>{data.session_id}</code></dd>
            <dt>Started</dt><dd><When at={data.created_at} /></dd>
            <dt>Completed</dt><dd><When at={data.completed_at} /></dd>
          </dl>
          <LogoutStatus logout={data} />
          <DeliveryTable logout={data} onChange={reload} actions />
        </>
      )}
    </Page>
  );
}
