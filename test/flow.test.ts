import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

describe('sign-in across applications (code + PKCE, openid-client as the RP)', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp({
      clients: [testClient('app1'), testClient('app2'), testClient('app3'), testClient('solo', { sso: false }), testClient('es256', { id_token_signed_response_alg: 'ES256' }), testClient('jwt-userinfo', { userinfo_signed_response_alg: 'RS256' })],
    });
  });
  after(() => idp.close());

  const ssodata = async (ua: UserAgent) => (await ua.fetch(`${idp.issuer}/user/ssodata`)).json();

  it('asks for the password once, then signs in to the next applications silently', async () => {
    const ua = new UserAgent();
    assert.deepEqual(await ssodata(ua), { sso: false });

    const first = await signIn(ua, idp.issuer, testClient('app1'));
    assert.equal(first.passwordPrompted, true);
    const userinfo = await (await import('openid-client')).fetchUserInfo(first.config, first.tokens.access_token, first.claims.sub as string);
    assert.equal(userinfo.email, 'mary@fabrikamcorp.com');
    assert.equal(first.claims.aud, 'app1');
    assert.ok(first.claims.sid, 'the ID token carries the session id');
    assert.ok(first.tokens.refresh_token, 'a refresh token is issued');
    const cookie = ua.cookie(idp.issuer, 'adieu_sso');
    assert.ok(cookie, 'SSO cookie set');

    assert.deepEqual(await ssodata(ua), {
      sso: true,
      sessionClients: ['app1'],
      lastUsedClientID: 'app1',
      lastUsedUsername: 'mary@fabrikamcorp.com',
      lastUsedConnection: { name: 'Username-Password-Authentication', strategy: 'auth0' },
    });

    const second = await signIn(ua, idp.issuer, testClient('app2'));
    assert.equal(second.passwordPrompted, false, 'second application is silent');
    assert.equal(second.claims.sub, first.claims.sub);
    const third = await signIn(ua, idp.issuer, testClient('app3'));
    assert.equal(third.passwordPrompted, false);

    // order is sign-in order; signing in to app1 again moves lastUsed but not the order
    await signIn(ua, idp.issuer, testClient('app1'));
    assert.deepEqual(await ssodata(ua), {
      sso: true,
      sessionClients: ['app1', 'app2', 'app3'],
      lastUsedClientID: 'app1',
      lastUsedUsername: 'mary@fabrikamcorp.com',
      lastUsedConnection: { name: 'Username-Password-Authentication', strategy: 'auth0' },
    });
    const sids = new Set([first.claims.sid, second.claims.sid, third.claims.sid]);
    assert.equal(sids.size, 3, 'each client gets its own sid');
  });

  it('prompt=login asks again even with a live session', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    const again = await signIn(ua, idp.issuer, testClient('app2'), { extra: { prompt: 'login' } });
    assert.equal(again.passwordPrompted, true);
  });

  it('a client not enabled for SSO always gets a fresh login', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    const solo = await signIn(ua, idp.issuer, testClient('solo', { sso: false }));
    assert.equal(solo.passwordPrompted, true);
    const soloAgain = await signIn(ua, idp.issuer, testClient('solo', { sso: false }));
    assert.equal(soloAgain.passwordPrompted, true);
  });

  it('signs ID tokens with RS256 (2048-bit) by default and ES256 for a client that registers it, both keys in the JWKS', async () => {
    const jwks = await (await fetch(`${idp.issuer}/.well-known/jwks.json`)).json() as { keys: any[] };
    assert.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    for (const k of jwks.keys) assert.equal(k.d, undefined, 'no private part published');
    assert.equal(Buffer.from(jwks.keys.find((k) => k.alg === 'RS256').n, 'base64url').length * 8, 2048);
    const discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.deepEqual([...discovery.id_token_signing_alg_values_supported as string[]].sort(), ['ES256', 'RS256']);
    const header = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    const ua = new UserAgent();
    const rs = header((await signIn(ua, idp.issuer, testClient('app1'))).tokens.id_token!);
    assert.deepEqual([rs.alg, rs.kid], ['RS256', jwks.keys.find((k) => k.alg === 'RS256').kid]);
    const es = header((await signIn(ua, idp.issuer, testClient('es256', { id_token_signed_response_alg: 'ES256' }))).tokens.id_token!);
    assert.deepEqual([es.alg, es.kid], ['ES256', jwks.keys.find((k) => k.alg === 'ES256').kid]);
  });

  it('openid-client configured for RS256 (ID tokens and userinfo) signs in and reads a signed userinfo', async () => {
    const rp = { ...testClient('jwt-userinfo', { userinfo_signed_response_alg: 'RS256' }), id_token_signed_response_alg: 'RS256', userinfo_signed_response_alg: 'RS256' };
    const { tokens, config, claims } = await signIn(new UserAgent(), idp.issuer, rp);
    const response = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${idp.issuer}/userinfo`), 'GET');
    assert.match(response.headers.get('content-type')!, /application\/jwt/);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub as string);
    assert.equal(userinfo.email, 'mary@fabrikamcorp.com');
  });

  it('serves discovery, userinfo and the oidc-provider default paths as aliases', async () => {
    const discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(discovery.authorization_endpoint, `${idp.issuer}/authorize`);
    assert.equal(discovery.token_endpoint, `${idp.issuer}/oauth/token`);
    assert.equal(discovery.userinfo_endpoint, `${idp.issuer}/userinfo`);
    assert.equal(discovery.jwks_uri, `${idp.issuer}/.well-known/jwks.json`);
    assert.equal(discovery.end_session_endpoint, `${idp.issuer}/oidc/logout`);
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
    assert.equal((await fetch(`${idp.issuer}/jwks`)).status, 200);
    const ua = new UserAgent();
    const { tokens } = await signIn(ua, idp.issuer, testClient('app1'));
    for (const path of ['/userinfo', '/me']) {
      const res = await fetch(`${idp.issuer}${path}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(res.status, 200, path);
      assert.equal(((await res.json()) as any).email, 'mary@fabrikamcorp.com');
    }
  });

  it('sets the SSO cookie HttpOnly, Secure, SameSite=None', async () => {
    const raw: string[] = [];
    const probe = new UserAgent();
    const original = probe.fetch.bind(probe);
    probe.fetch = async (input, init) => {
      const r = await original(input, init);
      raw.push(...r.headers.getSetCookie());
      return r;
    };
    await signIn(probe, idp.issuer, testClient('app1'));
    const sso = raw.find((c) => c.startsWith('adieu_sso='));
    assert.ok(sso, 'SSO cookie was set');
    assert.match(sso!, /httponly/i);
    assert.match(sso!, /secure/i);
    assert.match(sso!, /samesite=none/i);
  });
});

