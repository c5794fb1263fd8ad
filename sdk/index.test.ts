import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { AdieuError, confirmLogout, createClient, decodeJwt, normalizeDomain } from './src/index.ts';

/** What a browser page at `origin` sends: the cookies of `ua`, and its Origin header. */
const fetchFrom = (ua: UserAgent, origin: string) => (u: RequestInfo | URL, init: RequestInit = {}) =>
  ua.fetch(u as string, { ...init, headers: { ...init.headers as Record<string, string>, origin } });

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

describe('adieu-js', () => {
  let idp: TestIdp;
  const spa = {
    client_id: 'spa', client_name: 'SPA', token_endpoint_auth_method: 'none',
    redirect_uris: ['http://localhost:9/spa/callback'], web_origins: ['http://localhost:9'], allowed_logout_urls: ['http://localhost:9/spa/'],
  };
  before(async () => { idp = await startIdp({ clients: [testClient('app1'), spa] }); });
  after(() => idp.close());

  it('validates its options and normalizes the domain', () => {
    assert.throws(() => createClient({ domain: '', clientId: 'x' } as any), /domain, clientId/);
    assert.equal(normalizeDomain('login.example.com/'), 'https://login.example.com');
    assert.equal(normalizeDomain('http://localhost:3000'), 'http://localhost:3000');
  });

  it('getSSOData returns the document shape, as a promise and through a Node-style callback', async () => {
    const ua = new UserAgent();
    const client = createClient({ domain: idp.issuer, clientId: 'spa', fetch: fetchFrom(ua, 'http://localhost:9'), storage: memoryStorage(), navigate: () => {} });
    assert.deepEqual(await client.getSSOData(), { sso: false });
    await signIn(ua, idp.issuer, testClient('app1'));
    const data = await client.getSSOData();
    assert.deepEqual(data.sessionClients, ['app1']);
    assert.equal(data.lastUsedUsername, 'mary@fabrikamcorp.com');
    const viaCallback = await new Promise((resolve, reject) => client.getSSOData((err, d) => (err ? reject(err) : resolve(d))));
    assert.deepEqual(viaCallback, data);
  });

  it('getSSOData rejects with the IdP error from a disallowed origin', async () => {
    const ua = new UserAgent();
    const client = createClient({ domain: idp.issuer, clientId: 'spa', fetch: fetchFrom(ua, 'http://evil.example'), storage: memoryStorage(), navigate: () => {} });
    await assert.rejects(client.getSSOData(), (e: AdieuError) => e instanceof AdieuError && e.error === 'origin_not_allowed');
    const err = await new Promise<Error | null>((resolve) => client.getSSOData((e) => resolve(e)));
    assert.ok(err instanceof AdieuError);
  });

  it('authorize + handleRedirectCallback sign in with code and PKCE against a real IdP', async () => {
    const ua = new UserAgent();
    const storage = memoryStorage();
    let navigated = '';
    const client = createClient({ domain: idp.issuer, clientId: 'spa', redirectUri: spa.redirect_uris[0], fetch: fetchFrom(ua, 'http://localhost:9'), storage, navigate: (u) => { navigated = u; } });
    await client.authorize({ appState: '/after', connection: 'Username-Password-Authentication' });
    const url = new URL(navigated);
    assert.equal(url.origin + url.pathname, `${idp.issuer}/authorize`);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('connection'), 'Username-Password-Authentication');
    assert.equal(storage.m.size, 1, 'the verifier is kept for the callback');
    const atCallback = (u: URL) => u.href.startsWith(spa.redirect_uris[0]!);
    const login = await ua.follow(navigated, {}, atCallback);
    const back = await ua.submitForm(login, { username: 'mary@fabrikamcorp.com', password: 'correct-horse-battery' }, /\/login$/, atCallback);
    const result = await client.handleRedirectCallback(back.url);
    assert.equal(result.appState, '/after');
    assert.equal(result.claims.aud, 'spa');
    assert.ok(result.accessToken);
    assert.equal(decodeJwt(result.idToken).sub, result.claims.sub);
    assert.equal(storage.m.size, 0);
    await assert.rejects(client.handleRedirectCallback(back.url), (e: AdieuError) => e.error === 'invalid_state', 'a callback is used once');
  });

  it('builds the document\'s logout URL', () => {
    let navigated = '';
    const client = createClient({ domain: idp.issuer, clientId: 'spa', storage: memoryStorage(), navigate: (u) => { navigated = u; } });
    assert.equal(client.buildLogoutUrl(), `${idp.issuer}/v2/logout`);
    assert.equal(client.buildLogoutUrl({ returnTo: 'http://localhost:9/spa/?federated=x', federated: true }),
      `${idp.issuer}/v2/logout?returnTo=http%3A%2F%2Flocalhost%3A9%2Fspa%2F%3Ffederated%3Dx&client_id=spa&federated`);
    client.logout({ returnTo: 'http://localhost:9/spa/', clientId: 'other' });
    assert.equal(navigated, `${idp.issuer}/v2/logout?returnTo=http%3A%2F%2Flocalhost%3A9%2Fspa%2F&client_id=other`);
  });

  it('confirmLogout posts the confirmation to the framing page', () => {
    const sent: unknown[] = [];
    assert.equal(confirmLogout('no_session', { postMessage: (m: unknown, o: string) => sent.push([m, o]) } as any), true);
    assert.deepEqual(sent, [[{ type: 'adieu:logout', status: 'no_session' }, '*']]);
    assert.equal(confirmLogout('signed_out', null), false, 'not framed: nothing to tell');
  });

  it('is served by the IdP as a script file and an ES module', async () => {
    const script = await fetch(`${idp.issuer}/sdk/adieu.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type')!, /javascript/);
    assert.match(await script.text(), /var adieu=/);
    assert.match(await (await fetch(`${idp.issuer}/sdk/adieu.mjs`)).text(), /export\{/);
  });
});
