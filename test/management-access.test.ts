import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startIdp, type TestIdp } from '../harness/idp.ts';

const machine = (client_id: string, management_scopes?: string[]) => ({
  client_id, client_name: client_id, client_secret: `${client_id}-secret-0123456789`, grant_types: ['client_credentials'],
  ...(management_scopes ? { management_scopes } : {}),
});

/** A client-credentials token as Auth0's Management API clients ask for one (audience, JSON body). */
async function clientToken(issuer: string, clientId: string, scope: string) {
  const res = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${clientId}-secret-0123456789`, audience: `${issuer}/api/v1/`, scope }),
  });
  return { status: res.status, body: await res.json() as any };
}

describe('management API access', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp({
      clients: [machine('reader', ['read:management']), machine('operator', ['read:management', 'write:management']), machine('no-grant')],
    });
  });
  after(() => idp.close());

  it('gives a read-only client credentials token reads and refuses it changes with insufficient_scope', async () => {
    const token = await clientToken(idp.issuer, 'reader', 'read:management write:management');
    assert.equal(token.status, 200);
    assert.equal(token.body.scope, 'read:management', 'only the scopes the client was granted');
    assert.equal((await api(idp.issuer, '/clients', { token: token.body.access_token })).status, 200);
    const res = await fetch(`${idp.issuer}/api/v1/clients/reader`, { method: 'DELETE', headers: { authorization: `Bearer ${token.body.access_token}` } });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate')!, /error="insufficient_scope", scope="write:management"/);
    assert.match(((await res.json()) as any).detail, /write:management/);
  });

  it('lets a client with write:management change things, and audits who did what, refusals included', async () => {
    const token = (await clientToken(idp.issuer, 'operator', 'read:management write:management')).body.access_token;
    const created = await api(idp.issuer, '/users', { method: 'POST', token, json: { username: 'audited', password: 'long-enough-password' } });
    assert.equal(created.status, 201);
    const reader = (await clientToken(idp.issuer, 'reader', 'read:management')).body.access_token;
    assert.equal((await api(idp.issuer, `/users/${created.body.id}`, { method: 'DELETE', token: reader })).status, 403);

    const audit = (await api(idp.issuer, '/audit?limit=5')).body;
    const [refused, create] = audit.entries;
    assert.deepEqual([refused.actor, refused.action, refused.target, refused.status], ['client:reader', 'user.delete', `/api/v1/users/${created.body.id}`, 403]);
    assert.deepEqual([create.actor, create.action, create.status], ['client:operator', 'user.create', 201]);
    assert.deepEqual((await api(idp.issuer, '/audit?actor=client:reader')).body.entries.map((e: any) => [e.action, e.status]), [['user.delete', 403], ['client.delete', 403]]);
  });

  it('takes a narrowed grant away from tokens already issued', async () => {
    const token = (await clientToken(idp.issuer, 'operator', 'read:management write:management')).body.access_token;
    assert.equal((await api(idp.issuer, '/clients/operator', { method: 'PATCH', json: { management_scopes: ['read:management'] } })).status, 200);
    assert.equal((await api(idp.issuer, '/users', { method: 'POST', token, json: { username: 'late', password: 'long-enough-password' } })).status, 403);
    assert.equal((await api(idp.issuer, '/users', { token })).status, 200);
  });

  it('issues no management token to a client without management_scopes, nor to the wrong audience', async () => {
    const refused = await clientToken(idp.issuer, 'no-grant', 'read:management');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_target');
    assert.equal((await api(idp.issuer, '/clients', { token: 'a-made-up-token-that-is-long-enough' })).status, 401);
  });

  it('refuses management_scopes without the client_credentials grant, naming the field', async () => {
    const res = await api(idp.issuer, '/clients', { method: 'POST', json: { client_id: 'bad', redirect_uris: ['https://bad.example/cb'], management_scopes: ['read:management'] } });
    assert.equal(res.status, 400);
    assert.match(res.body.detail, /management_scopes: needs grant_types to include client_credentials/);
  });

  it('keeps the console client out of reach of the API', async () => {
    assert.equal((await api(idp.issuer, '/clients/adieu-console', { method: 'DELETE' })).status, 403);
    assert.equal((await api(idp.issuer, '/clients/adieu-console')).status, 200);
  });
});

describe('management API without an admin token', () => {
  it('serves scoped tokens and refuses anything else as invalid_token', async () => {
    const idp = await startIdp({ secrets: {}, clients: [machine('reader', ['read:management'])] });
    try {
      const res = await fetch(`${idp.issuer}/api/v1/clients`, { headers: { authorization: 'Bearer anything-at-all-here-0123' } });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate')!, /error="invalid_token"/);
      const token = (await clientToken(idp.issuer, 'reader', 'read:management')).body.access_token;
      assert.equal((await api(idp.issuer, '/clients', { token })).status, 200);
    } finally {
      await idp.close();
    }
  });
});
