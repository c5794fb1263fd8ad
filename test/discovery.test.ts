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

  it('an implicit-flow request is refused with a page that names the flow and what to use instead', async () => {
    const app = testClient('app1');
    const url = `${idp.issuer}/authorize?client_id=${app.client_id}&response_type=${encodeURIComponent('token id_token')}&redirect_uri=${encodeURIComponent(app.redirect_uris[0]!)}&scope=openid&nonce=n`;
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 400);
    const page = await res.text();
    assert.match(page, /unsupported_response_type: response_type=token id_token is the implicit or hybrid flow/);
    assert.match(page, /Use response_type=code with PKCE/);
  });
});