describe('/user/ssodata CORS', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  it("answers an allowed web origin with credentials and refuses every other origin", async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    const allowed = await ua.fetch(`${idp.issuer}/user/ssodata`, { headers: { origin: 'http://app2.localhost:9' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://app2.localhost:9');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(((await allowed.json()) as any).sso, true);

    for (const origin of ['http://evil.example', 'null', 'http://app2.localhost:10', 'http://localhost:9']) {
      const refused = await ua.fetch(`${idp.issuer}/user/ssodata`, { headers: { origin } });
      assert.equal(refused.status, 403, origin);
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
      const body = await refused.json() as any;
      assert.equal(body.error, 'origin_not_allowed');
      assert.equal(body.sessionClients, undefined, 'no session data leaks');
    }
    const jsonp = await ua.fetch(`${idp.issuer}/user/ssodata?callback=x`);
    assert.match(jsonp.headers.get('content-type')!, /application\/json/, 'never JSONP');
  });
});

describe('sessions survive a restart', () => {
  it('a signed-in browser is still signed in after the server restarts', async () => {
    let idp = await startIdp();
    try {
      const ua = new UserAgent();
      await signIn(ua, idp.issuer, testClient('app1'));
      idp = await idp.restart();
      const data = await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json() as any;
      assert.equal(data.sso, true);
      assert.deepEqual(data.sessionClients, ['app1']);
      const silent = await signIn(ua, idp.issuer, testClient('app2'));
      assert.equal(silent.passwordPrompted, false);
    } finally {
      await idp.close();
    }
  });
});
