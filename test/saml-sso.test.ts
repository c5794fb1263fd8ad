import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIdp, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { nodeSamlSp, postedFields, samlSignIn, type NodeSamlSp } from '../harness/saml-sp.ts';
import { signEnveloped } from '../harness/xml-sign.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { testClient } from '../harness/idp.ts';

describe('SAML single sign-on', () => {
  let idp: TestIdp;
  let sp: NodeSamlSp;
  let vault: NodeSamlSp;
  before(async () => {
    sp = await nodeSamlSp('helpdesk');
    vault = await nodeSamlSp('vault');
    idp = await startIdp({ clients: [testClient('app1'), sp.registration(), vault.registration({ encryption_certificates: [vault.credentials.certificate_pem] })] });
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

  test('an SP with an encryption certificate gets its assertion encrypted (AES-256-GCM), readable only with its key', async () => {
    const ua = new UserAgent();
    const saml = await vault.saml(idp.issuer, { decrypt: true });
    const { profile, page } = await samlSignIn(ua, saml);
    assert.equal(profile.nameID, 'mary@fabrikamcorp.com');
    const xmlText = Buffer.from(postedFields(page).fields.SAMLResponse!, 'base64').toString();
    assert.match(xmlText, /<saml:EncryptedAssertion[^>]*><xenc:EncryptedData [^>]*Type="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#Element"/);
    assert.match(xmlText, /xmlenc11#aes256-gcm/);
    assert.doesNotMatch(xmlText, /mary@fabrikamcorp\.com/, 'nothing about Mary in the clear');
    // the same response without the key: node-saml cannot read it
    const blind = await vault.saml(idp.issuer);
    await assert.rejects(blind.validatePostResponseAsync(postedFields(page).fields));
  });

  test('IdP-initiated: /samlp/:client_id without a request signs in and posts an unsolicited response to the default ACS', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    const page = await ua.follow(`${idp.issuer}/samlp/helpdesk?RelayState=${encodeURIComponent('/tickets/42')}`);
    const { action, fields } = postedFields(page);
    assert.equal(action, sp.acs);
    assert.equal(fields.RelayState, '/tickets/42');
    assert.doesNotMatch(Buffer.from(fields.SAMLResponse!, 'base64').toString(), /InResponseTo/);
    const { profile } = await (await sp.saml(idp.issuer)).validatePostResponseAsync(fields);
    assert.equal(profile!.nameID, 'mary@fabrikamcorp.com');
  });

  test('a browser already signed in to an OIDC app signs in to the SAML app silently, in the same session', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    const { profile, passwordPrompted } = await samlSignIn(ua, await sp.saml(idp.issuer));
    assert.equal(passwordPrompted, false);
    const sessions = await idp.adieu.storage.listSsoSessions((await idp.adieu.storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!.id, 0);
    // the session the SessionIndex names (other tests' sessions of Mary's are there too)
    const session = sessions.find((s) => s.clients.some((c) => c.client_id === 'helpdesk' && c.sid === profile.sessionIndex));
    assert.deepEqual(session!.clients.map((c) => c.client_id), ['app1', 'helpdesk']);
    const recorded = session!.clients.find((c) => c.client_id === 'helpdesk')!;
    assert.equal(recorded.sid, profile.sessionIndex);
    assert.deepEqual(recorded.name_id, { value: 'mary@fabrikamcorp.com', format: 'email' });
    assert.equal(session!.last_used_client_id, 'helpdesk');
    // getSSOData sees the SAML application like any other
    const ssodata = await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json();
    assert.deepEqual([ssodata.sessionClients, ssodata.lastUsedClientID], [['app1', 'helpdesk'], 'helpdesk']);
  });

  /** POSTs an AuthnRequest (HTTP-POST binding) as the SP would, signed with its key unless told otherwise. */
  async function postAuthnRequest(xmlText: string) {
    const res = await fetch(`${idp.issuer}/samlp/helpdesk`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLRequest: Buffer.from(xmlText).toString('base64') }),
    });
    return { status: res.status, body: await res.text() };
  }
  const authnRequest = (extra = '') => `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${Math.random().toString(16).slice(2)}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${idp.issuer}/samlp/helpdesk"><saml:Issuer>${sp.entity_id}</saml:Issuer>${extra}</samlp:AuthnRequest>`;

  test('a signed AuthnRequest over POST is accepted; unsigned, or breaking the schema, or carrying a DTD, it is refused with a page', async () => {
    const ok = await postAuthnRequest(signEnveloped(authnRequest(), sp.credentials));
    assert.equal(ok.status, 302, ok.body.slice(0, 300));
    const unsigned = await postAuthnRequest(authnRequest());
    assert.equal(unsigned.status, 400);
    assert.match(unsigned.body, /must sign its messages/);
    const offSchema = await postAuthnRequest(signEnveloped(authnRequest('<saml:Audience>x</saml:Audience>'), sp.credentials));
    assert.equal(offSchema.status, 400);
    assert.match(offSchema.body, /does not follow the SAML 2\.0 schema/);
    const xxe = await postAuthnRequest(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${authnRequest('<saml:Subject><saml:NameID>&amp;x;</saml:NameID></saml:Subject>')}`);
    assert.equal(xxe.status, 400);
    assert.match(xxe.body, /DTD/);
  });

  test('an AuthnRequest naming an assertion consumer URL that is not registered is refused: no assertion goes there', async () => {
    const res = await postAuthnRequest(signEnveloped(authnRequest().replace('Version="2.0"', 'Version="2.0" AssertionConsumerServiceURL="https://evil.example/acs"'), sp.credentials));
    assert.equal(res.status, 400);
    assert.match(res.body, /is not registered for this application/);
  });

  test('ForceAuthn asks for the password even with a live session; IsPassive without one answers NoPassive', async () => {
    const ua = new UserAgent();
    const saml = await sp.saml(idp.issuer);
    await samlSignIn(ua, saml);
    (saml.options as { forceAuthn?: boolean }).forceAuthn = true;
    assert.equal((await samlSignIn(ua, saml)).passwordPrompted, true);
    const passive = await sp.saml(idp.issuer);
    (passive.options as { passive?: boolean }).passive = true;
    const page = await new UserAgent().follow(await passive.getAuthorizeUrlAsync('', undefined, {}));
    const { fields } = postedFields(page);
    const xmlText = Buffer.from(fields.SAMLResponse!, 'base64').toString();
    assert.match(xmlText, /StatusCode Value="urn:oasis:names:tc:SAML:2\.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2\.0:status:NoPassive"/);
    // node-saml reads NoPassive as "nobody signed in" (profile null), as SAML profiles §4.1.4.2 intends
    assert.equal((await passive.validatePostResponseAsync(fields)).profile, null);
  });
});
