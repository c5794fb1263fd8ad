import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { ADMIN_TOKEN, apiFetch, startIdp, testClient, type ApiInit, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

describe('management API', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  const api = (path: string, init: ApiInit = {}, token = ADMIN_TOKEN) => apiFetch(idp.issuer, path, { ...init, token });

  async function problem(res: Response, status: number) {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type')!, /^application\/problem\+json/);
    const body = await res.json() as any;
    assert.equal(body.status, status);
    assert.ok(body.title);
    return body;
  }

  it('writes every timestamp in one format, ISO 8601 UTC, on users, clients, sessions and logouts', async () => {
    const ua = new UserAgent();
    const { claims } = await signIn(ua, idp.issuer, testClient('app1'));
    const sub = claims.sub as string;
    const ended = await (await api(`/users/${sub}/sessions`)).json() as any;
    await api(`/users/${sub}/sessions`, { method: 'DELETE' });
    const bodies = [
      await (await api('/users')).json(), await (await api(`/users/${sub}`)).json(),
      await (await api('/clients')).json(), ended,
      await (await api(`/logouts?user_id=${sub}`)).json(),
    ] as any[];
    bodies.push(await (await api(`/logouts/${bodies[4].logouts[0].id}`)).json());
    const stamps: [string, unknown][] = [];
    const walk = (v: unknown, key = ''): void => {
      if (Array.isArray(v)) v.forEach((x) => walk(x));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
      else if (/_at$/.test(key)) stamps.push([key, v]);
    };
    walk(bodies);
    for (const k of ['created_at', 'updated_at', 'expires_at', 'first_at', 'last_at', 'completed_at', 'deadline_at']) {
      assert.ok(stamps.some(([key]) => key === k), `${k} appears`);
    }
    for (const [key, v] of stamps) assert.ok(v === null || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v)), `${key}: ${v}`);
  });

  it('requires the admin bearer token', async () => {
    await problem(await api('/clients', {}, ''), 401);
    await problem(await api('/clients', {}, 'wrong-token-wrong-token'), 401);
    assert.equal((await api('/clients')).status, 200);
    await problem(await api('/nothing-here'), 404);
  });

  it('creates, reads, updates and deletes a client; the new client can sign in', async () => {
    const metadata = testClient('api-app', { backchannel_logout_uri: 'http://localhost:9/api-app/bcl' });
    const created = await api('/clients', { method: 'POST', json: metadata });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), '/api/v1/clients/api-app');
    const body = await created.json() as any;
    assert.equal(body.client_secret, undefined, 'secret is never shown');
    assert.equal(body.has_client_secret, true);
    assert.equal(body.sso, true);
    assert.equal(body.backchannel_logout_uri, 'http://localhost:9/api-app/bcl');
    await problem(await api('/clients', { method: 'POST', json: metadata }), 409);

    const ua = new UserAgent();
    assert.equal((await signIn(ua, idp.issuer, metadata)).passwordPrompted, true);

    const patched = await api('/clients/api-app', { method: 'PATCH', json: { client_name: 'Renamed', backchannel_logout_uri: null } });
    assert.equal(patched.status, 200);
    const p = await patched.json() as any;
    assert.equal(p.client_name, 'Renamed');
    assert.equal(p.backchannel_logout_uri, undefined);

    const replaced = await api('/clients/api-app', { method: 'PUT', json: { ...metadata, client_name: 'Replaced', sso: false } });
    assert.equal(((await replaced.json()) as any).sso, false);
    assert.ok(((await (await api('/clients')).json()) as any).clients.some((c: any) => c.client_id === 'api-app'));
    assert.equal((await api('/clients/api-app', { method: 'DELETE' })).status, 204);
    await problem(await api('/clients/api-app'), 404);
    await problem(await api('/clients/api-app', { method: 'DELETE' }), 404);
  });

  it('rejects bad client metadata naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...testClient('x'), redirect_uris: ['not a url'] }, /redirect_uris\.0/],
      [{ ...testClient('x'), redirect_uris: ['http://localhost/cb#frag'] }, /redirect_uris\.0/],
      [{ ...testClient('x'), colour: 'blue' }, /colour: unknown field/],
      [{ ...testClient('x'), web_origins: ['http://localhost:9/path'] }, /web_origins\.0/],
      [{ ...testClient('x'), backchannel_logout_uri: 'ftp://x' }, /backchannel_logout_uri/],
      [{ ...testClient('x'), client_secret: undefined, token_endpoint_auth_method: 'client_secret_basic' }, /client_secret/],
      [{ client_id: 'x' }, /redirect_uris/],
      [{ ...testClient('x'), client_id: 'bad id!' }, /client_id/],
      [[1, 2], /body must be a JSON object/],
    ];
    for (const [body, pattern] of cases) {
      const res = await api('/clients', { method: 'POST', json: body });
      const p = await problem(res, 400);
      assert.match(p.detail, pattern, JSON.stringify(body));
    }
    await problem(await api('/clients', { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } }), 400);
    await problem(await api('/clients', { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    await problem(await api('/clients', { method: 'POST', json: { ...testClient('big'), client_name: 'x'.repeat(300 * 1024) } }), 413);
    await problem(await api('/clients/app1', { method: 'PUT', json: { ...testClient('app1'), client_id: 'other' } }), 400);
    assert.equal((await api('/clients/x')).status, 404, 'nothing was created');
  });

  it('manages users; a password change and deletion end their sessions', async () => {
    const created = await api('/users', { method: 'POST', json: { username: 'john@fabrikamcorp.com', password: 'john-password-1', email: 'john@fabrikamcorp.com', name: 'John' } });
    assert.equal(created.status, 201);
    const john = await created.json() as any;
    assert.equal(john.password_hash, undefined);
    assert.equal(john.has_password, true);
    assert.equal(john.connection, 'Username-Password-Authentication');
    await problem(await api('/users', { method: 'POST', json: { username: 'john@fabrikamcorp.com', password: 'another-password' } }), 409);
    await problem(await api('/users', { method: 'POST', json: { username: 'short', password: 'x' } }), 400);
    await problem(await api('/users', { method: 'POST', json: { username: 'u', password: 'long-enough-pw', connection: 'nope' } }), 400);
    await problem(await api('/users?limit=0'), 400);
    for (const [query, named] of [
      ['offset=1e21', /offset: must be a whole number/], ['offset=99999999999', /offset: /], ['limit=-1', /limit: /],
      ['limit=1&limit=2', /limit: must be given once/], ['colour=blue', /colour: unknown field/], ['connection=', /connection: /],
    ] as const) {
      assert.match((await problem(await api(`/users?${query}`), 400)).detail, named, query);
    }
    for (const query of ['offset=1e21', 'status=completed&status=completed', 'user_id=', 'page=2']) await problem(await api(`/logouts?${query}`), 400);
    const list = await (await api('/users?limit=500')).json() as any;
    assert.ok(list.users.some((u: any) => u.id === john.id));

    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'), { username: 'john@fabrikamcorp.com', password: 'john-password-1' });
    assert.equal(first.claims.sub, john.id);

    const patched = await api(`/users/${john.id}`, { method: 'PATCH', json: { name: 'Johnny', password: 'john-password-2' } });
    assert.equal(((await patched.json()) as any).profile.name, 'Johnny');
    assert.equal(((await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json()) as any).sso, false, 'password change ended the session');
    await assert.rejects(client.refreshTokenGrant(first.config, first.tokens.refresh_token!));

    const again = await signIn(ua, idp.issuer, testClient('app1'), { username: 'john@fabrikamcorp.com', password: 'john-password-2' });
    assert.equal(again.passwordPrompted, true);
    assert.equal((await api(`/users/${john.id}`, { method: 'DELETE' })).status, 204);
    assert.equal(((await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json()) as any).sso, false, 'deletion ended the session');
    await problem(await api(`/users/${john.id}`), 404);
    // both endings went the one way: a logout record each, with their trigger, for the admin
    const records = ((await (await api(`/logouts?user_id=${john.id}`)).json()) as any).logouts;
    assert.deepEqual(records.map((l: any) => l.trigger).sort(), ['account_deleted', 'password_changed']);
    for (const l of records) {
      const detail = await (await api(`/logouts/${l.id}`)).json() as any;
      assert.deepEqual(detail.deliveries.map((d: any) => d.client_id), ['app1'], `${l.trigger} lists the signed-in application`);
    }
  });

  it("lists a user's live sessions with their clients, ends one, and signs the user out everywhere", async () => {
    const browsers = [new UserAgent(), new UserAgent(), new UserAgent()];
    let sub = '';
    for (const ua of browsers) {
      sub = (await signIn(ua, idp.issuer, testClient('app1'))).claims.sub as string;
      await signIn(ua, idp.issuer, testClient('app2'));
    }
    const listed = await (await api(`/users/${sub}/sessions`)).json() as any;
    const mine = listed.sessions.filter((x: any) => x.clients.length === 2);
    assert.equal(mine.length, 3, 'one session per browser');
    const s = mine[0];
    assert.deepEqual(s.clients.map((c: any) => [c.client_id, c.client_name]), [['app1', 'App app1'], ['app2', 'App app2']]);
    assert.equal(s.last_used_client_id, 'app2');
    assert.equal(s.username, 'mary@fabrikamcorp.com');
    assert.equal(((await (await api(`/sessions/${s.id}`)).json()) as any).id, s.id);

    assert.equal((await api(`/sessions/${s.id}`, { method: 'DELETE' })).status, 204);
    await problem(await api(`/sessions/${s.id}`), 404);
    await problem(await api(`/sessions/${s.id}`, { method: 'DELETE' }), 404);
    const live = await Promise.all(browsers.map(async (ua) => ((await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json()) as any).sso));
    assert.equal(live.filter((x) => x === false).length, 1, 'exactly one browser was signed out');

    const everywhere = await (await api(`/users/${sub}/sessions`, { method: 'DELETE' })).json() as any;
    assert.ok(everywhere.ended.length >= 2);
    for (const ua of browsers) assert.equal(((await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json()) as any).sso, false);
    assert.deepEqual(((await (await api(`/users/${sub}/sessions`)).json()) as any).sessions, []);
  });
});
