import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api, ApiError, canWrite } from '../api.ts';
import { Badge, channelText, ErrorNote, Loading, Ms, Page } from '../components.tsx';
import { useAction, useApi } from '../hooks.ts';
import { CircuitText, CoverageMatrix, HealthText, type Application } from './applications.tsx';

type Metadata = Record<string, unknown> & { client_id: string; client_name?: string; saml?: unknown };

interface ProbeResult { channel: string; label: string; target: string; sent: boolean; ok: boolean; answered: boolean; error: string | null; latency_ms: number | null }

/** The registration fields the form edits, in the standard registration names; lists one per line. */
const FIELDS: { name: string; label: string; kind: 'text' | 'list' | 'bool'; help?: string }[] = [
  { name: 'client_name', label: 'Name', kind: 'text' },
  { name: 'redirect_uris', label: 'Redirect URIs', kind: 'list', help: 'one per line' },
  { name: 'backchannel_logout_uri', label: 'Back-channel logout URI', kind: 'text', help: 'Adieu posts a logout token here for every kind of ending' },
  { name: 'backchannel_logout_session_required', label: 'Back-channel logout needs sid', kind: 'bool' },
  { name: 'frontchannel_logout_uri', label: 'Front-channel logout URI', kind: 'text', help: 'loaded by the person\'s browser from the logout page only' },
  { name: 'post_logout_redirect_uris', label: 'Post-logout redirect URIs', kind: 'list', help: 'one per line' },
  { name: 'allowed_logout_urls', label: 'Allowed logout URLs (returnTo)', kind: 'list', help: 'one per line' },
  { name: 'web_origins', label: 'Web origins', kind: 'list', help: 'one per line' },
  { name: 'sso', label: 'Shares the single sign-on session', kind: 'bool' },
];

function fieldValue(m: Metadata, f: (typeof FIELDS)[number]): string | boolean {
  const v = m[f.name];
  if (f.kind === 'bool') return v === true;
  if (f.kind === 'list') return Array.isArray(v) ? v.join('\n') : '';
  return typeof v === 'string' ? v : '';
}

/** The client form: create (with client_id and secret) or edit; each field shows the API's error for it. */
function ClientForm({ initial, create, onSaved }: { initial: Metadata; create: boolean; onSaved: (m: Metadata) => void }) {
  const [values, setValues] = useState<Record<string, string | boolean>>(() => Object.fromEntries([
    ...FIELDS.map((f) => [f.name, fieldValue(initial, f)]),
    ['client_id', initial.client_id], ['client_secret', ''],
    ['saml', initial.saml ? JSON.stringify(initial.saml, null, 2) : ''],
  ]));
  const isSaml = !!initial.saml || (create && values.saml !== '');
  const save = useAction(async () => {
    const body: Record<string, unknown> = {};
    for (const f of FIELDS) {
      if (isSaml && !['client_name', 'sso'].includes(f.name)) continue;
      const v = values[f.name];
      if (f.kind === 'bool') body[f.name] = v === true;
      else if (f.kind === 'list') body[f.name] = String(v).split('\n').map((s) => s.trim()).filter(Boolean);
      else body[f.name] = String(v).trim() || null;
      if (f.kind === 'list' && (body[f.name] as string[]).length === 0) body[f.name] = null;
    }
    if (isSaml) {
      try {
        body.saml = JSON.parse(String(values.saml));
      } catch {
        throw new ApiError(400, 'Invalid request body', 'saml: is not valid JSON', [{ path: 'saml', message: 'is not valid JSON' }]);
      }
    }
    if (create) {
      body.client_id = values.client_id;
      if (values.client_secret) body.client_secret = values.client_secret;
      for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
      return api.post<Metadata>('/clients', body);
    }
    return api.patch<Metadata>(`/clients/${encodeURIComponent(initial.client_id)}`, body);
  });
  const err = save.error;
  const described = (name: string) => [`${name}-help`, err?.field(name) ? `${name}-error` : ''].filter(Boolean).join(' ');
  const input = (name: string, label: string, kind: 'text' | 'list' | 'bool' | 'secret' | 'json', help?: string) => {
    const error = err?.field(name);
    return (
      <div class={`field${error ? ' invalid' : ''}`} key={name}>
        {kind === 'bool' ? (
          <label class="check"><input type="checkbox" name={name} checked={values[name] === true} disabled={!canWrite()} onChange={(e) => setValues({ ...values, [name]: (e.target as HTMLInputElement).checked })} /> {label}</label>
        ) : (
          <>
            <label for={`f-${name}`}>{label}</label>
            {kind === 'list' || kind === 'json' ? (
              <textarea id={`f-${name}`} name={name} rows={kind === 'json' ? 12 : 3} value={String(values[name])} readOnly={!canWrite()} aria-invalid={error ? 'true' : undefined} aria-describedby={described(name)} onInput={(e) => setValues({ ...values, [name]: (e.target as HTMLTextAreaElement).value })} />
            ) : (
              <input id={`f-${name}`} name={name} type={(kind === 'secret' ? 'password' : 'text') as 'text'} value={String(values[name])} readOnly={!canWrite()} aria-invalid={error ? 'true' : undefined} aria-describedby={described(name)} onInput={(e) => setValues({ ...values, [name]: (e.target as HTMLInputElement).value })} />
            )}
          </>
        )}
        {help && <div id={`${name}-help`} class="muted small">{help}</div>}
        {error && <div id={`${name}-error`} class="field-error" role="alert">{label}: {error}</div>}
      </div>
    );
  };
  return (
    <form class="client-form" noValidate onSubmit={(e) => { e.preventDefault(); void save.go().then((m) => m && onSaved(m)); }}>
      {create && input('client_id', 'Client id', 'text', 'letters, digits and . _ ~ -')}
      {create && input('client_secret', 'Client secret', 'secret', 'leave empty for a public client (PKCE)')}
      {FIELDS.filter((f) => !isSaml || ['client_name', 'sso'].includes(f.name)).map((f) => input(f.name, f.label, f.kind, f.help))}
      {(isSaml || create) && input('saml', 'SAML service provider (JSON)', 'json', create ? 'only for a SAML application: entity_id, assertion_consumer_services, single_logout_services, …' : 'entity_id, assertion_consumer_services, single_logout_services, certificates, …')}
      {err && !err.errors.length && <ErrorNote error={err} />}
      {err && err.errors.length > 0 && <p role="alert" class="error">{err.errors.length} field{err.errors.length === 1 ? '' : 's'} to correct: {err.detail}</p>}
      {canWrite() && <button type="submit" disabled={save.running}>{create ? 'Create application' : 'Save changes'}</button>}
      {save.result && !create && <span role="status" class="note"> Saved.</span>}
    </form>
  );
}

