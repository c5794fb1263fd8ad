import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import * as client from 'openid-client';
import { api, freePort, scrapeMetrics, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';

const FAST_RETRIES = {
  backchannel: { timeout_ms: 800, initial_backoff_ms: 100, max_backoff_ms: 400, poll_interval_ms: 50, deadline_seconds: 4 },
  frontchannel: { timeout_ms: 2000 },
};

/** An IdP whose clients' back-channel URLs point at a fresh LogoutReceiver. */
async function idpWithReceiver(raw: (receiver: LogoutReceiver) => Record<string, unknown>) {
  const port = await freePort();
  const receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
  try {
    return { idp: await startIdp({ port, ...raw(receiver) }), receiver };
  } catch (err) {
    await receiver.stop(); // an open receiver would keep the test process from ending
    throw err;
  }
}

async function completedLogout(idp: TestIdp, id: string, timeoutMs = 15_000) {
  return waitFor(async () => {
    const { body } = await api(idp.issuer, `/logouts/${id}`);
    return body.status !== 'in_progress' && body;
  }, timeoutMs, `logout ${id} to complete`);
}

describe('back-channel logout delivery', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  let late: LogoutReceiver;
  let latePort: number;
  const apps = ['healthy', 'slow', 'down', 'flaky', 'refuses', 'sidapp'];
  // one admin logout of a session signed in to every kind of application, shared by the tests below
  const events: string[] = [];
  const signIns = new Map<string, Awaited<ReturnType<typeof signIn>>>();
  let sub: string;
  let logout: any;
  let by: Record<string, any>;

  before(async () => {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    receiver = await new LogoutReceiver(issuer).start();
    latePort = await freePort();
    late = new LogoutReceiver(issuer);
    receiver.behaviours.set('slow', { kind: 'slow', delayMs: 1500 });
    receiver.behaviours.set('flaky', { kind: 'sequence', statuses: [500, 503] });
    receiver.behaviours.set('refuses', { kind: 'sequence', statuses: [400] });
    const bcl = (id: string) => (id === 'down' ? `http://127.0.0.1:${latePort}/bcl/down` : receiver.url(id));
    idp = await startIdp({
      port,
      logout: FAST_RETRIES,
      clients: apps.map((id) => testClient(id, { backchannel_logout_uri: bcl(id), backchannel_logout_session_required: id === 'sidapp' })),
    });

    for (const name of ['logout.started', 'delivery.succeeded', 'delivery.retrying', 'delivery.failed', 'logout.completed'] as const) {
      idp.adieu.events.on(name, () => events.push(name));
    }
    const ua = new UserAgent();
    for (const id of apps) signIns.set(id, await signIn(ua, idp.issuer, testClient(id)));
    sub = signIns.get('healthy')!.claims.sub as string;
    const [session] = (await api(idp.issuer, `/users/${sub}/sessions`)).body.sessions;
    assert.equal((await api(idp.issuer, `/sessions/${session.id}`, { method: 'DELETE' })).status, 204);
    const [record] = (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts;
    assert.equal(record.trigger, 'admin');
    assert.equal(record.session_id, session.id);
    // the down application comes up after a while
    await new Promise((r) => setTimeout(r, 700));
    await late.start(latePort);
    logout = await completedLogout(idp, record.id);
    by = Object.fromEntries(logout.deliveries.map((d: any) => [d.client_id, d]));
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
    await late.stop();
  });

  it('a healthy application is signed out at the first attempt', () => {
    assert.equal(by.healthy.status, 'delivered');
    assert.equal(by.healthy.attempts, 1);
    assert.equal(by.sidapp.status, 'delivered');
    assert.equal(receiver.acknowledged('healthy'), 1);
    for (const d of logout.deliveries) assert.equal(d.channel, 'backchannel');
  });

  it('an application that is down when the session ends is signed out once it is back', () => {
    assert.equal(by.down.status, 'delivered');
    assert.ok(by.down.attempts >= 2, `down was retried (${by.down.attempts})`);
    assert.equal(late.acknowledged('down'), 1);
  });

  it('an application answering 500 then 503 is retried, with a freshly signed token each time, until it answers 200', () => {
    assert.equal(by.flaky.status, 'delivered');
    assert.equal(by.flaky.attempts, 3, '500, 503, then 200');
    assert.equal(receiver.acknowledged('flaky'), 1);
    const flakyJtis = new Set(receiver.received.get('flaky')!.map((r) => r.claims.jti));
    assert.equal(flakyJtis.size, 3, 'each attempt carries a freshly signed token');
  });

  it('a 400 is a refusal: rejected at once, not retried, with the status and the start of the answer', () => {
    assert.equal(by.refuses.status, 'rejected');
    assert.equal(by.refuses.attempts, 1, '400 is not retried');
    assert.match(by.refuses.last_error, /^HTTP 400: try later$/, "the status and the start of the answer");
  });

  it('an application slower than the timeout is retried until the deadline, then failed', () => {
    assert.equal(by.slow.status, 'failed');
    assert.ok(by.slow.attempts >= 2, 'slow was retried until the deadline');
    assert.match(by.slow.last_error, /timed out after 800 ms/);
  });

  it('the logout record completes with failures and a per-application summary', () => {
    assert.equal(logout.status, 'completed_with_failures');
    assert.deepEqual(logout.summary, { applications: 6, signed_out: 4, failed: 2, in_progress: 0 });
  });

  it('every logout token is valid (Back-Channel Logout 1.0 §2.6) and names the session: sid whenever known, sub always', () => {
    assert.deepEqual(receiver.invalid, []);
    assert.deepEqual(late.invalid, []);
    const sidToken = receiver.received.get('sidapp')![0]!.claims;
    assert.equal(sidToken.sid, signIns.get('sidapp')!.claims.sid, 'sid matches the ID token');
    assert.equal(sidToken.sub, sub);
    // an RP that keys sessions by sid ends one with a token from a client that did not require it
    assert.equal(receiver.received.get('healthy')![0]!.claims.sid, signIns.get('healthy')!.claims.sid, 'sid whenever the session has one');
    assert.equal(receiver.received.get('healthy')![0]!.claims.sub, sub, 'and sub always');
  });

  it('the session\'s refresh tokens are revoked', async () => {
    for (const [, s] of signIns) {
      await assert.rejects(client.refreshTokenGrant(s.config, s.tokens.refresh_token!), (err: any) => err.error === 'invalid_grant');
    }
  });

  it('events and metrics report the logout, its deliveries and its completion once', async () => {
    for (const name of ['logout.started', 'delivery.succeeded', 'delivery.retrying', 'delivery.failed', 'logout.completed']) {
      assert.ok(events.includes(name), `${name} emitted`);
    }
    assert.equal(events.filter((e) => e === 'logout.completed').length, 1);
    const metrics = await scrapeMetrics(idp.issuer);
    assert.match(metrics, /adieu_logout_deliveries_total\{channel="backchannel",status="delivered"\} 4/);
    assert.match(metrics, /adieu_logout_deliveries_total\{channel="backchannel",status="rejected"\} 1/);
    assert.match(metrics, /adieu_logout_delivery_latency_seconds_count\{channel="backchannel",status="delivered"\} 4/);
    assert.match(metrics, /adieu_logout_queue_depth\{status="pending"\} 0/);
    assert.match(metrics, /adieu_logouts_total\{trigger="admin"\} 1/);
  });

  it('filters logout records by user and status, with problem details on bad filters', async () => {
    const all = (await api(idp.issuer, '/logouts')).body.logouts;
    assert.ok(all.length >= 1);
    assert.equal((await api(idp.issuer, '/logouts?status=completed')).body.logouts.length, all.filter((l: any) => l.status === 'completed').length);
    assert.ok((await api(idp.issuer, '/logouts?status=completed_with_failures')).body.logouts.length >= 1);
    assert.deepEqual((await api(idp.issuer, '/logouts?user_id=nobody')).body.logouts, []);
    assert.equal((await api(idp.issuer, '/logouts?status=nope')).status, 400);
    assert.equal((await api(idp.issuer, '/logouts/00000000-0000-0000-0000-000000000000')).status, 404);
  });
});

describe('every way a session ends propagates the same way', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  before(async () => {
    ({ idp, receiver } = await idpWithReceiver((r) => ({
      logout: FAST_RETRIES,
      session: { idle_ttl_seconds: 2, absolute_ttl_seconds: 3600, sweep_interval_ms: 200 },
      clients: ['a', 'b', 'c'].map((id) => testClient(id, { backchannel_logout_uri: r.url(id), backchannel_logout_session_required: true })),
    })));
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  it('admin "sign out everywhere" reaches every application of every session of the user', async () => {
    const browsers = [new UserAgent(), new UserAgent()];
    const sids: string[] = [];
    let sub = '';
    for (const ua of browsers) {
      for (const id of ['a', 'b']) {
        const s = await signIn(ua, idp.issuer, testClient(id));
        sids.push(s.claims.sid as string);
        sub = s.claims.sub as string;
      }
    }
    const before = receiver.seenJti.size;
    const { body } = await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' });
    assert.equal(body.ended.length, 2);
    await waitFor(() => receiver.seenJti.size - before === 4 || undefined, 5000, 'four logout tokens');
    const got = [...receiver.received.values()].flat().map((r) => r.claims.sid);
    for (const sid of sids) assert.ok(got.includes(sid), `sid ${sid} reached its application`);
    const records = (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts.filter((l: any) => l.trigger === 'admin_all');
    assert.equal(records.length, 2);
    for (const r of records) assert.equal((await completedLogout(idp, r.id)).status, 'completed');
  });

  it('session expiry reaches every application', async () => {
    const ua = new UserAgent();
    const a = await signIn(ua, idp.issuer, testClient('a'));
    const c = await signIn(ua, idp.issuer, testClient('c'));
    const sub = a.claims.sub as string;
    const expired = await waitFor(async () => (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts.find((l: any) => l.trigger === 'expired'), 8000, 'the expiry logout');
    const done = await completedLogout(idp, expired.id);
    assert.deepEqual(done.deliveries.map((d: any) => [d.client_id, d.status]), [['a', 'delivered'], ['c', 'delivered']]);
    assert.ok(receiver.received.get('c')!.some((r) => r.claims.sid === c.claims.sid));
    assert.deepEqual(await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json(), { sso: false });
    await assert.rejects(client.refreshTokenGrant(a.config, a.tokens.refresh_token!));
  });

  it('a user logout with back-channel applications shows the person the logout page', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('a'));
    await signIn(ua, idp.issuer, testClient('b'));
    const res = await ua.fetch(`${idp.issuer}/v2/logout?client_id=a&returnTo=${encodeURIComponent('http://localhost:9/a/bye')}`);
    assert.equal(res.status, 302);
    const pageUrl = new URL(res.headers.get('location')!, idp.issuer);
    assert.match(pageUrl.pathname, /^\/logout\/[0-9a-f-]{36}$/);
    const page = await (await ua.fetch(pageUrl)).text();
    assert.match(page, /App a/);
    assert.match(page, /App b/);
    const statusUrl = new URL(`${pageUrl.pathname}/status${pageUrl.search}`, idp.issuer);
    const status = await waitFor(async () => {
      const s = await (await fetch(statusUrl)).json() as any;
      return s.status === 'completed' && s;
    }, 5000, 'the page status to complete');
    assert.deepEqual(status.deliveries.map((d: any) => d.status_text), ['signed out', 'signed out']);
    const cont = await ua.fetch(new URL(`${pageUrl.pathname}/continue${pageUrl.search}`, idp.issuer));
    assert.equal(cont.headers.get('location'), 'http://localhost:9/a/bye');
    // the page's secret is required
    assert.equal((await fetch(new URL(`${pageUrl.pathname}/status?token=wrong`, idp.issuer))).status, 404);
    assert.equal((await fetch(new URL(`${pageUrl.pathname}/status`, idp.issuer))).status, 404);
  });
});

describe('what an application answers stays with the admin', () => {
  it('shows the person a status class only, and the admin a sanitised excerpt', async () => {
    const { idp, receiver } = await idpWithReceiver((r) => ({
      logout: { ...FAST_RETRIES, backchannel: { ...FAST_RETRIES.backchannel, deadline_seconds: 1 } },
      clients: [testClient('leaky', { backchannel_logout_uri: r.url('leaky') })],
    }));
    receiver.behaviours.set('leaky', { kind: 'error', status: 500, body: 'PG error: connect to db-password=hunter2@10.0.0.5 failed\n  at Pool.connect' });
    try {
      const ua = new UserAgent();
      await signIn(ua, idp.issuer, testClient('leaky'));
      const res = await ua.fetch(`${idp.issuer}/v2/logout`);
      const pageUrl = new URL(res.headers.get('location')!, idp.issuer);
      const statusUrl = new URL(`${pageUrl.pathname}/status${pageUrl.search}`, idp.issuer);
      const status = await waitFor(async () => {
        const s = await (await fetch(statusUrl)).json() as any;
        return s.status !== 'in_progress' && s;
      }, 8000, 'the logout to complete');
      assert.equal(status.deliveries[0].status_text, 'could not be reached');
      const seenByPerson = JSON.stringify(status) + await (await ua.fetch(pageUrl)).text();
      assert.doesNotMatch(seenByPerson, /hunter2|db-password|PG error/);
      const admin = (await api(idp.issuer, `/logouts/${status.id}`)).body.deliveries[0];
      assert.match(admin.last_error, /HTTP 500: PG error: connect to db-password=\[redacted\]/);
      assert.doesNotMatch(admin.last_error, /hunter2/);
    } finally {
      await idp.close();
      await receiver.stop();
    }
  });
});

describe('the host policy decides at every attempt, on the address connected to', () => {
  it('refuses a retry queued before loopback was denied, and a name that resolves to loopback; neither is sent', async () => {
    const { idp: first, receiver } = await idpWithReceiver(() => ({ logout: FAST_RETRIES }));
    let idp = first;
    try {
      // registered through the API while loopback was allowed (config clients are checked again at start)
      for (const [id, uri] of [['queued', receiver.url('queued')], ['byname', receiver.url('byname').replace('127.0.0.1', 'localhost')]]) {
        const created = await api(idp.issuer, '/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(testClient(id!, { backchannel_logout_uri: uri })) });
        assert.equal(created.status, 201);
      }
      receiver.behaviours.set('queued', { kind: 'sequence', statuses: [503] });
      receiver.behaviours.set('byname', { kind: 'sequence', statuses: [503] });
      const ua = new UserAgent();
      let sub = '';
      for (const id of ['queued', 'byname']) sub = (await signIn(ua, idp.issuer, testClient(id))).claims.sub as string;
      await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' });
      const [record] = (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts;
      await waitFor(() => receiver.count('queued') === 1 && receiver.count('byname') === 1 || undefined, 5000, 'the first attempts');

      // the admin denies loopback targets; the queued retries run on the new policy
      idp.raw.logout = { ...FAST_RETRIES, backchannel: { ...FAST_RETRIES.backchannel, denied_hosts: ['loopback'] } };
      idp = await idp.restart();
      const done = await completedLogout(idp, record.id);
      for (const d of done.deliveries) {
        assert.equal(d.status, 'rejected', d.client_id);
        assert.match(d.last_error, /^not sent: host .*denied by logout.backchannel.denied_hosts/);
      }
      assert.match(done.deliveries.find((d: any) => d.client_id === 'byname').last_error, /localhost \(127\.0\.0\.1\)/, 'decided on the resolved address');
      assert.equal(receiver.count('queued') + receiver.count('byname'), 2, 'nothing more was sent');
    } finally {
      await idp.close();
      await receiver.stop();
    }
  });
});

describe('the logout page CSP', () => {
  it('is built from safe origins only, whatever a stored registration holds', async () => {
    const idp = await startIdp({ clients: [testClient('fine', { frontchannel_logout_uri: 'http://localhost:9/fine/fcl' })] });
    try {
      // written past validation, as a row from before it would be
      await idp.adieu.storage.putClient('bad', { ...testClient('bad'), frontchannel_logout_uri: 'http://x;sandbox allow-scripts/fcl' }, 'api');
      const ua = new UserAgent();
      await signIn(ua, idp.issuer, testClient('fine'));
      await signIn(ua, idp.issuer, testClient('bad'));
      const res = await ua.fetch(`${idp.issuer}/v2/logout`);
      const page = await ua.fetch(new URL(res.headers.get('location')!, idp.issuer));
      const csp = page.headers.get('content-security-policy')!;
      assert.match(csp, /frame-src http:\/\/localhost:9;/);
      assert.doesNotMatch(csp, /sandbox|x;/);
      assert.doesNotMatch(await page.text(), /x;sandbox/, 'the unsafe URL is not framed');
    } finally {
      await idp.close();
    }
  });
});

describe('the logout page link is bound to the lifetime of its logout', () => {
  it('takes no report after the deadline of a delivery, and expires 15 minutes after the logout completed', async () => {
    const idp = await startIdp({ clients: [testClient('front', { frontchannel_logout_uri: 'http://localhost:9/front/fcl' })] });
    try {
      const ua = new UserAgent();
      await signIn(ua, idp.issuer, testClient('front'));
      const pageUrl = new URL((await ua.fetch(`${idp.issuer}/v2/logout`)).headers.get('location')!, idp.issuer);
      assert.equal((await ua.fetch(pageUrl)).status, 200);
      const id = pageUrl.pathname.split('/')[2]!;
      const [delivery] = (await idp.adieu.storage.getLogout(id))!.deliveries;
      const report = () => ua.fetch(`${idp.issuer}/logout/${id}/report${pageUrl.search}`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ results: [{ id: delivery!.id, status: 'confirmed', latency_ms: 5 }] }),
      });

      mock.timers.enable({ apis: ['Date'], now: delivery!.deadline_at + 1 });
      try {
        assert.deepEqual(await (await report()).json(), { updated: 0 }, 'a report after the deadline changes nothing');
        await idp.adieu.storage.expireBrowserDeliveries(Date.now());
        await idp.adieu.propagation.settle(id);
        const done = (await idp.adieu.storage.getLogout(id))!;
        assert.equal(done.deliveries[0]!.status, 'timed_out');
        assert.equal(done.status, 'completed_with_failures');

        mock.timers.setTime(done.completed_at! + 14 * 60_000);
        assert.equal((await ua.fetch(pageUrl)).status, 200, 'within the grace period');
        mock.timers.setTime(done.completed_at! + 16 * 60_000);
        for (const path of ['', '/status', '/continue']) {
          const res = await ua.fetch(`${idp.issuer}/logout/${id}${path}${pageUrl.search}`);
          assert.equal(res.status, 410, path);
        }
        assert.equal((await report()).status, 410);
      } finally {
        mock.timers.reset();
      }
      assert.equal((await idp.adieu.storage.getLogout(id))!.deliveries[0]!.status, 'timed_out');
    } finally {
      await idp.close();
    }
  });
});

describe('logout channels without a browser, and the host policy', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  before(async () => {
    ({ idp, receiver } = await idpWithReceiver((r) => ({
      logout: { ...FAST_RETRIES, backchannel: { ...FAST_RETRIES.backchannel, denied_hosts: ['*.blocked.test', 'evil.test'] } },
      clients: [
        testClient('front', { frontchannel_logout_uri: 'http://localhost:9/front/fcl', frontchannel_logout_session_required: true }),
        testClient('legacy', { logout_url: 'http://localhost:9/legacy/logout' }),
        testClient('back', { backchannel_logout_uri: r.url('back') }),
        testClient('nothing'),
      ],
    })));
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  it('front-channel and legacy deliveries are recorded as skipped when no browser is present', async () => {
    const ua = new UserAgent();
    let sub = '';
    for (const id of ['front', 'legacy', 'back', 'nothing']) sub = (await signIn(ua, idp.issuer, testClient(id))).claims.sub as string;
    await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' });
    const [record] = (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts;
    const done = await completedLogout(idp, record.id);
    assert.deepEqual(done.deliveries.map((d: any) => [d.client_id, d.channel, d.status]), [
      ['front', 'frontchannel', 'skipped'],
      ['legacy', 'legacy_get', 'skipped'],
      ['back', 'backchannel', 'delivered'],
      ['nothing', 'none', 'no_channel'],
    ]);
    assert.equal(done.status, 'completed_with_failures');
    assert.match(done.deliveries[0].last_error, /no browser/);
  });

  it('refuses back-channel targets on the deny list, at registration and at delivery', async () => {
    for (const uri of ['http://x.blocked.test/bcl', 'http://evil.test/bcl']) {
      const res = await api(idp.issuer, '/clients', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(testClient('denied', { backchannel_logout_uri: uri })),
      });
      assert.equal(res.status, 400);
      assert.match(res.body.detail, /denied_hosts/);
    }
    const ok = await api(idp.issuer, '/clients', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(testClient('loopback', { backchannel_logout_uri: 'http://127.0.0.1:9/bcl' })),
    });
    assert.equal(ok.status, 201, 'loopback targets are allowed by default');
  });
});

describe('absolute session lifetime', () => {
  it('ends a session in use once absolute_ttl_seconds have passed since the login, and propagates it', async () => {
    const { idp, receiver } = await idpWithReceiver((r) => ({
      logout: FAST_RETRIES,
      // 4 s: room for two sign-ins on a loaded machine (the suite runs two files at once) before it ends
      session: { idle_ttl_seconds: 3600, absolute_ttl_seconds: 4, sweep_interval_ms: 200 },
      clients: ['a', 'b'].map((id) => testClient(id, { backchannel_logout_uri: r.url(id) })),
    }));
    try {
      const ua = new UserAgent();
      const a = await signIn(ua, idp.issuer, testClient('a'));
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await signIn(ua, idp.issuer, testClient('b'))).passwordPrompted, false, 'still live after 1 s, and used');
      const sub = a.claims.sub as string;
      const expired = await waitFor(async () => (await api(idp.issuer, `/logouts?user_id=${sub}`)).body.logouts.find((l: any) => l.trigger === 'expired'), 8000, 'the expiry');
      const done = await completedLogout(idp, expired.id);
      assert.deepEqual(done.deliveries.map((d: any) => [d.client_id, d.status]), [['a', 'delivered'], ['b', 'delivered']]);
      assert.equal(receiver.acknowledged('a'), 1);
      assert.equal((await signIn(ua, idp.issuer, testClient('a'))).passwordPrompted, true);
    } finally {
      await idp.close();
      await receiver.stop();
    }
  });
});

