import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIdp, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { nodeSamlSp, samlSignIn, type NodeSamlSp } from '../harness/saml-sp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { testClient } from '../harness/idp.ts';

describe('SAML single sign-on', () => {
  let idp: TestIdp;
  let sp: NodeSamlSp;
  before(async () => {
    sp = await nodeSamlSp('helpdesk');
    idp = await startIdp({ clients: [testClient('app1'), sp.registration()] });
  });
  after(() => idp.close());

  test('an SP-initiated sign-in asks for the password, then node-saml accepts the signed response', async () => {
    const ua = new UserAgent();
    const saml = await sp.saml(idp.issuer);
    const { profile, passwordPrompted, relayState } = await samlSignIn(ua, saml, { relayState: 'back-to-tickets' });
    assert.equal(passwordPrompted, true);
    assert.equal(profile.nameID, 'mary@fabrikamcorp.com');
    assert.equal(profile.nameIDFormat, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    assert.equal(relayState, 'back-to-tickets');
    assert.ok(profile.sessionIndex);
  });

  test('a browser already signed in to an OIDC app signs in to the SAML app silently, in the same session', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    const { profile, passwordPrompted } = await samlSignIn(ua, await sp.saml(idp.issuer));
    assert.equal(passwordPrompted, false);
    const sessions = await idp.adieu.storage.listSsoSessions((await idp.adieu.storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!.id, 0);
    const session = sessions.find((s) => s.clients.some((c) => c.client_id === 'app1'));
    assert.deepEqual(session!.clients.map((c) => c.client_id), ['app1', 'helpdesk']);
    const recorded = session!.clients.find((c) => c.client_id === 'helpdesk')!;
    assert.equal(recorded.sid, profile.sessionIndex);
    assert.deepEqual(recorded.name_id, { value: 'mary@fabrikamcorp.com', format: 'email' });
    assert.equal(session!.last_used_client_id, 'helpdesk');
  });
});
