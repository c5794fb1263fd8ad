import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

// Auth0 apps ask for an access token to an API with `audience` (auth0-spa-js: authorizationParams.audience).

describe("Auth0's /authorize parameters", () => {
  const API = 'https://api.fabrikam.example/tickets';
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp({ apis: [{ identifier: API, name: 'Tickets API', scopes: ['read:tickets', 'write:tickets'], token_lifetime_s: 600 }] });
  });
  after(() => idp.close());

  it('audience gets a JWT access token for the API (RS256, aud, the scopes asked for and registered), and the ID token as usual', async () => {
    const { tokens, claims } = await signIn(new UserAgent(), idp.issuer, testClient('app1'), { extra: { audience: API, scope: 'openid email read:tickets delete:everything' } as Record<string, string> });
    // the access token is for the API, so the ID token carries the profile itself (OIDC Core §5.4)
    assert.equal(claims.email, 'mary@fabrikamcorp.com');
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: idp.issuer, audience: API });
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'RS256');
    assert.equal(payload.scope, 'read:tickets', 'only scopes registered for the API');
    assert.equal(payload.client_id, 'app1');
    assert.ok(payload.exp! - payload.iat! <= 600, JSON.stringify(payload));
  });

  it('an unknown audience, or an organization, is refused with an error that names it; auth0Client telemetry is ignored', async () => {
    const ua = new UserAgent();
    const oauthError = (error: string, description: RegExp) => (err: { error?: string; error_description?: string }) => {
      assert.equal(err.error, error);
      assert.match(err.error_description ?? '', description);
      return true;
    };
    await assert.rejects(signIn(ua, idp.issuer, testClient('app1'), { extra: { audience: 'https://nope.example/' } }), oauthError('invalid_target', /unknown audience https:\/\/nope\.example\/: no API is registered/));
    await assert.rejects(signIn(ua, idp.issuer, testClient('app1'), { extra: { organization: 'org_123' } }), oauthError('invalid_request', /unsupported: organizations/));
    const telemetry = Buffer.from(JSON.stringify({ name: 'auth0-spa-js', version: '2.4.1' })).toString('base64');
    const { claims, tokens } = await signIn(ua, idp.issuer, testClient('app1'), { extra: { auth0Client: telemetry, screen_hint: 'signup' } });
    assert.ok(claims.sub && tokens.access_token);
  });

  it('response_mode=web_message answers only an origin in the client\'s web_origins', async () => {
    const app = testClient('app1');
    const res = await fetch(`${idp.issuer}/authorize?client_id=app1&response_type=code&response_mode=web_message&prompt=none&scope=openid&redirect_uri=${encodeURIComponent(app.redirect_uris[0]!)}&code_challenge=${'x'.repeat(43)}&code_challenge_method=S256`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description')!, /web_message answers only to an origin in the client's web_origins/);
  });
});