describe('an application at its cap of deliveries in flight', () => {
  it('claims a busy application\'s backlog as its slots free, without claiming others\' deliveries to give them back', async () => {
    // claiming every due delivery for one freed slot and giving back what the busy applications
    // could not take cost a claim and a release of ~100 rows per delivery in a mass expiry
    const { idp, receiver } = await idpWithReceiver((r) => ({
      logout: { backchannel: { per_target_concurrency: 1, poll_interval_ms: 3_600_000 } },
      clients: ['left', 'right'].map((id) => testClient(id, { backchannel_logout_uri: r.url(id) })),
    }));
    for (const id of ['left', 'right']) receiver.behaviours.set(id, { kind: 'slow', delayMs: 20 });
    const storage = idp.adieu.storage;
    const release = storage.releaseClaims.bind(storage);
    let released = 0;
    storage.releaseClaims = async (nodeId, ids) => {
      released += ids.length;
      return release(nodeId, ids);
    };
    try {
      let sub = '';
      for (let b = 0; b < 8; b++) {
        const ua = new UserAgent();
        sub = (await signIn(ua, idp.issuer, testClient('left'))).claims.sub as string;
        await signIn(ua, idp.issuer, testClient('right'));
      }
      assert.equal((await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' })).body.ended.length, 8);
      await waitFor(() => receiver.count('left') === 8 && receiver.count('right') === 8, 10_000, 'every session\'s logout tokens');
      assert.equal(released, 0, 'no delivery was claimed only to be given back');
    } finally {
      await idp.close();
      await receiver.stop();
    }
  });

  it('gets the rest of a large sign-out as soon as a slot frees, not at the next poll', async () => {
    // one delivery at a time to the application, and a poll an hour away: only a freed slot can
    // bring the rest
    const { idp, receiver } = await idpWithReceiver((r) => ({
      logout: { backchannel: { per_target_concurrency: 1, poll_interval_ms: 3_600_000 } },
      clients: [testClient('busy', { backchannel_logout_uri: r.url('busy') })],
    }));
    receiver.behaviours.set('busy', { kind: 'slow', delayMs: 50 });
    try {
      let sub = '';
      for (let b = 0; b < 8; b++) sub = (await signIn(new UserAgent(), idp.issuer, testClient('busy'))).claims.sub as string;
      const ended = (await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' })).body.ended;
      assert.equal(ended.length, 8);
      await waitFor(() => receiver.count('busy') === 8, 10_000, 'every session\'s logout token');
    } finally {
      await idp.close();
      await receiver.stop();
    }
  });
});
