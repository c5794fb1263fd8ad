import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { ConfigError, loadConfigFile, parseConfig } from '../src/config/load.ts';

describe('configuration errors name the path and the problem', () => {
  const base = { issuer: 'http://localhost:3000' };
  const cases: [unknown, RegExp][] = [
    [{}, /issuer: Invalid input/],
    [{ issuer: 'http://idp.example.com' }, /issuer: must be https, or http on localhost/],
    [{ issuer: 'https://idp.example.com/tenant' }, /issuer: must be an origin, with or without a trailing slash/],
    [{ ...base, port: 70000 }, /port: /],
    [{ ...base, storage: { kind: 'mysql' } }, /storage\.kind: /],
    [{ ...base, storage: { kind: 'sqlite' } }, /storage\.path: /],
    [{ ...base, colour: 'blue' }, /colour: unknown field/],
    [{ ...base, clients: [{ client_id: 'a', redirect_uris: ['http://x/cb'], backchannel_logout_url: 'http://x' }] }, /clients\.0\.backchannel_logout_url: unknown field/],
    [{ ...base, clients: [{ client_id: 'a', redirect_uris: ['javascript:alert(1)'] }] }, /clients\.0\.redirect_uris\.0: must be an absolute http\(s\) URL/],
    [{ ...base, clients: [{ client_id: 'a', redirect_uris: ['http://x/cb'] }, { client_id: 'a', redirect_uris: ['http://x/cb'] }] }, /clients\.1\.client_id: duplicate client_id a/],
    // a ; in a host name would end the logout page's CSP directive and start another
    [{ ...base, clients: [{ client_id: 'a', redirect_uris: ['http://x/cb'], frontchannel_logout_uri: 'http://x;sandbox/fcl' }] }, /clients\.0\.frontchannel_logout_uri: must be an absolute http\(s\) URL/],
    [{ ...base, clients: [{ client_id: 'a', redirect_uris: ['http://x/cb'], logout_url: "http://x/a'b" }] }, /clients\.0\.logout_url: /],
    [{ ...base, clients: [{ client_id: 'a', redirect_uris: ['http://x/cb'], web_origins: ['http://x,y'] }] }, /clients\.0\.web_origins\.0: must be an origin/],
    [{ ...base, users: [{ username: 'm', password: 'short' }] }, /users\.0\.password: /],
    [{ ...base, connections: [{ type: 'oidc', name: 'X', issuer: 'not a url', client_id: 'c' }] }, /connections\.0\.issuer: /],
    [{ ...base, connections: [{ type: 'oidc', name: 'X', issuer: 'http://localhost:1', client_id: 'c' }], users: [{ username: 'm', password: 'long-enough' }] }, /users\.0\.connection: must name a database connection/],
  ];
  for (const [raw, pattern] of cases) {
    it(`rejects ${JSON.stringify(raw).slice(0, 90)}`, () => {
      assert.throws(() => parseConfig(raw, {}), (err: Error) => err instanceof ConfigError && pattern.test(err.message));
    });
  }

  it('reports unreadable and unparsable files, and applies environment overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adieu-config-'));
    assert.throws(() => loadConfigFile(join(dir, 'missing.yaml')), /cannot read config file/);
    writeFileSync(join(dir, 'bad.yaml'), 'issuer: [unclosed');
    assert.throws(() => loadConfigFile(join(dir, 'bad.yaml')), /is not valid YAML/);
    writeFileSync(join(dir, 'ok.yaml'), [
      'issuer: http://localhost:3000',
      'storage: { kind: sqlite, path: data/x.db }',
      'connections: [{ type: database, name: DB }, { type: oidc, name: Fabrikam AD, issuer: "http://localhost:3001", client_id: c }]',
      'clients: [{ client_id: jwt-debugger, redirect_uris: ["http://localhost:1/cb"], token_endpoint_auth_method: client_secret_basic }]',
    ].join('\n'));
    const config = loadConfigFile(join(dir, 'ok.yaml'), {
      ADIEU_ADMIN_TOKEN: 'from-env-token-0123456789',
      ADIEU_CONNECTION_FABRIKAM_AD_CLIENT_SECRET: 'upstream-secret',
      ADIEU_CLIENT_JWT_DEBUGGER_SECRET: 'client-secret-from-env',
    });
    assert.equal(config.secrets.admin_token, 'from-env-token-0123456789');
    assert.equal((config.connections[1] as any).client_secret, 'upstream-secret');
    assert.equal(config.clients[0]!.client_secret, 'client-secret-from-env');
    assert.equal((config.storage as any).path, join(dir, 'data/x.db'), 'sqlite path is relative to the file');
    assert.equal(loadConfigFile(join(dir, 'ok.yaml'), { ADIEU_DATABASE_URL: 'postgres://x@127.0.0.1/db', ADIEU_CLIENT_JWT_DEBUGGER_SECRET: 'client-secret-from-env' }).storage.kind, 'postgres');
  });
});

