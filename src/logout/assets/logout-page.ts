// Adieu's logout page (browser code, bundled by esbuild): frames each application's front-channel
// or legacy logout URL and watches each with the SDK's frame-watcher (confirmed by postMessage, or
// at least loaded, within a bounded wait), takes one window it opens through the applications
// that need a top-level navigation (one bounded hop each), watches back-channel deliveries,
// reports what it saw, then continues.
import { FRAME_STATUS_TEXT, watchLogoutFrame, watchLogoutWindow, type FrameOutcome } from '../../../sdk/src/frame-watcher.ts';

/** A delivery as the page shows it (delivery-view.ts). */
interface DeliveryView {
  id: string;
  client_name: string;
  status: string;
  status_text: string;
  tone: 'ok' | 'bad' | 'wait';
  final: boolean;
}

/** What page.ts puts in #adieu-logout-data. */
interface PageData {
  id: string;
  token: string;
  timeoutMs: number;
  continueUrl: string;
  hasReturn: boolean;
  frames: { id: string; url: string; confirm_origin: string; require_confirmation: boolean }[];
  /** Top-level hops, in order, through one window; confirmed from Adieu's origin. */
  windows: { id: string; url: string }[];
  deliveries: DeliveryView[];
}

const data = JSON.parse(document.getElementById('adieu-logout-data')!.textContent!) as PageData;
const $ = (id: string) => document.getElementById(id)!;
const lines = new Map([...document.querySelectorAll<HTMLLIElement>('#apps li')].map((li) => [li.dataset.id!, li]));
const views = new Map(data.deliveries.map((d) => [d.id, d]));
// deliveries this page judges (frames and window hops); the server's word counts for the others
const framed = new Set([...data.frames, ...data.windows].map((f) => f.id));
const results: (FrameOutcome & { id: string })[] = [];

function paint(id: string, status: string, text: string, tone: string, error?: string | null) {
  const li = lines.get(id);
  if (!li) return;
  li.className = tone;
  li.dataset.status = status;
  li.querySelector('.state')!.textContent = text + (error && tone === 'bad' ? ` — ${error}` : '');
}

function settleFrame(id: string, outcome: FrameOutcome) {
  results.push({ id, ...outcome });
  const view = views.get(id)!;
  view.status = outcome.status;
  view.final = true;
  view.tone = outcome.status === 'confirmed' || outcome.status === 'loaded' ? 'ok' : 'bad';
  const text = outcome.status === 'timed_out' ? `did not answer within ${data.timeoutMs / 1000} s` : FRAME_STATUS_TEXT[outcome.status];
  paint(id, outcome.status, text, view.tone, outcome.status === 'timed_out' ? null : outcome.error);
  maybeFinish();
}

let reported = false;
function report() {
  if (reported || results.length === 0) return;
  reported = true;
  void fetch(`/logout/${data.id}/report?token=${encodeURIComponent(data.token)}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, keepalive: true,
    body: JSON.stringify({ results: results.map(({ id, status, error, latency_ms }) => ({ id, status, error, latency_ms })) }),
  }).catch(() => {});
}

let polling = true;
async function poll() {
  while (polling) {
    try {
      const res = await fetch(`/logout/${data.id}/status?token=${encodeURIComponent(data.token)}`, { cache: 'no-store' });
      if (res.ok) {
        const status = await res.json() as { deliveries: DeliveryView[] };
        for (const d of status.deliveries) {
          if (framed.has(d.id) && !d.final) continue; // the frame is ours to judge
          views.set(d.id, d);
          paint(d.id, d.status, d.status_text, d.tone);
        }
        maybeFinish();
      }
    } catch { /* keep polling */ }
    await new Promise((r) => setTimeout(r, 400));
  }
}

const startedAt = performance.now();
let finished = false;
function maybeFinish() {
  const framesDone = results.length === framed.size;
  if (framesDone) report();
  const all = [...views.values()];
  const waitedEnough = performance.now() - startedAt >= data.timeoutMs;
  if (finished || !framesDone || (!all.every((d) => d.final) && !waitedEnough)) return;
  finished = true;
  if (all.every((d) => d.final)) polling = false;
  const ok = all.filter((d) => d.tone === 'ok');
  const bad = all.filter((d) => d.tone === 'bad');
  const pending = all.filter((d) => d.tone === 'wait');
  const apps = (list: DeliveryView[]) => [...new Set(list.map((d) => d.client_name))];
  $('title').textContent = bad.length || pending.length ? 'Signed out, with problems' : 'You are signed out';
  const parts = [`Signed out of ${apps(ok).length} of ${apps(all).length} application${apps(all).length === 1 ? '' : 's'}.`];
  if (pending.length) parts.push(`Still retrying in the background: ${apps(pending).join(', ')}.`);
  if (bad.length) parts.push(`Failed: ${apps(bad).join(', ')}.`);
  $('summary').textContent = parts.join(' ');
  if (bad.length || pending.length) {
    const advice = $('advice');
    advice.hidden = false;
    advice.textContent = `${apps([...bad, ...pending]).join(', ')} may still be signed in. Open ${bad.length + pending.length === 1 ? 'it' : 'each'} and sign out there, or close your browser to be safe.`;
  }
  document.body.dataset.finished = bad.length || pending.length ? 'with-problems' : 'ok';
  if (data.hasReturn) {
    const button = $('continue');
    let left = bad.length || pending.length ? 10 : 1;
    const tick = () => {
      if (left <= 0) return void (location.href = data.continueUrl);
      button.textContent = `Continue (${left} s)`;
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }
}

// the frames are in the page, empty: each gets its URL once watched, so no answer comes unseen
for (const frame of document.querySelectorAll<HTMLIFrameElement>('iframe[data-id]')) {
  const id = frame.dataset.id!;
  const f = data.frames.find((x) => x.id === id);
  if (!f) continue;
  void watchLogoutFrame(frame, { url: f.url, origin: f.confirm_origin, timeout_ms: data.timeoutMs, require_confirmation: f.require_confirmation }).then((outcome) => settleFrame(id, outcome));
}

/**
 * Window hops: one window, opened at once (or, where the browser blocks that, on a click), taken
 * through each application in turn; a hop that does not answer within the timeout is recorded
 * timed out and the window moves on, so one dead application costs one timeout.
 */
async function runWindowHops() {
  if (data.windows.length === 0) return;
  const open = () => window.open('about:blank', 'adieu-sign-out', 'popup,width=520,height=640');
  let win = open();
  if (!win) {
    const button = $('open-window') as HTMLButtonElement;
    button.hidden = false;
    win = await new Promise<Window | null>((resolve) => button.addEventListener('click', () => {
      button.hidden = true;
      resolve(open());
    }, { once: true }));
  }
  for (const hop of data.windows) {
    if (!win || win.closed) {
      settleFrame(hop.id, { status: 'timed_out', latency_ms: 0, error: win ? 'the sign-out window was closed' : 'the browser blocked the sign-out window' });
      continue;
    }
    settleFrame(hop.id, await watchLogoutWindow(win, { url: hop.url, origin: location.origin, timeout_ms: data.timeoutMs }));
  }
  win?.close();
}

void runWindowHops();
void poll();
setTimeout(maybeFinish, data.timeoutMs + 50);
if (framed.size === 0) maybeFinish();
