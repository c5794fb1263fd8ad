import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { PASSWORD, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { discover } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

// auth0-js `client.oauthToken` always posts JSON; Auth0's token endpoint takes JSON and forms alike.

describe('the token endpoint takes JSON bodies as well as forms', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());
  const app = testClient('app1');

  /** A fresh authorization code for app1 (signed in through the login page), with its PKCE verifier. */
  async function code() {
    const ua = new UserAgent();
    const config = await discover(idp.issuer, app);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: app.redirect_uris[0]!, scope: 'openid offline_access', prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const atCallback = (u: URL) => u.href.startsWith(app.redirect_uris[0]!);
    let page = await ua.follow(url, {}, atCallback);
    if (!atCallback(new URL(page.url))) page = await ua.submitForm(page, { username: 'mary@fabrikamcorp.com', password: PASSWORD }, /\/login$/, atCallback);
    return { code: new URL(page.url).searchParams.get('code')!, verifier };
  }

  const postJson = (path: string, body: unknown) => fetch(`${idp.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('exchanges a code posted as JSON, and the refresh token and revocation take JSON too', async () => {
    const { code: c, verifier } = await code();
    const res = await postJson('/oauth/token', {
      grant_type: 'authorization_code', code: c, redirect_uri: app.redirect_uris[0], code_verifier: verifier,
      client_id: app.client_id, client_secret: app.client_secret,
    });
    const tokens = await res.json() as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(tokens));
    assert.ok(tokens.id_token && tokens.access_token && tokens.refresh_token);
    const refreshed = await postJson('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.client_id, client_secret: app.client_secret });
    assert.equal(refreshed.status, 200);
    const revoked = await postJson('/oauth/revoke', { token: ((await refreshed.json()) as Record<string, string>).refresh_token, client_id: app.client_id, client_secret: app.client_secret });
    assert.equal(revoked.status, 200);
  });

  it('answers a bad JSON request with the same OAuth error codes as a bad form', async () => {
    const { code: c } = await code();
    const wrongVerifier = { grant_type: 'authorization_code', code: c, redirect_uri: app.redirect_uris[0], code_verifier: 'x'.repeat(43), client_id: app.client_id, client_secret: app.client_secret };
    const json = await postJson('/oauth/token', wrongVerifier);
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_grant');
    const nested = await postJson('/oauth/token', { grant_type: 'authorization_code', code: { $ne: '' } });
    assert.equal(nested.status, 400);
    assert.deepEqual(await nested.json(), { error: 'invalid_request', error_description: 'parameter code must be a string, not an object' });
    const garbage = await fetch(`${idp.issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(garbage.status, 400);
    assert.equal(((await garbage.json()) as { error: string }).error, 'invalid_request');
    const unauthenticated = await postJson('/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: app.client_id, client_secret: 'wrong-secret-0123456789' });
    assert.equal(unauthenticated.status, 401);
    assert.equal(((await unauthenticated.json()) as { error: string }).error, 'invalid_client');
  });
});
