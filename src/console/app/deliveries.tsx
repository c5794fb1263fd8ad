import { useState } from 'preact/hooks';
import { api, canWrite } from './api.ts';
import { Badge, channelText, ErrorNote, Ms, TableWrap, When } from './components.tsx';
import { useAction } from './hooks.ts';

export interface Delivery {
  id: string;
  client_id: string;
  client_name: string;
  channel: string;
  status: string;
  status_text: string;
  tone: 'ok' | 'bad' | 'wait';
  final: boolean;
  attempts: number;
  last_error: string | null;
  target: string | null;
  latency_ms: number | null;
  next_attempt_at: string | null;
  deadline_at: string | null;
  created_at: string;
  completed_at: string | null;
  events: { at: string; event: 'attempt' | 'retry' | 'cancel'; status: string | null; detail: string | null }[];
}

export interface LogoutDetail {
  id: string;
  trigger: string;
  actor: string | null;
  user_id: string | null;
  username: string | null;
  session_id: string;
  status: 'in_progress' | 'completed' | 'completed_with_failures';
  created_at: string;
  completed_at: string | null;
  summary: { applications: number; signed_out: number; failed: number; in_progress: number };
  deliveries: Delivery[];
}

const RETRYABLE = new Set(['failed', 'rejected', 'retrying']);
const CANCELLABLE = new Set(['pending', 'retrying', 'awaiting_browser']);

const eventText = (e: Delivery['events'][number]) => (e.event === 'retry' ? `retry asked by ${e.detail}`
  : e.event === 'cancel' ? (e.detail ?? 'cancelled')
    : `attempt: ${e.status?.replaceAll('_', ' ')}${e.detail ? ` — ${e.detail}` : ''}`);

/**
 * One delivery's history: planned, each attempt Adieu made with its result, admins' retries and
 * cancellations, then the outcome (browser deliveries: the page's report) or the next attempt.
 */
function Timeline({ d }: { d: Delivery }) {
  const attempts = d.events.filter((e) => e.event === 'attempt').length;
  return (
    <ol class="timeline">
      <li>planned <When at={d.created_at} /></li>
      {d.events.map((e, i) => <li key={i} class={e.event === 'attempt' && e.status !== 'delivered' ? 'reason' : undefined}>{eventText(e)} <When at={e.at} /></li>)}
      {d.attempts > attempts && !d.completed_at && d.status === 'delivering' && <li>attempt {d.attempts} in flight</li>}
      {d.completed_at ? (attempts === 0 || d.events.at(-1)?.event === 'cancel' ? <li>{d.status_text} <When at={d.completed_at} /></li> : null)
        : d.next_attempt_at ? <li>next attempt <When at={d.next_attempt_at} />, gives up <When at={d.deadline_at} /></li> : null}
    </ol>
  );
}

/** A logout's deliveries, live or past; with `actions`, retry and cancel (audited) for admins. */
export function DeliveryTable({ logout, onChange, actions = false }: { logout: LogoutDetail; onChange?: () => void; actions?: boolean }) {
  const [note, setNote] = useState<string>();
  const act = useAction(async (d: Delivery, what: 'retry' | 'cancel') => {
    await api.post(`/logouts/${logout.id}/deliveries/${d.id}/${what}`);
    setNote(`${what === 'retry' ? 'Retrying' : 'Cancelled'} ${d.client_name}.`);
    onChange?.();
  });
  return (
    <>
      <ErrorNote error={act.error} />
      {note && <p role="status" class="note">{note}</p>}
      <TableWrap label="Deliveries">
        <table class="deliveries">
          <caption class="sr-only">Applications and what happened to each</caption>
          <thead><tr><th scope="col">Application</th><th scope="col">Channel</th><th scope="col">Result</th><th scope="col">Latency</th><th scope="col">Timeline</th>{actions && canWrite() && <th scope="col"><span class="sr-only">Actions</span></th>}</tr></thead>
          <tbody>
            {logout.deliveries.map((d) => (
              <tr key={d.id} data-client={d.client_id} data-tone={d.tone}>
                <th scope="row">{d.client_name}<div class="muted small">{d.client_id}</div></th>
                <td>{channelText[d.channel] ?? d.channel}{d.target && <div class="muted small url">{d.target}</div>}</td>
                <td>
                  <Badge tone={d.tone}>{d.status_text}</Badge>
                  {d.last_error && <div class="reason small">{d.last_error}</div>}
                </td>
                <td><Ms value={d.latency_ms} /></td>
                <td><Timeline d={d} /></td>
                {actions && canWrite() && (
                  <td>
                    <div class="row-actions">
                      {RETRYABLE.has(d.status) && <button type="button" disabled={act.running} onClick={() => void act.go(d, 'retry')}>Retry now<span class="sr-only"> {d.client_name}</span></button>}
                      {CANCELLABLE.has(d.status) && <button type="button" class="secondary" disabled={act.running} onClick={() => void act.go(d, 'cancel')}>Cancel<span class="sr-only"> {d.client_name}</span></button>}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

export function LogoutStatus({ logout }: { logout: LogoutDetail }) {
  const s = logout.summary;
  const tone = logout.status === 'in_progress' ? 'wait' : logout.status === 'completed' ? 'ok' : 'bad';
  const text = logout.status === 'in_progress' ? 'in progress' : logout.status === 'completed' ? 'every application signed out' : 'completed with failures';
  return (
    <p class="logout-status" role="status" aria-live="polite">
      <Badge tone={tone}>{text}</Badge> {s.signed_out} of {s.applications} signed out{s.failed ? `, ${s.failed} failed` : ''}{s.in_progress ? `, ${s.in_progress} in progress` : ''}.
    </p>
  );
}
