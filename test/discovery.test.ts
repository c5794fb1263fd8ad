import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';

// oidc-provider: a web client of the implicit grant registers https URLs only
const POSTED = { response_types: ['id_token'], redirect_uris: ['https://127.0.0.1:9/posted/cb'], post_logout_redirect_uris: ['https://127.0.0.1:9/posted/out'] };

describe('discovery lists only what works', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp({ clients: [testClient('app1'), testClient('posted', POSTED)] }); });
  after(() => idp.close());

  it('offers the code flow, an ID token posted to the client, and the client authentication methods a client can register, nothing else', async () => {
    const d = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
    assert.deepEqual(d.response_types_supported, ['code', 'id_token']);
    assert.deepEqual(d.grant_types_supported, ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'], 'client_credentials: machine clients, e.g. for the management API');
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
    assert.match(fields.get('error_description')!, /response_type=token id_token is the implicit flow.*use response_type=code with PKCE/);
    assert.equal(fields.get('state'), 's1');
    const page = await authorize('https://unregistered.example/cb');
    assert.equal(page.status, 400);
    assert.equal(page.headers.get('location'), null);
    assert.match(await page.text(), /unsupported_response_type: response_type=token id_token is the implicit flow/);
  });

  it('an ID token alone is served only posted to the client (form_post), never in the fragment', async () => {
    const app = testClient('posted', POSTED);
    const authorize = (mode?: string) => fetch(`${idp.issuer}/authorize?client_id=posted&response_type=id_token&redirect_uri=${encodeURIComponent(app.redirect_uris[0]!)}&scope=openid&nonce=n${mode ? `&response_mode=${mode}` : ''}`, { redirect: 'manual' });
    const fragment = await authorize();
    assert.equal(fragment.status, 303);
    assert.equal(new URLSearchParams(new URL(fragment.headers.get('location')!).hash.slice(1)).get('error'), 'unsupported_response_type');
    const posted = await authorize('form_post');
    assert.equal(posted.status, 303);
    assert.match(posted.headers.get('location')!, /\/interaction\//, 'on to the login page');
  });
});
