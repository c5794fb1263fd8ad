// Adieu's logout page: frames each application's front-channel or legacy logout URL, waits
// (bounded) for each to confirm by postMessage or at least load, watches back-channel
// deliveries, reports what it saw, then continues. Plain browser JavaScript, no build step.
(() => {
  'use strict';
  const data = JSON.parse(document.getElementById('adieu-logout-data').textContent);
  const lines = new Map([...document.querySelectorAll('#apps li')].map((li) => [li.dataset.id, li]));
  const views = new Map(data.deliveries.map((d) => [d.id, d]));
  const frameInfo = new Map(data.frames.map((f) => [f.id, { ...f, origin: new URL(f.url).origin, loadedAt: null, done: false }]));
  const results = [];
  const startedAt = performance.now();
  const TEXT = {
    confirmed: 'signed out (confirmed)',
    loaded: 'signed out (page loaded, not confirmed)',
    timed_out: 'did not answer in time',
    cookies_blocked: 'your browser blocked its cookies — it may still be signed in',
  };
  const LOADED_GRACE_MS = 1000;

  function paint(id, status, text, tone, error) {
    const li = lines.get(id);
    if (!li) return;
    li.className = tone;
    li.dataset.status = status;
    li.querySelector('.state').textContent = text + (error && tone === 'bad' ? ` — ${error}` : '');
  }

  function settleFrame(id, status, error) {
    const f = frameInfo.get(id);
    if (!f || f.done) return;
    f.done = true;
    const latency = Math.round(performance.now() - startedAt);
    results.push({ id, status, error: error || null, latency_ms: latency });
    const view = views.get(id);
    view.status = status;
    view.final = true;
    view.tone = status === 'confirmed' || status === 'loaded' ? 'ok' : 'bad';
    const text = status === 'timed_out' ? `did not answer within ${data.timeoutMs / 1000} s` : TEXT[status];
    paint(id, status, text, view.tone, status === 'timed_out' ? null : error);
    maybeFinish();
  }

  window.addEventListener('message', (event) => {
    for (const [id, f] of frameInfo) {
      const iframe = document.querySelector(`iframe[data-id="${id}"]`);
      if (!iframe || event.source !== iframe.contentWindow || event.origin !== f.origin) continue;
      const msg = event.data;
      if (!msg || msg.type !== 'adieu:logout') return;
      // the application saw no session cookie in the frame although it had one: blocked
      if (msg.status === 'no_session') settleFrame(id, 'cookies_blocked', 'the application could not see its session cookie inside the frame (third-party cookies blocked)');
      else settleFrame(id, 'confirmed');
    }
  });

  for (const iframe of document.querySelectorAll('iframe[data-id]')) {
    const id = iframe.dataset.id;
    iframe.addEventListener('load', () => {
      const f = frameInfo.get(id);
      if (!f || f.done) return;
      f.loadedAt = performance.now();
      // give a confirmation message a moment to arrive before calling it merely loaded
      setTimeout(() => settleFrame(id, 'loaded'), LOADED_GRACE_MS);
    });
  }
  setTimeout(() => {
    for (const [id, f] of frameInfo) if (!f.done) settleFrame(id, 'timed_out', `no answer within ${data.timeoutMs / 1000} s`);
  }, data.timeoutMs);

  let reported = false;
  function report() {
    if (reported || results.length === 0) return;
    reported = true;
    fetch(`/logout/${data.id}/report?token=${encodeURIComponent(data.token)}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ results }), keepalive: true,
    }).catch(() => {});
  }

  let polling = true;
  async function poll() {
    while (polling) {
      try {
        const res = await fetch(`/logout/${data.id}/status?token=${encodeURIComponent(data.token)}`, { cache: 'no-store' });
        if (res.ok) {
          const status = await res.json();
          for (const d of status.deliveries) {
            if (frameInfo.has(d.id) && !d.final) continue; // the frame is ours to judge
            views.set(d.id, d);
            paint(d.id, d.status, d.status_text, d.tone);
          }
          maybeFinish();
        }
      } catch { /* keep polling */ }
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  let finished = false;
  function maybeFinish() {
    const framesDone = [...frameInfo.values()].every((f) => f.done);
    if (framesDone) report();
    const all = [...views.values()];
    const waitedEnough = performance.now() - startedAt >= data.timeoutMs;
    if (finished || !framesDone || (!all.every((d) => d.final) && !waitedEnough)) return;
    finished = true;
    if (all.every((d) => d.final)) polling = false;
    const ok = all.filter((d) => d.tone === 'ok');
    const bad = all.filter((d) => d.tone === 'bad');
    const pending = all.filter((d) => d.tone === 'wait');
    const apps = (list) => [...new Set(list.map((d) => d.client_name))];
    document.getElementById('title').textContent = bad.length || pending.length ? 'Signed out, with problems' : 'You are signed out';
    const parts = [`Signed out of ${apps(ok).length} of ${apps(all).length} application${apps(all).length === 1 ? '' : 's'}.`];
    if (pending.length) parts.push(`Still retrying in the background: ${apps(pending).join(', ')}.`);
    if (bad.length) parts.push(`Failed: ${apps(bad).join(', ')}.`);
    document.getElementById('summary').textContent = parts.join(' ');
    if (bad.length || pending.length) {
      const advice = document.getElementById('advice');
      advice.hidden = false;
      advice.textContent = `${apps([...bad, ...pending]).join(', ')} may still be signed in. Open ${bad.length + pending.length === 1 ? 'it' : 'each'} and sign out there, or close your browser to be safe.`;
    }
    document.body.dataset.finished = bad.length || pending.length ? 'with-problems' : 'ok';
    if (data.hasReturn) {
      const button = document.getElementById('continue');
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

  poll();
  setTimeout(maybeFinish, data.timeoutMs + 50);
  if (frameInfo.size === 0) maybeFinish();
})();