export function NewApplicationPage() {
  const { route } = useLocation();
  return (
    <Page title="New application">
      <ClientForm initial={{ client_id: '' }} create onSaved={(m) => route(`/admin/applications/${encodeURIComponent(m.client_id)}`)} />
    </Page>
  );
}

export function ApplicationPage({ id }: { id: string }) {
  const { route } = useLocation();
  const client = useApi<Metadata>(`/clients/${encodeURIComponent(id)}`);
  const health = useApi<Application & { window: { hours: number } }>(`/clients/${encodeURIComponent(id)}/logout-health`);
  const probe = useAction(() => api.post<{ results: ProbeResult[] }>(`/clients/${encodeURIComponent(id)}/probe`));
  const remove = useAction(async () => {
    if (!confirm(`Delete ${id}? Its sessions keep their sign-in until they end; it will not be reached by logouts.`)) return false;
    await api.del(`/clients/${encodeURIComponent(id)}`);
    route('/admin/applications');
    return true;
  });
  const h = health.data;
  return (
    <Page title={client.data?.client_name ?? id} actions={canWrite() ? (
      <>
        <button type="button" disabled={probe.running} onClick={() => void probe.go()}>Send a test logout</button>
        <button type="button" class="danger" disabled={remove.running} onClick={() => void remove.go()}>Delete</button>
      </>
    ) : undefined}>
      <ErrorNote error={client.error ?? health.error ?? remove.error} />
      <section aria-labelledby="probe-h" hidden={!probe.running && !probe.result && !probe.error}>
        <h2 id="probe-h">Test logout</h2>
        <ErrorNote error={probe.error} />
        {probe.running && <p role="status">Sending…</p>}
        {probe.result && (
          <ul class="probe" role="status">
            {probe.result.results.length === 0 && <li>No logout URL is registered: nothing to send.</li>}
            {probe.result.results.map((r) => (
              <li key={r.channel + r.target}>
                <Badge tone={!r.sent ? 'off' : r.ok ? 'ok' : 'bad'}>{channelText[r.channel] ?? r.label}: {!r.sent ? 'not sent' : r.ok ? 'answered OK' : r.answered ? 'answered with an error' : 'no answer'}</Badge>{' '}
                <span class="small url">{r.target}</span> {r.latency_ms != null && <span class="small">(<Ms value={r.latency_ms} />)</span>}
                {r.error && <div class="reason small">{r.error}</div>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {h && (
        <section aria-labelledby="health-h">
          <h2 id="health-h">Sign-out health, last {h.window.hours} hours</h2>
          <p><HealthText h={h.health} /></p>
          {h.health.last_failure && <p>Last failure: <span class="reason">{h.health.last_failure.error ?? h.health.last_failure.status}</span> — <a href={`/admin/logouts/${h.health.last_failure.logout_id}`}>trace</a></p>}
          <p>Circuit: <CircuitText circuits={h.circuits} /></p>
          <CoverageMatrix apps={[h]} />
        </section>
      )}
      <section aria-labelledby="settings-h">
        <h2 id="settings-h">Registration</h2>
        {!client.data ? <Loading what="the registration" /> : <ClientForm key={client.data.client_id + String(client.data.updated_at)} initial={client.data} create={false} onSaved={() => { client.reload(); health.reload(); }} />}
      </section>
    </Page>
  );
}
