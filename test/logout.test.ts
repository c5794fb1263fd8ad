import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { freePort, startIdp, startUpstream, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

const ssodata = async (ua: UserAgent, issuer: string) => (await ua.fetch(`${issuer}/user/ssodata`)).json() as Promise<any>;

describe('/v2/logout', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  async function signedIn() {
    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'));
    await signIn(ua, idp.issuer, testClient('app2'));
    const uid = (await idp.adieu.storage.listSsoSessions(first.claims.sub as string, 0)).at(-1)!.uid;
    return { ua, first, uid };
  }

  it('ends the SSO session, clears the cookie, revokes tokens and redirects to an allowed returnTo', async () => {
    const { ua, first, uid } = await signedIn();
    assert.ok(await idp.adieu.storage.getSsoSession(uid));
    const returnTo = 'http://localhost:9/app1/bye';
    const res = await ua.fetch(`${idp.issuer}/v2/logout?client_id=app1&returnTo=${encodeURIComponent(returnTo)}`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), returnTo);
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith('adieu_sso='));
    assert.match(cleared!, /expires=Thu, 01 Jan 1970/);
    assert.equal(ua.cookie(idp.issuer, 'adieu_sso'), undefined);
    assert.equal(await idp.adieu.storage.getSsoSession(uid), undefined, 'session record gone');
    assert.equal(await idp.adieu.storage.findPayloadBy('Session', 'uid', uid), undefined, 'oidc-provider session gone');
    assert.deepEqual(await ssodata(ua, idp.issuer), { sso: false });
    await assert.rejects(client.refreshTokenGrant(first.config, first.tokens.refresh_token!), (err: any) => err.error === 'invalid_grant', 'refresh token revoked');
    const again = await signIn(ua, idp.issuer, testClient('app1'));
    assert.equal(again.passwordPrompted, true, 'the next sign-in asks for the password');
  });

  it('accepts post_logout_redirect_uris and the tenant list, and shows a page without returnTo', async () => {
    for (const [query, location] of [
      ['client_id=app2&returnTo=http%3A%2F%2Flocalhost%3A9%2Fapp2%2Fsigned-out', 'http://localhost:9/app2/signed-out'],
      ['returnTo=http%3A%2F%2Flocalhost%3A9%2Ftenant%2Fbye', 'http://localhost:9/tenant/bye'],
    ]) {
      const { ua } = await signedIn();
      const res = await ua.fetch(`${idp.issuer}/v2/logout?${query}`);
      assert.equal(res.headers.get('location'), location);
      assert.deepEqual(await ssodata(ua, idp.issuer), { sso: false });
    }
    const { ua } = await signedIn();
    const res = await ua.fetch(`${idp.issuer}/v2/logout`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /You are signed out/);
    assert.deepEqual(await ssodata(ua, idp.issuer), { sso: false });
  });

  it('refuses a returnTo that is not an exact match, without signing out or redirecting', async () => {
    const { ua, uid } = await signedIn();
    const refused = [
      'client_id=app1&returnTo=http%3A%2F%2Flocalhost%3A9%2Fapp1%2Fbye%2Fextra', // prefix
      'client_id=app1&returnTo=http%3A%2F%2Flocalhost%3A9%2Fapp2%2Fbye', // another app's URL
      'client_id=app1&returnTo=https%3A%2F%2Fevil.example%2F',
      'returnTo=http%3A%2F%2Flocalhost%3A9%2Fapp1%2Fbye', // app URL without client_id: tenant list only
      'client_id=nope&returnTo=http%3A%2F%2Flocalhost%3A9%2Fapp1%2Fbye',
      'client_id=app1&returnTo=a&returnTo=b',
      `client_id=app1&returnTo=${'x'.repeat(5000)}`,
    ];
    for (const query of refused) {
      const res = await ua.fetch(`${idp.issuer}/v2/logout?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /Sign-out request refused/);
    }
    assert.ok(await idp.adieu.storage.getSsoSession(uid), 'still signed in');
    assert.equal((await ssodata(ua, idp.issuer)).sso, true);
  });
});

describe('/v2/logout with tenant.logout_confirmation: cross_site', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp({ tenant: { allowed_logout_urls: ['http://localhost:9/tenant/bye'], logout_confirmation: 'cross_site' } }); });
  after(() => idp.close());
  const returnTo = encodeURIComponent('http://localhost:9/tenant/bye');
  const crossSite = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' };

  async function signedIn() {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    return ua;
  }

  it('asks the person before a cross-site sign-out without client_id, and signs out only when they confirm', async () => {
    const ua = await signedIn();
    const asked = await ua.fetch(`${idp.issuer}/v2/logout?returnTo=${returnTo}`, { headers: crossSite });
    assert.equal(asked.status, 200);
    const page = await asked.text();
    assert.match(page, /Another site asked to sign you out/);
    assert.equal((await ssodata(ua, idp.issuer)).sso, true, 'still signed in while asked');

    const confirmation = /name="confirmation" value="([^"]+)"/.exec(page)![1]!;
    const post = (origin: string) => ua.fetch(`${idp.issuer}/v2/logout/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ confirmation }).toString(),
    });
    assert.equal((await post('https://evil.example')).status, 403, 'a forged confirmation from another origin');
    assert.equal((await ssodata(ua, idp.issuer)).sso, true);

    const confirmed = await post(new URL(idp.issuer).origin);
    assert.equal(confirmed.status, 302);
    assert.equal(confirmed.headers.get('location'), 'http://localhost:9/tenant/bye');
    assert.equal((await ssodata(ua, idp.issuer)).sso, false);
    assert.equal((await post(new URL(idp.issuer).origin)).status, 400, 'a confirmation is used once');
  });

  it('signs out without asking when the request names a client_id, or comes from the same site or the address bar', async () => {
    for (const [query, headers] of [
      [`client_id=app1&returnTo=${encodeURIComponent('http://localhost:9/app1/bye')}`, crossSite],
      [`returnTo=${returnTo}`, { 'sec-fetch-site': 'same-origin' }],
      [`returnTo=${returnTo}`, { 'sec-fetch-site': 'none' }],
    ] as const) {
      const ua = await signedIn();
      const res = await ua.fetch(`${idp.issuer}/v2/logout?${query}`, { headers });
      assert.equal(res.status, 302, query);
      assert.equal((await ssodata(ua, idp.issuer)).sso, false);
    }
  });

  it('a confirmation asked for one session does not end another', async () => {
    const victim = await signedIn();
    const page = await (await victim.fetch(`${idp.issuer}/v2/logout`, { headers: crossSite })).text();
    const confirmation = /name="confirmation" value="([^"]+)"/.exec(page)![1]!;
    const other = await signedIn();
    const res = await other.fetch(`${idp.issuer}/v2/logout/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(idp.issuer).origin },
      body: new URLSearchParams({ confirmation }).toString(),
    });
    assert.equal(res.status, 400);
    assert.equal((await ssodata(victim, idp.issuer)).sso, true);
    assert.equal((await ssodata(other, idp.issuer)).sso, true, 'a confirmation is bound to the session it was asked for');
  });
});

describe('/v2/logout by default (Auth0 behaviour)', () => {
  it('signs out on a cross-site navigation without asking', async () => {
    const idp = await startIdp();
    try {
      const ua = new UserAgent();
      await signIn(ua, idp.issuer, testClient('app1'));
      const res = await ua.fetch(`${idp.issuer}/v2/logout`, { headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /You are signed out/);
      assert.equal((await ssodata(ua, idp.issuer)).sso, false);
    } finally {
      await idp.close();
    }
  });
});

describe('RP-Initiated Logout 1.0 end-session endpoint', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  it('confirms, ends the session through the same path, and returns to post_logout_redirect_uri with state', async () => {
    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'));
    await signIn(ua, idp.issuer, testClient('app2'));
    const [record] = await idp.adieu.storage.listSsoSessions(first.claims.sub as string, 0);
    const url = client.buildEndSessionUrl(first.config, {
      id_token_hint: first.tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:9/app1/signed-out',
      state: 'xyz',
    });
    const confirm = await ua.follow(url);
    assert.equal(confirm.response.status, 200);
    assert.match(confirm.body, /Sign out of Adieu\?/);
    // a valid hint for this user: the page submits itself (a browser runs this script)
    assert.match(confirm.body, /<script src="\/assets\/confirm-logout.js"><\/script>/);
    const script = await ua.fetch(`${idp.issuer}/assets/confirm-logout.js`);
    assert.equal(script.headers.get('content-type'), 'application/javascript; charset=utf-8');
    assert.match(await script.text(), /getElementById\('op\.logoutForm'\)[\s\S]*submit\(\)/);
    const done = await ua.submitForm(confirm, { logout: 'yes' }, undefined, (u) => u.href.startsWith('http://localhost:9/'));
    assert.equal(done.url, 'http://localhost:9/app1/signed-out?state=xyz');
    assert.equal(await idp.adieu.storage.getSsoSession(record!.uid), undefined);
    assert.deepEqual(await ssodata(ua, idp.issuer), { sso: false });
    await assert.rejects(client.refreshTokenGrant(first.config, first.tokens.refresh_token!), (err: any) => err.error === 'invalid_grant');
  });

  it('"only this application" removes that client from sessionClients and keeps the session', async () => {
    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'));
    await signIn(ua, idp.issuer, testClient('app2'));
    const url = client.buildEndSessionUrl(first.config, { id_token_hint: first.tokens.id_token! });
    const confirm = await ua.follow(url);
    await ua.submitForm(confirm, {});
    const data = await ssodata(ua, idp.issuer);
    assert.equal(data.sso, true);
    assert.deepEqual(data.sessionClients, ['app2']);
    assert.equal(data.lastUsedClientID, 'app2');
  });

  it('a failure while ending the session leaves it whole: signed in, tokens valid, and the next try signs out', async () => {
    const ua = new UserAgent();
    const storage = idp.adieu.storage;
    const mary = (await storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!;
    const sessions = async () => (await storage.listSsoSessions(mary.id, 0)).map((s) => s.uid);
    const earlier = new Set(await sessions());
    const first = await signIn(ua, idp.issuer, testClient('app1'));
    await signIn(ua, idp.issuer, testClient('app2'));
    const uid = (await sessions()).find((u) => !earlier.has(u));
    const logouts = async () => (await storage.listLogouts({ limit: 500, offset: 0 })).filter((l) => l.session_uid === uid);
    const endSessions = storage.endSessions;
    storage.endSessions = async () => { throw new Error('injected: the database went away'); };
    try {
      const confirm = await ua.follow(client.buildEndSessionUrl(first.config, { id_token_hint: first.tokens.id_token! }));
      const failed = await ua.submitForm(confirm, { logout: 'yes' });
      assert.equal(failed.response.status, 500);
    } finally {
      storage.endSessions = endSessions;
    }
    assert.deepEqual((await ssodata(ua, idp.issuer)).sessionClients, ['app1', 'app2'], 'still signed in to both');
    const refreshed = await client.refreshTokenGrant(first.config, first.tokens.refresh_token!);
    assert.ok(refreshed.access_token, 'tokens were not revoked');
    assert.deepEqual(await logouts(), [], 'no logout record');

    const confirm = await ua.follow(client.buildEndSessionUrl(first.config, { id_token_hint: first.tokens.id_token! }));
    await ua.submitForm(confirm, { logout: 'yes' });
    assert.deepEqual(await ssodata(ua, idp.issuer), { sso: false });
    const [logout] = await logouts();
    assert.equal(logout?.trigger, 'rp_logout');
    assert.equal((await storage.getLogout(logout!.id))!.deliveries.length, 2);
    await assert.rejects(client.refreshTokenGrant(first.config, refreshed.refresh_token ?? first.tokens.refresh_token!), (err: any) => err.error === 'invalid_grant');
  });

  it('rejects an unregistered post_logout_redirect_uri with an OAuth error', async () => {
    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'));
    const url = client.buildEndSessionUrl(first.config, { id_token_hint: first.tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' });
    const res = await ua.follow(url);
    assert.equal(res.response.status, 400);
    assert.match(res.body, /invalid_request/);
    assert.match(res.body, /post_logout_redirect_uri not registered/);
  });
});

describe('federated logout through an upstream OpenID Connect connection', () => {
  let upstream: TestIdp;
  let idp: TestIdp;
  before(async () => {
    const port = await freePort();
    const started = await startUpstream(port, ['FabrikamAD']);
    upstream = started.upstream;
    idp = await startIdp({
      port,
      users: [],
      connections: [
        { type: 'database', name: 'Username-Password-Authentication' },
        started.connection('FabrikamAD', { strategy: 'ad' }),
      ],
    });
  });
  after(async () => {
    await idp.close();
    await upstream.close();
  });

  it('signs in at the upstream IdP once, reports the connection, and signs out at both', async () => {
    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'), { extra: { connection: 'FabrikamAD' } });
    assert.equal(first.passwordPrompted, true, 'the password is asked by the upstream IdP');
    const second = await signIn(ua, idp.issuer, testClient('app2'));
    assert.equal(second.passwordPrompted, false);
    assert.deepEqual(await ssodata(ua, idp.issuer), {
      sso: true,
      sessionClients: ['app1', 'app2'],
      lastUsedClientID: 'app2',
      lastUsedUsername: 'mary@fabrikamcorp.com',
      lastUsedConnection: { name: 'FabrikamAD', strategy: 'ad' },
    });
    assert.equal((await ssodata(ua, upstream.issuer)).sso, true, 'signed in at the upstream IdP');

    const returnTo = 'http://localhost:9/app1/bye';
    const toUpstream = await ua.follow(`${idp.issuer}/v2/logout?federated&client_id=app1&returnTo=${encodeURIComponent(returnTo)}`);
    assert.ok(toUpstream.url.startsWith(`${upstream.issuer}/oidc/logout?`), toUpstream.url);
    assert.ok(new URL(toUpstream.url).searchParams.get('id_token_hint'), 'sends the upstream id_token as hint');
    assert.deepEqual(await ssodata(ua, idp.issuer), { sso: false }, 'signed out here before leaving');
    const back = await ua.submitForm(toUpstream, { logout: 'yes' }, undefined, (u) => u.href === returnTo);
    assert.equal(back.url, returnTo);
    assert.ok(back.chain.some((u) => u.startsWith(`${idp.issuer}/v2/logout/federated/callback`)));
    assert.deepEqual(await ssodata(ua, upstream.issuer), { sso: false }, 'signed out at the upstream IdP too');

    const again = await signIn(ua, idp.issuer, testClient('app1'), { extra: { connection: 'FabrikamAD' } });
    assert.equal(again.passwordPrompted, true);
  });

  it('without federated, the upstream session is left alone', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'), { extra: { connection: 'FabrikamAD' } });
    const res = await ua.fetch(`${idp.issuer}/v2/logout?client_id=app1&returnTo=${encodeURIComponent('http://localhost:9/app1/bye')}`);
    assert.equal(res.headers.get('location'), 'http://localhost:9/app1/bye');
    assert.equal((await ssodata(ua, upstream.issuer)).sso, true);
  });
});