describe('bad input on every endpoint gets a clear error and the server keeps serving', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  const app1 = testClient('app1');
  const authorizeUrl = (params: Record<string, string>) => {
    const u = new URL(`${idp.issuer}/authorize`);
    const all = { client_id: 'app1', response_type: 'code', scope: 'openid', redirect_uri: app1.redirect_uris[0]!, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params };
    for (const [k, v] of Object.entries(all)) if (v !== '') u.searchParams.set(k, v);
    return u.href;
  };

  it('unknown client and unregistered redirect_uri: error page, never a redirect', async () => {
    for (const [params, error] of [
      [{ client_id: 'nope' }, /invalid_client/],
      [{ redirect_uri: 'https://evil.example/cb' }, /invalid_redirect_uri/],
      [{ redirect_uri: `${app1.redirect_uris[0]}/extra` }, /invalid_redirect_uri/],
    ] as const) {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      assert.equal(res.status, 400, JSON.stringify(params));
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), error);
    }
  });

  it('protocol errors with a valid redirect_uri go back to the client with an OAuth error code', async () => {
    for (const [params, error] of [
      [{ code_challenge: '' }, 'invalid_request'], // PKCE is required
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'], // S256 only
      [{ prompt: 'none' }, 'login_required'],
    ] as const) {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      assert.equal(res.status, 303, JSON.stringify(params));
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.origin + location.pathname, app1.redirect_uris[0]);
      // implicit-style response types answer in the fragment
      const fields = new URLSearchParams(location.search || location.hash.slice(1));
      assert.equal(fields.get('error'), error, JSON.stringify(params));
    }
  });

  it('a wrong password says so and lets the user try again', async () => {
    const ua = new UserAgent();
    const result = await signIn(ua, idp.issuer, app1, {
      async onLoginPage(page) {
        const wrong = await ua.submitForm(page, { username: 'mary@fabrikamcorp.com', password: 'not-her-password' }, /\/login$/);
        assert.equal(wrong.response.status, 401);
        assert.match(wrong.body, /Wrong username or password/);
        assert.match(wrong.body, /value="mary@fabrikamcorp.com"/, 'username kept');
        const unknown = await ua.submitForm(wrong, { username: 'nobody@fabrikamcorp.com', password: 'whatever-password' }, /\/login$/);
        assert.equal(unknown.response.status, 401);
        assert.match(unknown.body, /Wrong username or password/, 'same message for an unknown user');
        const empty = await ua.submitForm(unknown, { username: '', password: '' }, /\/login$/);
        assert.equal(empty.response.status, 400);
        return ua.submitForm(empty, { username: 'mary@fabrikamcorp.com', password: 'correct-horse-battery' }, /\/login$/, (u) => u.href.startsWith(app1.redirect_uris[0]!));
      },
    });
    assert.equal(result.passwordPrompted, true);
  });

  it('refuses cross-origin login posts and expired interactions', async () => {
    const ua = new UserAgent();
    const page = await ua.follow(authorizeUrl({ state: 'abcdefgh', nonce: 'n' }));
    const action = /action="([^"]*\/login)"/.exec(page.body)![1]!;
    const cross = await ua.fetch(new URL(action, idp.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'username=mary%40fabrikamcorp.com&password=correct-horse-battery',
    });
    assert.equal(cross.status, 403);
    const stranger = new UserAgent();
    const noCookie = await stranger.fetch(new URL(action, idp.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=mary%40fabrikamcorp.com&password=correct-horse-battery',
    });
    assert.equal(noCookie.status, 400);
    assert.match(await noCookie.text(), /expired/);
    assert.equal((await stranger.fetch(`${idp.issuer}/interaction/made-up-uid`)).status, 400);
  });

  it('oversized and garbage parameters on every endpoint', async () => {
    const huge = 'x'.repeat(100_000);
    const garbage = '%00%ff%fe\u0000<script>';
    const checks: [string, RequestInit, number[]][] = [
      [authorizeUrl({ state: huge }), {}, [400, 303, 414, 431]],
      [authorizeUrl({ client_id: garbage }), {}, [400]],
      [`${idp.issuer}/authorize?client_id=app1&client_id=app2`, {}, [400]],
      [`${idp.issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=garbage' }, [400, 401]],
      [`${idp.issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('app1:app1-secret-0123456789').toString('base64')}` }, body: `grant_type=authorization_code&code=${huge}&redirect_uri=x&code_verifier=y` }, [400, 413]],
      [`${idp.issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":1}' }, [400]],
      [`${idp.issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: huge.repeat(20) }, [400, 413]],
      [`${idp.issuer}/userinfo`, { headers: { authorization: 'Bearer garbage' } }, [401]],
      [`${idp.issuer}/userinfo`, { headers: { authorization: `Bearer ${huge}` } }, [401, 431]],
      [`${idp.issuer}/oidc/logout?id_token_hint=garbage`, {}, [400]],
      [`${idp.issuer}/oidc/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example')}&client_id=nope`, {}, [400]],
      [`${idp.issuer}/v2/logout?returnTo=${garbage}`, {}, [400]],
      [`${idp.issuer}/v2/logout?returnTo=${huge}`, {}, [400, 414, 431]],
      [`${idp.issuer}/user/ssodata?${huge}`, {}, [200, 414, 431]],
      [`${idp.issuer}/interaction/${garbage}`, {}, [400]],
      [`${idp.issuer}/login/callback/FabrikamAD?state=${garbage}&code=x`, {}, [400]],
      [`${idp.issuer}/v2/logout/federated/callback?state=${garbage}`, {}, [400]],
      [`${idp.issuer}/api/v1/users/${garbage}`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } }, [404]],
      [`${idp.issuer}/api/v1/users`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' }, body: huge.repeat(10) }, [413]],
    ];
    for (const [url, init, statuses] of checks) {
      const res = await fetch(url, { redirect: 'manual', ...init });
      assert.ok(statuses.includes(res.status), `${url.slice(0, 120)} answered ${res.status}, expected one of ${statuses}`);
      const body = await res.text();
      if (res.status >= 400 && res.status !== 414 && res.status !== 431) {
        assert.ok(body.length > 0, `${url.slice(0, 80)}: error has a body`);
        assert.ok(!body.includes('<script>'), `${url.slice(0, 80)}: input is escaped`);
      }
      if (res.status === 303) {
        const location = new URL(res.headers.get('location')!);
        assert.ok(new URLSearchParams(location.search || location.hash.slice(1)).get('error'));
      }
    }
    // still serving, and a normal sign-in still works
    assert.equal((await fetch(`${idp.issuer}/health`)).status, 200);
    assert.equal((await signIn(new UserAgent(), idp.issuer, app1)).passwordPrompted, true);
  });
});

