import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';

describe('discovery lists only what works', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  it('offers the code flow and the client authentication methods a client can register, nothing else', async () => {
    const d = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
    assert.deepEqual(d.response_types_supported, ['code']);
    assert.deepEqual(d.grant_types_supported, ['authorization_code', 'refresh_token']);
    assert.deepEqual(d.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
  });

  it('an implicit-flow request gets an error that names the flow and what to use instead: to the client, or on a page', async () => {
    const app = testClient('app1');
    const authorize = (redirectUri: string) => fetch(`${idp.issuer}/authorize?client_id=${app.client_id}&response_type=${encodeURIComponent('token id_token')}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=openid&nonce=n&state=s1`, { redirect: 'manual' });
    const toClient = await authorize(app.redirect_uris[0]!);
    assert.equal(toClient.status, 303);
    const location = new URL(toClient.headers.get('location')!);
    assert.equal(location.origin + location.pathname, app.redirect_uris[0]);
    const fields = new URLSearchParams(location.hash.slice(1));
    assert.equal(fields.get('error'), 'unsupported_response_type');
    assert.match(fields.get('error_description')!, /response_type=token id_token is the implicit or hybrid flow.*use response_type=code with PKCE/);
    assert.equal(fields.get('state'), 's1');
    const page = await authorize('https://unregistered.example/cb');
    assert.equal(page.status, 400);
    assert.equal(page.headers.get('location'), null);
    assert.match(await page.text(), /unsupported_response_type: response_type=token id_token is the implicit or hybrid flow/);
  });
});
