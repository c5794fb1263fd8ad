import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, freePort, scrapeMetrics, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';

const TIMEOUT_MS = 800;
const HEALTHY = ['h1', 'h2', 'h3', 'h4', 'h5'];
const SESSIONS = 4;

describe('a slow-loris application among healthy ones', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  before(async () => {
    const port = await freePort();
    receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
    // 200 headers at once, then a byte every 300 ms: each chunk is on time, the answer never ends
    receiver.behaviours.set('loris', { kind: 'drip', intervalMs: 300 });
    idp = await startIdp({
      port,
      logout: {
        backchannel: {
          concurrency: 4, timeout_ms: TIMEOUT_MS, deadline_seconds: 4, initial_backoff_ms: 100, max_backoff_ms: 200, poll_interval_ms: 50,
          per_target_concurrency: 1, circuit_failure_threshold: 2, circuit_open_ms: 600,
        },
      },
      clients: ['loris', ...HEALTHY].map((id) => testClient(id, { backchannel_logout_uri: receiver.url(id) })),
    });
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  it('does not delay the others, and ends failed at its deadline with one attempt per request it saw', async () => {
    const ua = Array.from({ length: SESSIONS }, () => new UserAgent());
    let sub = '';
    for (const browser of ua) for (const id of ['loris', ...HEALTHY]) sub = (await signIn(browser, idp.issuer, testClient(id))).claims.sub as string;
    const started = Date.now();
    const ended = (await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' })).body.ended;
    assert.equal(ended.length, SESSIONS);

    await waitFor(() => HEALTHY.every((id) => receiver.acknowledged(id) === SESSIONS) || undefined, 10_000, 'every healthy application');
    const healthyDone = Date.now() - started;
    assert.ok(healthyDone < TIMEOUT_MS, `healthy applications signed out within one attempt's time (${healthyDone} ms)`);

    const logouts = (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts.filter((l: any) => l.trigger === 'admin_all');
    assert.equal(logouts.length, SESSIONS);
    const done = await Promise.all(logouts.map((l: any) => waitFor(async () => {
      const d = (await api(idp.issuer, `/logouts/${l.id}`)).body;
      return d.status !== 'in_progress' && d;
    }, 15_000, 'the logout to complete')));
    const loris = done.map((l) => l.deliveries.find((d: any) => d.client_id === 'loris'));
    for (const d of loris) {
      assert.equal(d.status, 'failed');
      assert.ok(Date.parse(d.completed_at) >= Date.parse(d.deadline_at) - TIMEOUT_MS, 'not given up before its deadline');
    }
    const attempts = loris.reduce((n, d) => n + d.attempts, 0);
    assert.equal(attempts, receiver.count('loris'), 'one attempt for every request the application saw, never two at once');
    for (const l of done) for (const d of l.deliveries.filter((x: any) => x.client_id !== 'loris')) assert.equal(d.status, 'delivered');

    const metrics = await scrapeMetrics(idp.issuer);
    assert.match(metrics, /adieu_logout_circuit_opened_total\{[^}]*\} [1-9]/, 'the circuit opened');
  });
});
