import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { Badge, ErrorNote, Loading, Page, TableWrap, When } from '../components.tsx';
import { useApi } from '../hooks.ts';

interface Entry { id: string; at: string; actor: string; action: string; target: string | null; status: number; detail: unknown }

export function AuditPage() {
  const { query, route } = useLocation();
  const [actor, setActor] = useState(query.actor ?? '');
  const [action, setAction] = useState(query.action ?? '');
  const params = new URLSearchParams({ limit: '50', ...(query.actor ? { actor: query.actor } : {}), ...(query.action ? { action: query.action } : {}), ...(query.before ? { before: query.before } : {}) });
  const { data, error } = useApi<{ entries: Entry[]; next_before: string | null }>(`/audit?${params}`);
  const filter = (extra: Record<string, string> = {}) => {
    const q = new URLSearchParams({ ...(actor ? { actor } : {}), ...(action ? { action } : {}), ...extra });
    route(`/admin/audit${q.size ? `?${q}` : ''}`);
  };
  return (
    <Page title="Audit log">
      <form class="filters" onSubmit={(e) => { e.preventDefault(); filter(); }}>
        <div><label for="a-actor">Who</label><input id="a-actor" value={actor} placeholder="user:…, client:…, token:admin" onInput={(e) => setActor((e.target as HTMLInputElement).value)} /></div>
        <div><label for="a-action">Action</label><input id="a-action" value={action} placeholder="session.end, delivery.retry, client.update…" onInput={(e) => setAction((e.target as HTMLInputElement).value)} /></div>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} />
      {!data ? <Loading what="the audit log" /> : (
        <>
          <TableWrap label="Audit log entries">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">On</th><th scope="col">Result</th></tr></thead>
              <tbody>
                {data.entries.map((e) => (
                  <tr key={e.id}>
                    <th scope="row"><When at={e.at} /></th><td>{e.actor}</td><td><code>{e.action}</code></td><td class="url small">{e.target}</td>
                    <td><Badge tone={e.status < 400 ? 'ok' : 'bad'}>{e.status}</Badge></td>
                  </tr>
                ))}
                {data.entries.length === 0 && <tr><td colSpan={5} class="muted">No entry.</td></tr>}
              </tbody>
            </table>
          </TableWrap>
          <nav class="pager" aria-label="Pages">
            {query.before && <button type="button" class="secondary" onClick={() => filter()}>Newest</button>}
            <button type="button" class="secondary" disabled={!data.next_before} onClick={() => filter({ before: data.next_before! })}>Older</button>
          </nav>
        </>
      )}
    </Page>
  );
}
