// The single-logout application's page (browser code, bundled by esbuild). It uses adieu-js,
// loaded from the IdP as a script, as Auth0's "Log Users Out of Applications" uses its SDK:
// getSSOData, and the frame-watcher Adieu's own logout page uses too.
import type * as AdieuJs from '../../sdk/src/index.ts';
import type { FrameStatus } from '../../sdk/src/index.ts';

declare global {
  interface Window { adieu: typeof AdieuJs }
}

/** What server.ts puts in #config. */
interface PageConfig {
  mode: 'logout' | 'done';
  issuer: string;
  clientId: string;
  clients: Record<string, { name: string; logout_url: string }>;
  timeoutMs: number;
  returnTo: string;
  federated: boolean;
}

interface Line { id: string; name: string; li: HTMLLIElement; settled: boolean }

(() => {
  const config = JSON.parse(document.getElementById('config')!.textContent!) as PageConfig;
  const idp = window.adieu.createClient({ domain: config.issuer, clientId: config.clientId });
  const $ = (id: string) => document.getElementById(id)!;

  if (config.mode === 'done') {
    idp.getSSOData().then((data) => {
      $('title').textContent = data.sso ? 'You are still signed in' : 'You are logged out';
      $('title').className = data.sso ? 'warn' : 'ok';
      $('summary').textContent = data.sso
        ? 'The identity provider still has a session for you. Close your browser to be safe.'
        : 'You have been signed out of your applications and of the identity provider.';
      document.body.dataset.state = data.sso ? 'still-signed-in' : 'logged-out';
    }, (err) => {
      $('title').textContent = 'Could not check your session';
      $('summary').textContent = String((err as Error).message || err);
    });
    return;
  }

  const lines: Line[] = [];
  let settled = 0;
  // how the demo shows each frame outcome of adieu-js's frame-watcher (watchLogoutFrame)
  const SHOWN: Record<FrameStatus, [string, string]> = {
    confirmed: ['confirmed', 'signed out (confirmed by the application)'],
    loaded: ['done', 'signed out (page loaded; not confirmed by the application)'],
    timed_out: ['failed', `did not answer within ${config.timeoutMs / 1000} s — may still be signed in`],
    cookies_blocked: ['failed', 'could not see its session in the frame (cookies blocked?) — may still be signed in'],
    refused: ['failed', 'answered that it did not sign out — may still be signed in'],
  };

  function setLine(line: Line, cls: string, text: string) {
    line.li.className = cls;
    line.li.dataset.state = cls;
    line.li.querySelector('.state')!.textContent = text;
  }

  function settle(line: Line, cls: string, text: string) {
    if (line.settled) return;
    line.settled = true;
    setLine(line, cls, text);
    settled++;
    if (settled === lines.length) finish();
  }

  function finish() {
    const bad = lines.filter((l) => l.li.className === 'failed' || l.li.className === 'unknown');
    const ok = lines.length - bad.length;
    $('title').textContent = bad.length ? 'Some applications may still be signed in' : 'Signed out of every application';
    $('summary').textContent = `Signed out of ${ok} of ${lines.length} application${lines.length === 1 ? '' : 's'}.`;
    if (bad.length) {
      $('advice').hidden = false;
      $('advice').textContent = `${bad.map((l) => l.name).join(', ')} may still be signed in: open ${bad.length === 1 ? 'it' : 'each'} and sign out there, or close your browser.`;
    }
    ($('continue') as HTMLButtonElement).disabled = false;
    $('continue-now').hidden = true;
    $('continue').focus();
    document.body.dataset.settled = 'true';
  }

  function proceed() {
    idp.logout({ returnTo: config.returnTo, clientId: config.clientId, federated: config.federated });
  }
  $('continue').addEventListener('click', proceed);
  $('continue-now').addEventListener('click', proceed);

  idp.getSSOData().then((data) => {
    const ids = data.sso ? (data.sessionClients ?? []).filter((id) => id !== config.clientId) : [];
    if (!data.sso || ids.length === 0) {
      $('title').textContent = 'You are not signed in to any application';
      $('summary').textContent = 'Press Continue to end your session at the identity provider.';
      ($('continue') as HTMLButtonElement).disabled = false;
      document.body.dataset.settled = 'true';
      return;
    }
    $('summary').textContent = `Signing you out of ${ids.length} application${ids.length === 1 ? '' : 's'}…`;
    for (const id of ids) {
      const known = config.clients[id];
      const li = document.createElement('li');
      li.dataset.client = id;
      li.innerHTML = '<span class="bar" aria-hidden="true"></span><span><span class="name"></span><span class="state"></span></span>';
      li.querySelector('.name')!.textContent = known ? known.name : id;
      $('apps').appendChild(li);
      const line: Line = { id, name: known ? known.name : id, li, settled: false };
      lines.push(line);
      if (!known) {
        settle(line, 'unknown', 'unknown application: its logout URL is not configured here — it may still be signed in');
        continue;
      }
      setLine(line, 'pending', 'signing out…');
      const frame = document.createElement('iframe');
      frame.title = `sign out of ${known.name}`;
      $('frames').appendChild(frame);
      window.adieu.watchLogoutFrame(frame, { url: known.logout_url, origin: new URL(known.logout_url).origin, timeout_ms: config.timeoutMs })
        .then((outcome) => settle(line, ...SHOWN[outcome.status]));
    }
  }, (err: unknown) => {
    $('title').textContent = 'Could not reach the identity provider';
    $('summary').textContent = String((err as Error).message || err);
    ($('continue') as HTMLButtonElement).disabled = false;
  });
})();
