import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { nodeSamlSp, samlSignIn, type NodeSamlSp } from '../harness/saml-sp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { signEnveloped } from '../harness/xml-sign.ts';
import { waitFor } from '../harness/wait.ts';
import { decodeRedirectMessage } from '../src/saml/bindings.ts';
import { readLogoutResponse } from '../src/saml/messages.ts';
import { parseXml } from '../src/saml/xml.ts';

/** The LogoutResponse in a Redirect-binding URL, as Adieu's own reader sees it. */
function logoutResponseIn(url: URL) {
  return readLogoutResponse(parseXml(decodeRedirectMessage(url.searchParams.get('SAMLResponse')!)).documentElement!);
}

describe('SAML Single Logout started by an SP', () => {
  let idp: TestIdp;
  let sp: NodeSamlSp;
  let broken: NodeSamlSp;
  let receiver: LogoutReceiver;

  before(async () => {
    sp = await nodeSamlSp('helpdesk');
    broken = await nodeSamlSp('broken');
    const deadPort = await (await import('../harness/idp.ts')).freePort();
    const port = (await import('../harness/idp.ts')).freePort;
    const idpPort = await port();
    receiver = await new LogoutReceiver(`http://localhost:${idpPort}`).start();
    idp = await startIdp({
      port: idpPort,
      logout: { backchannel: { initial_backoff_ms: 60_000 } },
      clients: [
        testClient('app1', { backchannel_logout_uri: receiver.url('app1') }),
        testClient('down', { backchannel_logout_uri: receiver.url('down') }),
        sp.registration(),
        // a SAML SP whose SOAP logout service is down (nothing listens there)
        broken.registration({ single_logout_services: [{ binding: 'SOAP', location: `http://127.0.0.1:${deadPort}/soap` }] }),
      ],
    });
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  /** Mary signed in to the OIDC apps named, then to the SAML SP (silently). */
  async function signedIn(apps: string[]) {
    const ua = new UserAgent();
    for (const app of apps) await signIn(ua, idp.issuer, testClient(app));
    const saml = await sp.saml(idp.issuer);
    const { profile } = await samlSignIn(ua, saml);
    return { ua, saml, profile };
  }

  /** Follows the SP's logout URL through the logout page to where Adieu sends the browser back. */
  async function spLogout(ua: UserAgent, url: string, waitForDeliveries: (logoutId: string) => Promise<unknown>) {
    const page = await ua.follow(url);
    assert.match(page.url, /\/logout\/[^/]+\?token=/, `expected the logout page, got ${page.url}`);
    const { id, token } = /\/logout\/(?<id>[^/?]+)\?token=(?<token>[^&]+)/.exec(page.url)!.groups!;
    await waitForDeliveries(id!);
    const back = await ua.follow(`${idp.issuer}/logout/${id}/continue?token=${token}`, {}, (u) => u.href.startsWith(sp.slo));
    return { logoutId: id!, back: new URL(back.url) };
  }

  test('an SP LogoutRequest ends the session, reaches the OIDC app by back-channel, and the SP gets Success', async () => {
    const { ua, saml, profile } = await signedIn(['app1']);
    const before = receiver.count('app1');
    const { logoutId, back } = await spLogout(ua, await saml.getLogoutUrlAsync(profile, 'after-logout', {}), () => waitFor(() => receiver.acknowledged('app1') > before, 10_000, 'app1 back-channel'));
    const validated = await saml.validateRedirectAsync(Object.fromEntries(back.searchParams), back.search.slice(1));
    assert.equal(validated.loggedOut, true);
    assert.equal(back.searchParams.get('RelayState'), 'after-logout');
    const response = logoutResponseIn(back);
    assert.equal(response.status, 'urn:oasis:names:tc:SAML:2.0:status:Success');
    assert.equal(response.subStatus, undefined);
    const logout = (await api(idp.issuer, `/logouts/${logoutId}`)).body;
    assert.equal(logout.trigger, 'saml_logout');
    assert.deepEqual(logout.deliveries.map((d: any) => [d.client_id, d.channel, d.status]), [['app1', 'backchannel', 'delivered'], ['helpdesk', 'initiator', 'confirmed']]);
    // the browser's session is gone: signing in again asks for the password
    assert.equal((await samlSignIn(ua, saml)).passwordPrompted, true);
  });

  test('when another application was not reached, the SP gets Success with the sub-status PartialLogout', async () => {
    receiver.behaviours.set('down', { kind: 'error', status: 503, body: 'down for maintenance' });
    const { ua, saml, profile } = await signedIn(['down']);
    const { back } = await spLogout(ua, await saml.getLogoutUrlAsync(profile, '', {}), () => waitFor(() => receiver.count('down') > 0, 10_000, 'the failing back-channel attempt'));
    const response = logoutResponseIn(back);
    assert.equal(response.status, 'urn:oasis:names:tc:SAML:2.0:status:Success');
    assert.equal(response.subStatus, 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
  });

  test('when a SAML SP cannot be reached by SOAP, the SP that asked gets PartialLogout and the admin sees why', async () => {
    const { ua, saml, profile } = await signedIn([]);
    await samlSignIn(ua, await broken.saml(idp.issuer));
    const brokenDelivery = async (logoutId: string) => (await api(idp.issuer, `/logouts/${logoutId}`)).body.deliveries.find((d: any) => d.client_id === 'broken');
    const { logoutId, back } = await spLogout(ua, await saml.getLogoutUrlAsync(profile, '', {}), (id) => waitFor(async () => (await brokenDelivery(id))?.last_error, 10_000, 'the failed SOAP attempt'));
    const delivery = await brokenDelivery(logoutId);
    assert.equal(delivery.channel, 'saml_soap');
    assert.match(delivery.last_error, /ECONNREFUSED/);
    assert.ok(['retrying', 'delivering'].includes(delivery.status), delivery.status);
    assert.equal(logoutResponseIn(back).subStatus, 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
  });

  test('an SP LogoutRequest over the POST binding (signed in the message) is accepted too', async () => {
    const { ua, profile } = await signedIn([]);
    const request = signEnveloped(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_post${Date.now()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${idp.issuer}/samlp/helpdesk/logout"><saml:Issuer>${sp.entity_id}</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${profile.nameID}</saml:NameID><samlp:SessionIndex>${profile.sessionIndex}</samlp:SessionIndex></samlp:LogoutRequest>`, sp.credentials);
    const back = await ua.follow(`${idp.issuer}/samlp/helpdesk/logout`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLRequest: Buffer.from(request).toString('base64'), RelayState: 'posted' }),
    }, (u) => u.href.startsWith(sp.slo));
    const url = new URL(back.url);
    assert.equal(url.searchParams.get('RelayState'), 'posted');
    assert.equal(logoutResponseIn(url).status, 'urn:oasis:names:tc:SAML:2.0:status:Success');
    assert.equal((await samlSignIn(ua, await sp.saml(idp.issuer))).passwordPrompted, true, 'the session ended');
  });

  test('an unsigned LogoutRequest is refused while the SP must sign (want_requests_signed), and the session lives on', async () => {
    const { ua, saml, profile } = await signedIn([]);
    const unsignedSaml = await sp.saml(idp.issuer);
    (unsignedSaml.options as { privateKey?: string }).privateKey = undefined;
    const refused = await ua.follow(await unsignedSaml.getLogoutUrlAsync(profile, '', {}));
    assert.equal(refused.response.status, 400);
    assert.match(refused.body, /must sign its messages/);
    assert.equal((await samlSignIn(ua, saml)).passwordPrompted, false);
  });

  test("a captured signed request wrapped into a forged LogoutRequest for someone else is refused, and ends nothing", async () => {
    const { ua, saml } = await signedIn([]);
    // what an attacker holds: a request the SP really signed (here: an AuthnRequest), re-posted inside
    // a forged logout, in a foreign element where the schema lets anything be (samlify #634's shape)
    const captured = signEnveloped(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_captured" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${idp.issuer}/samlp/helpdesk"><saml:Issuer>${sp.entity_id}</saml:Issuer></samlp:AuthnRequest>`, sp.credentials);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(captured)![0];
    const forged = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_forged" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${idp.issuer}/samlp/helpdesk/logout"><saml:Issuer>${sp.entity_id}</saml:Issuer>${signature}<samlp:Extensions><x:wrap xmlns:x="urn:example:attacker">${captured}</x:wrap></samlp:Extensions><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">mary@fabrikamcorp.com</saml:NameID></samlp:LogoutRequest>`;
    const res = await fetch(`${idp.issuer}/samlp/helpdesk/logout`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLRequest: Buffer.from(forged).toString('base64') }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /signature/);
    assert.equal((await samlSignIn(ua, saml)).passwordPrompted, false, "Mary's session lives on");
  });

  test('a replayed LogoutRequest is refused', async () => {
    const { ua, saml, profile } = await signedIn([]);
    const url = await saml.getLogoutUrlAsync(profile, '', {});
    const first = await ua.follow(url, {}, (u) => u.href.startsWith(sp.slo));
    assert.equal(logoutResponseIn(new URL(first.url)).status, 'urn:oasis:names:tc:SAML:2.0:status:Success');
    const replay = await new UserAgent().follow(url);
    assert.equal(replay.response.status, 400);
    assert.match(replay.body, /already received/);
  });
});
