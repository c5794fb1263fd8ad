import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { freePort, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { nodeSamlSp, samlSignIn, type NodeSamlSp } from '../harness/saml-sp.ts';
import { UserAgent } from '../harness/user-agent.ts';

// Auth0's issuers end with a slash (https://TENANT.auth0.com/) and auth0-spa-js compares `iss`
// with that string: an issuer configured that way is the `iss`, and every URL still has one slash.

describe('an issuer with a trailing slash', () => {
  let idp: TestIdp;
  let sp: NodeSamlSp;
  let origin: string;
  before(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    sp = await nodeSamlSp('helpdesk');
    idp = await startIdp({ port, issuer: `${origin}/`, clients: [testClient('app1'), sp.registration()] });
  });
  after(() => idp.close());

  it('is the iss of discovery and of ID tokens, while the endpoints keep single slashes', async () => {
    const discovery = await (await fetch(`${origin}/.well-known/openid-configuration`)).json() as Record<string, string>;
    assert.equal(discovery.issuer, `${origin}/`);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint']) {
      assert.ok(discovery[key]!.startsWith(`${origin}/`) && !discovery[key]!.slice(origin.length + 1).startsWith('/'), `${key}: ${discovery[key]}`);
    }
    const { tokens } = await signIn(new UserAgent(), `${origin}/`, testClient('app1'));
    assert.equal(decodeJwt(tokens.id_token!).iss, `${origin}/`);
  });

  it('builds SAML endpoints with one slash, and SAML sign-in works', async () => {
    const metadata = await (await fetch(`${origin}/samlp/metadata/helpdesk`)).text();
    assert.match(metadata, new RegExp(`Location="${origin}/samlp/helpdesk"`));
    assert.doesNotMatch(metadata, new RegExp(`${origin}//`));
    const { profile } = await samlSignIn(new UserAgent(), await sp.saml(origin));
    assert.equal(profile.nameID, 'mary@fabrikamcorp.com');
  });
});
