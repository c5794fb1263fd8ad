import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, freePort, PASSWORD, startIdp, testClient, type TestIdp } from '../../harness/idp.ts';
import { signIn } from '../../harness/rp.ts';
import { UserAgent, type FollowResult } from '../../harness/user-agent.ts';
import { waitFor } from '../../harness/wait.ts';
import { mellonSp, type MellonSp } from './apache-mellon.ts';

const MARY = 'mary@fabrikamcorp.com';

describe('Apache mod_auth_mellon as a SAML service provider', () => {
  let idp: TestIdp;
  let mellon: MellonSp;
  before(async () => {
    mellon = await mellonSp();
    const idpPort = await freePort();
    // registered from its own metadata, as an admin would
    idp = await startIdp({ port: idpPort, clients: [testClient('app1'), { client_id: 'mellon', client_name: 'Mellon wiki', saml: { metadata_xml: mellon.metadata } }] });
    await mellon.start(`${idp.issuer}/samlp/metadata/mellon`);
  });
  after(async () => {
    await mellon?.stop();
    await idp?.close();
  });

  /** Opens /protected/ at mellon: through Adieu (the password if asked), and the POST-binding form back to mellon's ACS. */
  async function openProtected(ua: UserAgent, username = MARY): Promise<{ page: FollowResult; passwordPrompted: boolean }> {
    let page = await ua.follow(`${mellon.url}/protected/`);
    const passwordPrompted = /type="password"/.test(page.body);
    if (passwordPrompted) page = await ua.submitForm(page, { username, password: PASSWORD }, /\/login$/);
    assert.match(page.body, /postResponse/, `expected the POST-binding form to mellon, got ${page.response.status} ${page.url}: ${page.body.slice(0, 400)}\n${mellon.errorLog().slice(-1500)}`);
    page = await ua.submitForm(page, {}, /postResponse/);
    assert.match(page.body, /Protected by mod_auth_mellon/, `${page.response.status} ${page.url}: ${page.body.slice(0, 300)}\n${mellon.errorLog().slice(-1500)}`);
    return { page, passwordPrompted };
  }

  const stillSignedIn = async (ua: UserAgent) => (await ua.fetch(`${mellon.url}/protected/`)).status === 200;

  it('signs in through Adieu (SP-initiated, Redirect binding, signed request)', async () => {
    const { passwordPrompted } = await openProtected(new UserAgent());
    assert.equal(passwordPrompted, true);
  });

  it('signs in silently with the SSO session of an OIDC application', async () => {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, testClient('app1'));
    assert.equal((await openProtected(ua)).passwordPrompted, false);
  });

  it('an admin sign-out reaches mellon by SOAP: its LogoutResponse confirms it, and the mellon session is gone', async () => {
    const ua = new UserAgent();
    await openProtected(ua);
    assert.equal(await stillSignedIn(ua), true);
    const mary = (await idp.adieu.storage.findUser('Username-Password-Authentication', MARY))!;
    assert.equal((await api(idp.issuer, `/users/${mary.id}/sessions`, { method: 'DELETE' })).status, 200);
    // every session of Mary's ends (the earlier tests' too): each one's mellon delivery is confirmed
    const logouts = await waitFor(async () => {
      const { logouts } = (await api(idp.issuer, `/logouts?user_id=${mary.id}`)).body;
      return logouts.length > 0 && logouts.every((l: any) => l.status !== 'in_progress') && logouts;
    }, 10_000, 'the logouts to complete');
    for (const logout of logouts) {
      const delivery = (await api(idp.issuer, `/logouts/${logout.id}`)).body.deliveries.find((d: any) => d.client_id === 'mellon');
      if (!delivery) continue;
      assert.deepEqual([delivery.channel, delivery.status], ['saml_soap', 'delivered'], `${JSON.stringify(delivery)}\n${mellon.errorLog().slice(-1500)}`);
    }
    assert.equal(await stillSignedIn(ua), false);
  });

  it("mellon's own logout (Redirect) ends the Adieu session and comes back with Success", async () => {
    const ua = new UserAgent();
    await openProtected(ua);
    const back = await ua.follow(`${mellon.url}/mellon/logout?ReturnTo=${encodeURIComponent(`${mellon.url}/`)}`, {}, (u) => u.href === `${mellon.url}/`);
    assert.equal(back.url, `${mellon.url}/`, `${back.chain.join('\n')}\n${back.body.slice(0, 300)}\n${mellon.errorLog().slice(-1500)}`);
    assert.ok(back.chain.some((u) => u.startsWith(`${mellon.url}/mellon/logout?SAMLResponse=`)), back.chain.join('\n'));
    assert.equal(await stillSignedIn(ua), false);
    // Adieu's session ended too: the next sign-in asks for the password
    assert.equal((await openProtected(ua)).passwordPrompted, true);
  });

  it("deleting an account reaches mellon by SOAP too: every ending takes the same path", async () => {
    const created = await api(idp.issuer, '/users', { method: 'POST', json: { username: 'bob@fabrikamcorp.com', email: 'bob@fabrikamcorp.com', password: PASSWORD } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ua = new UserAgent();
    await openProtected(ua, 'bob@fabrikamcorp.com');
    assert.equal((await api(idp.issuer, `/users/${created.body.id}`, { method: 'DELETE' })).status, 204);
    const logout = await waitFor(async () => {
      const { logouts } = (await api(idp.issuer, `/logouts?user_id=${created.body.id}`)).body;
      return logouts[0]?.status !== 'in_progress' && logouts[0];
    }, 10_000, "bob's logout to complete");
    const detail = (await api(idp.issuer, `/logouts/${logout.id}`)).body;
    assert.equal(detail.trigger, 'account_deleted');
    assert.deepEqual(detail.deliveries.map((d: any) => [d.client_id, d.channel, d.status]), [['mellon', 'saml_soap', 'delivered']]);
    assert.equal(await stillSignedIn(ua), false);
  });
});