describe('absolute URLs come from the configured issuer, never from the request', () => {
  /** A raw GET with a forged Host and X-Forwarded-* headers (fetch would set Host itself). */
  function forged(url: string): Promise<{ status: number; location?: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, {
        headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Port': '8443' },
      }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
      });
      req.on('error', reject).end();
    });
  }

  for (const trust_proxy of [false, true]) {
    it(`Host: evil.example changes nothing in discovery, JWKS address or redirects (trust_proxy ${trust_proxy})`, async () => {
      const idp = await startIdp({ trust_proxy });
      try {
        const base = `http://127.0.0.1:${idp.port}`;
        const discovery = JSON.parse((await forged(`${base}/.well-known/openid-configuration`)).body);
        assert.equal(discovery.issuer, idp.issuer);
        const urls = Object.entries(discovery).filter(([, v]) => typeof v === 'string' && /^https?:/.test(v as string));
        assert.ok(urls.length >= 6, 'discovery lists endpoints');
        for (const [name, value] of urls) assert.ok((value as string).startsWith(`${idp.issuer}/`) || value === idp.issuer, `${name}: ${value}`);
        assert.doesNotMatch(JSON.stringify(discovery), /evil\.example/);

        const app1 = testClient('app1');
        const authorize = new URL(`${base}/authorize`);
        for (const [k, v] of Object.entries({ client_id: 'app1', response_type: 'code', scope: 'openid', redirect_uri: app1.redirect_uris[0]!, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) authorize.searchParams.set(k, v);
        const res = await forged(authorize.href);
        assert.equal(res.status, 303);
        assert.doesNotMatch(res.location ?? '', /evil\.example/);
      } finally {
        await idp.close();
      }
    });
  }
});
