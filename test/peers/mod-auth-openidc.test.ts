import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, freePort, PASSWORD, startIdp, type TestIdp } from '../../harness/idp.ts';
import { UserAgent } from '../../harness/user-agent.ts';
import { waitFor } from '../../harness/wait.ts';
import { startApacheOpenidc, type ApacheRp } from './apache-openidc.ts';

const MARY = 'mary@fabrikamcorp.com';
const SECRET = 'apache-client-secret-0123456789';

describe('Apache mod_auth_openidc as a relying party', () => {
  let idp: TestIdp;
  let apache: ApacheRp;
  before(async () => {
    // the Apache port must be in the client registration before Adieu starts: reserve it first
    const idpPort = await freePort();
    const issuer = `http://localhost:${idpPort}`;
    const client = (rp: { redirectUri: string }) => ({
      client_id: 'apache',
      client_name: 'Apache intranet',
      client_secret: SECRET,
      redirect_uris: [rp.redirectUri],
      // mod_auth_openidc finds sessions by sid: the session_required: false case the token must still end
      backchannel_logout_uri: `${rp.redirectUri}?logout=backchannel`,
      backchannel_logout_session_required: false,
    });
    apache = await startApacheOpenidc({ issuer, clientId: 'apache', clientSecret: SECRET });
    idp = await startIdp({ port: idpPort, clients: [client(apache)] });
  });
  after(async () => {
    await apache?.stop();
    await idp?.close();
  });

  it('signs in through Adieu, and an admin sign-out ends the Apache session through back-channel logout', async () => {
    const ua = new UserAgent({ accept: 'text/html,application/xhtml+xml' });
    const login = await ua.follow(`${apache.url}/protected/`);
    assert.match(login.url, /\/interaction\//, `expected Adieu's login page, got ${login.response.status} ${login.url} ${login.body.slice(0, 500)}\n${apache.errorLog().slice(-2000)}`);
    const signedIn = await ua.submitForm(login, { username: MARY, password: PASSWORD }, /\/login$/);
    assert.equal(signedIn.response.status, 200, `${signedIn.url}: ${signedIn.body.slice(0, 300)}\n${apache.errorLog().slice(-2000)}`);
    assert.match(signedIn.body, /Protected by mod_auth_openidc/);
    assert.match((await ua.follow(`${apache.url}/protected/`)).body, /Protected by mod_auth_openidc/, 'the Apache session holds');

    const mary = (await idp.adieu.storage.findUser('Username-Password-Authentication', MARY))!;
    assert.equal((await api(idp.issuer, `/users/${mary.id}/sessions`, { method: 'DELETE' })).status, 200);
    const logout = await waitFor(async () => {
      const { logouts } = (await api(idp.issuer, `/logouts?user_id=${mary.id}`)).body;
      return logouts[0]?.status !== 'in_progress' && logouts[0];
    }, 10_000, 'the logout to complete');
    const detail = (await api(idp.issuer, `/logouts/${logout.id}`)).body;
    assert.equal(detail.deliveries[0].status, 'delivered', JSON.stringify(detail.deliveries[0]));

    const after = await ua.fetch(`${apache.url}/protected/`);
    assert.equal(after.status, 302, 'Apache no longer has a session for Mary');
    assert.ok(after.headers.get('location')!.startsWith(`${idp.issuer}/authorize?`), after.headers.get('location')!);
  });
});
