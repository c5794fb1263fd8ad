import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, freePort, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';

// What the admin console is built on: preview, coverage, health, probe, retry and cancel, overview.
describe('management API: the admin\'s view of sign-out', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  let deadPort: number;
  let mary: string;

  before(async () => {
    const port = await freePort();
    deadPort = await freePort(); // nothing listens: connections are refused
    receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
    idp = await startIdp({
      port,
      logout: { backchannel: { initial_backoff_ms: 60_000, timeout_ms: 1_000 } },
      clients: [
        testClient('bc', { backchannel_logout_uri: receiver.url('bc') }),
        testClient('fc', { frontchannel_logout_uri: 'http://localhost:9/fc/logout' }),
        testClient('dead', { backchannel_logout_uri: `http://127.0.0.1:${deadPort}/bcl/dead` }),
      ],
    });
    const ua = new UserAgent();
    for (const id of ['bc', 'fc', 'dead']) mary = (await signIn(ua, idp.issuer, testClient(id))).claims.sub as string;
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  it('finds a user by the start of their username or email, or by id', async () => {
    assert.deepEqual((await api(idp.issuer, '/users?q=mary@')).body.users.map((u: any) => u.id), [mary]);
    assert.deepEqual((await api(idp.issuer, `/users?q=${mary}`)).body.users.map((u: any) => u.id), [mary]);
    assert.deepEqual((await api(idp.issuer, '/users?q=nobody')).body.users, []);
  });

  it('previews what an admin ending reaches, and what the person\'s own sign-out would', async () => {
    const admin = (await api(idp.issuer, `/users/${mary}/logout-preview`)).body;
    const byClient = (p: any) => Object.fromEntries(p.sessions[0].deliveries.map((d: any) => [d.client_id, [d.channel, d.reached]]));
    assert.deepEqual(byClient(admin), { bc: ['backchannel', true], fc: ['frontchannel', false], dead: ['backchannel', true] });
    assert.equal(admin.unreached, 1);
    assert.match(admin.sessions[0].deliveries.find((d: any) => d.client_id === 'fc').reason, /no browser/);
    assert.deepEqual(byClient((await api(idp.issuer, `/users/${mary}/logout-preview?browser=true`)).body).fc, ['frontchannel', true]);
    assert.equal(receiver.count('bc'), 0, 'a preview sends nothing');
  });

  it('shows each application\'s coverage: a front-channel-only app is not reached by admin or expiry endings', async () => {
    const apps = (await api(idp.issuer, '/applications')).body.applications;
    const cells = (id: string) => Object.fromEntries(apps.find((a: any) => a.client_id === id).coverage.map((c: any) => [c.trigger, c.channels]));
    assert.deepEqual(cells('fc').user_logout, ['frontchannel']);
    assert.deepEqual(cells('fc').admin, []);
    assert.deepEqual(cells('fc').expired, []);
    assert.deepEqual(cells('bc').expired, ['backchannel']);
    assert.equal(apps.find((a: any) => a.client_id === 'adieu-console').kind, 'console');
  });

  it('probes an application with a test logout and shows its answer', async () => {
    const ok = (await api(idp.issuer, '/clients/bc/probe', { method: 'POST' })).body.results;
    assert.deepEqual(ok.map((r: any) => [r.channel, r.sent, r.ok, r.answered]), [['backchannel', true, true, true]]);
    assert.equal(receiver.received.get('bc')?.[0]?.claims.sub, 'adieu-probe');
    const dead = (await api(idp.issuer, '/clients/dead/probe', { method: 'POST' })).body.results;
    assert.deepEqual(dead.map((r: any) => [r.sent, r.ok, r.answered]), [[true, false, false]]);
    assert.match(dead[0].error, /refused|ECONNREFUSED|connect/i);
    const fc = (await api(idp.issuer, '/clients/fc/probe', { method: 'POST' })).body.results;
    assert.deepEqual(fc.map((r: any) => [r.channel, r.sent]), [['frontchannel', false]]);
  });

  it('signs out everywhere, then lets a failed delivery be retried once the app is back, and another cancelled', async () => {
    const ended = (await api(idp.issuer, `/users/${mary}/sessions`, { method: 'DELETE' })).body.ended;
    const logoutId = ended[0].logout_id;
    assert.ok(logoutId);
    const deliveries = async () => Object.fromEntries((await api(idp.issuer, `/logouts/${logoutId}`)).body.deliveries.map((d: any) => [d.client_id, d]));
    const first = await waitFor(async () => { const d = await deliveries(); return d.dead.status === 'retrying' && d.bc.status === 'delivered' && d; });
    assert.equal(first.fc.status, 'skipped');

    const delivered = await api(idp.issuer, `/logouts/${logoutId}/deliveries/${first.bc.id}/retry`, { method: 'POST' });
    assert.equal(delivered.status, 409, 'a delivered one is not sent again');

    // the application comes back on its port; retry now instead of in a minute
    const back = await new LogoutReceiver(idp.issuer).start(deadPort);
    try {
      const retried = await api(idp.issuer, `/logouts/${logoutId}/deliveries/${first.dead.id}/retry`, { method: 'POST' });
      assert.equal(retried.status, 202);
      await waitFor(async () => (await deliveries()).dead.status === 'delivered', 10_000, 'the retried delivery arrives');
      assert.equal(back.received.size, 1);
    } finally {
      await back.stop();
    }
    const logout = (await api(idp.issuer, `/logouts/${logoutId}`)).body;
    assert.equal(logout.status, 'completed_with_failures', 'fc could not be reached without a browser');
    // its history: the refused attempt, the admin's retry, the attempt that delivered
    const history = logout.deliveries.find((d: any) => d.client_id === 'dead').events.map((e: any) => [e.event, e.status, e.event === 'attempt' ? !!e.detail : e.detail]);
    assert.deepEqual(history, [['attempt', 'retrying', true], ['retry', 'retrying', 'token:admin'], ['attempt', 'delivered', false]]);

    const audit = (await api(idp.issuer, '/audit?action=delivery.retry')).body.entries;
    assert.deepEqual(audit.map((e: any) => e.status), [202, 409]);
  });

  it('cancels an undelivered delivery, and the logout completes', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('dead'));
    const ended = (await api(idp.issuer, `/users/${mary}/sessions`, { method: 'DELETE' })).body.ended;
    const logoutId = ended[0].logout_id;
    const dead = await waitFor(async () => (await api(idp.issuer, `/logouts/${logoutId}`)).body.deliveries.find((d: any) => d.status === 'retrying'));
    const cancelled = await api(idp.issuer, `/logouts/${logoutId}/deliveries/${dead.id}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'skipped');
    assert.equal(cancelled.body.last_error, 'cancelled by token:admin');
    assert.equal((await api(idp.issuer, `/logouts/${logoutId}`)).body.status, 'completed_with_failures');
    assert.equal((await api(idp.issuer, `/logouts/${logoutId}/deliveries/${dead.id}/cancel`, { method: 'POST' })).status, 409);
    assert.equal((await api(idp.issuer, `/logouts/${logoutId}/deliveries/nope/cancel`, { method: 'POST' })).status, 404);
  });

  it('pages logout records by next_before, newest first, without repeating one', async () => {
    const first = (await api(idp.issuer, '/logouts?limit=1')).body;
    assert.equal(first.logouts.length, 1);
    assert.ok(first.next_before);
    const second = (await api(idp.issuer, `/logouts?limit=1&before=${first.next_before}`)).body;
    assert.equal(second.logouts.length, 1);
    assert.notEqual(second.logouts[0].id, first.logouts[0].id);
    assert.ok(second.logouts[0].created_at <= first.logouts[0].created_at);
    assert.equal((await api(idp.issuer, '/logouts?before=yesterday')).status, 400);
  });

  it('sums it up in the overview: sessions, logouts by trigger, outcomes by channel, failing applications', async () => {
    const o = (await api(idp.issuer, '/overview')).body;
    assert.equal(typeof o.live_sessions, 'number');
    assert.ok(o.logouts_by_trigger.admin_all >= 2);
    assert.ok(o.deliveries_by_channel.backchannel.ok >= 2);
    assert.equal(o.series.length, 24);
    assert.ok(o.latency_ms.count >= 2);
    // dead: its latest delivery was cancelled; fc: an admin's sign-out could not reach it
    assert.deepEqual(o.failing_applications.map((a: any) => a.client_id).sort(), ['dead', 'fc']);
  });
});
