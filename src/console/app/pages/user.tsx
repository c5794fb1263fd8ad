import { useState } from 'preact/hooks';
import { api, canWrite } from '../api.ts';
import { Badge, channelText, ErrorNote, Loading, Page, When } from '../components.tsx';
import { DeliveryTable, LogoutStatus, type LogoutDetail } from '../deliveries.tsx';
import { useAction, useApi } from '../hooks.ts';
import type { User } from './users.tsx';

interface Session {
  id: string;
  clients: { client_id: string; client_name: string | null; first_at: string; last_at: string }[];
  created_at: string;
  updated_at: string;
  expires_at: string;
  federated: boolean;
}

interface Planned { client_id: string; client_name: string | null; channel: string; target: string | null; reached: boolean; reason: string | null }
interface PreviewSession { session_id: string; deliveries: Planned[]; unreached: number }

/** What an ending will reach, before it is done: each application, its channel, or why it cannot be reached. */
function Preview({ sessions }: { sessions: PreviewSession[] }) {
  const all = sessions.flatMap((s) => s.deliveries);
  const unreached = all.filter((d) => !d.reached);
  return (
    <>
      <p>{all.length - unreached.length} application{all.length - unreached.length === 1 ? '' : 's'} will be told; {unreached.length} cannot be reached this way.</p>
      <ul class="preview">
        {all.map((d, i) => (
          <li key={i} data-client={d.client_id}>
            <Badge tone={d.reached ? 'ok' : 'bad'}>{d.client_name ?? d.client_id}</Badge>{' '}
            {d.reached ? <>by {channelText[d.channel] ?? d.channel}</> : <span class="reason">{d.reason}</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Logouts being watched until each completes, every application's result as it arrives. */
function LiveLogout({ id }: { id: string }) {
  const { data, reload } = useApi<LogoutDetail>(`/logouts/${id}`, { every_ms: 500, poll: (l) => l.status === 'in_progress' });
  if (!data) return <Loading what="the logout" />;
  return (
    <section class="live" aria-label={`Logout ${id}`}>
      <LogoutStatus logout={data} />
      <DeliveryTable logout={data} onChange={reload} />
      <p><a href={`/admin/logouts/${id}`}>Open the logout trace</a></p>
    </section>
  );
}

type Pending = { kind: 'all' } | { kind: 'one'; session: string };

function Roles({ user, onSaved }: { user: User; onSaved: () => void }) {
  const [roles, setRoles] = useState(new Set(user.roles));
  const save = useAction(async () => { await api.patch(`/users/${encodeURIComponent(user.id)}`, { roles: [...roles] }); onSaved(); return true; });
  return (
    <form class="roles" onSubmit={(e) => { e.preventDefault(); void save.go(); }}>
      <fieldset disabled={!canWrite()}>
        <legend>Console roles</legend>
        {[['admin', 'admin — sees and acts'], ['auditor', 'auditor — sees only']].map(([r, text]) => (
          <label key={r} class="check"><input type="checkbox" checked={roles.has(r!)} onChange={(e) => { const next = new Set(roles); if ((e.target as HTMLInputElement).checked) next.add(r!); else next.delete(r!); setRoles(next); }} /> {text}</label>
        ))}
        <button type="submit" disabled={save.running}>Save roles</button>
        {save.result && <span role="status" class="note"> Saved.</span>}
      </fieldset>
      <ErrorNote error={save.error} />
    </form>
  );
}

export function UserPage({ id }: { id: string }) {
  const user = useApi<User>(`/users/${encodeURIComponent(id)}`);
  const sessions = useApi<{ sessions: Session[] }>(`/users/${encodeURIComponent(id)}/sessions`);
  const [pending, setPending] = useState<Pending>();
  const previewPath = !pending ? null : pending.kind === 'all' ? `/users/${encodeURIComponent(id)}/logout-preview` : `/sessions/${encodeURIComponent(pending.session)}/logout-preview`;
  const preview = useApi<{ sessions: PreviewSession[] } | PreviewSession>(previewPath);
  const [watching, setWatching] = useState<string[]>([]);

  const run = useAction(async (p: Pending) => {
    if (p.kind === 'all') {
      const r = await api.del<{ ended: { logout_id: string | null }[] }>(`/users/${encodeURIComponent(id)}/sessions`);
      setWatching(r.ended.map((e) => e.logout_id).filter((x): x is string => !!x));
    } else {
      await api.del(`/sessions/${encodeURIComponent(p.session)}`);
      const l = await api.get<{ logouts: { id: string }[] }>(`/logouts?session_id=${encodeURIComponent(p.session)}`);
      setWatching(l.logouts.map((x) => x.id));
    }
    setPending(undefined);
    sessions.reload();
  });

  const u = user.data;
  const previewSessions = preview.data ? ('sessions' in preview.data ? preview.data.sessions : [preview.data]) : undefined;
  return (
    <Page title={u ? u.username : 'User'} actions={canWrite() && sessions.data?.sessions.length ? <button type="button" onClick={() => setPending({ kind: 'all' })}>Sign out everywhere…</button> : undefined}>
      <ErrorNote error={user.error ?? sessions.error} />
      {u && (
        <dl class="facts">
          <dt>User id</dt><dd><code>{u.id}</code></dd>
          <dt>Email</dt><dd>{u.email ?? '—'}</dd>
          <dt>Connection</dt><dd>{u.connection}</dd>
          <dt>Created</dt><dd><When at={u.created_at} /></dd>
        </dl>
      )}
      {u && <Roles user={u} onSaved={user.reload} />}

      {pending && (
        <section class="panel" role="region" aria-labelledby="preview-h">
          <h2 id="preview-h">{pending.kind === 'all' ? 'Sign out everywhere: what it will reach' : 'End this session: what it will reach'}</h2>
          <ErrorNote error={preview.error ?? run.error} />
          {!previewSessions ? <Loading what="the preview" /> : <Preview sessions={previewSessions} />}
          <div class="buttons">
            <button type="button" disabled={!previewSessions || run.running} onClick={() => void run.go(pending)}>{pending.kind === 'all' ? 'Sign out everywhere now' : 'End this session now'}</button>
            <button type="button" class="secondary" onClick={() => setPending(undefined)}>Cancel</button>
          </div>
        </section>
      )}

      {watching.length > 0 && (
        <section aria-labelledby="results-h">
          <h2 id="results-h">Results</h2>
          {watching.map((l) => <LiveLogout key={l} id={l} />)}
        </section>
      )}

      <section aria-labelledby="sessions-h">
        <h2 id="sessions-h">Live sessions</h2>
        {!sessions.data ? <Loading what="sessions" /> : sessions.data.sessions.length === 0 ? <p class="muted">No live session.</p> : (
          sessions.data.sessions.map((s) => (
            <article class="session" key={s.id} aria-label={`Session ${s.id}`}>
              <header>
                <span>Signed in <When at={s.created_at} />, last used <When at={s.updated_at} />, ends by <When at={s.expires_at} />{s.federated ? ' (federated)' : ''}</span>
                {canWrite() && <button type="button" class="secondary" onClick={() => setPending({ kind: 'one', session: s.id })}>End this session…</button>}
              </header>
              <table>
                <thead><tr><th scope="col">Application</th><th scope="col">First sign-in</th><th scope="col">Last sign-in</th></tr></thead>
                <tbody>{s.clients.map((c) => <tr key={c.client_id}><th scope="row">{c.client_name ?? c.client_id}</th><td><When at={c.first_at} /></td><td><When at={c.last_at} /></td></tr>)}</tbody>
              </table>
            </article>
          ))
        )}
      </section>
    </Page>
  );
}
