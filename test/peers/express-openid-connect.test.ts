import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { auth } from 'express-openid-connect';
import { api, freePort, PASSWORD, startIdp, type TestIdp } from '../../harness/idp.ts';
import { trustedLocalhostTls } from '../../harness/tls.ts';
import { UserAgent } from '../../harness/user-agent.ts';
import { waitFor } from '../../harness/wait.ts';

// express-openid-connect 3 (Auth0's Express SDK) with its defaults — an ID token posted to the
// callback (response_type id_token, form_post), RS256 — plus idpLogout and backchannelLogout with
// a store, configured as its README says for an Auth0 tenant, with only the domain changed.

/** An express-session compatible store (what backchannelLogout.store takes), in memory. */
function memoryStore() {
  const data = new Map<string, any>();
  return {
    get: (key: string, cb: (err: null, value?: any) => void) => cb(null, data.get(key)),
    set: (key: string, value: any, cb: (err: null) => void) => { data.set(key, value); cb(null); },
    destroy: (key: string, cb: (err: null) => void) => { data.delete(key); cb(null); },
  };
}

describe('express-openid-connect with its defaults', () => {
  let idp: TestIdp;
  let rp: string;
  const servers: { close(): void; closeAllConnections(): void }[] = [];
  let tls: Awaited<ReturnType<typeof trustedLocalhostTls>>;

  before(async () => {
    tls = await trustedLocalhostTls();
    const { key_pem, cert_pem } = tls;
    const [idpPort, rpPort] = [await freePort(), await freePort()];
    // the application is https on 127.0.0.1: oidc-provider refuses localhost for web clients of the implicit grant
    rp = `https://127.0.0.1:${rpPort}`;
    const app = express();
    app.use(auth({
      issuerBaseURL: `https://localhost:${idpPort}`,
      baseURL: rp,
      clientID: 'tickets',
      clientSecret: 'tickets-secret-0123456789',
      secret: 'a-long-random-session-secret-0123456789',
      authRequired: false,
      idpLogout: true,
      backchannelLogout: { store: memoryStore() },
    }));
    app.get('/', (req, res) => { res.send(req.oidc.isAuthenticated() ? `Signed in as ${req.oidc.user!.email}` : 'Signed out'); });
    const https = createHttpsServer({ key: key_pem, cert: cert_pem }, app).listen(rpPort, '127.0.0.1');
    await once(https, 'listening');
    servers.push(https);
    idp = await startIdp({
      port: idpPort,
      issuer: `https://localhost:${idpPort}`,
      tls: tls.files,
      // the app's https back-channel endpoint has a certificate of a private CA (the test's)
      logout: { backchannel: { ca_file: tls.files.cert_file } },
      clients: [{
        client_id: 'tickets', client_name: 'Tickets (express-openid-connect)', client_secret: 'tickets-secret-0123456789',
        redirect_uris: [`${rp}/callback`], post_logout_redirect_uris: [rp],
        response_types: ['id_token'],
        backchannel_logout_uri: `${rp}/backchannel-logout`,
      }],
    });
  });
  after(async () => {
    await idp?.close();
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    tls.restore();
  });

  async function signInThroughApp(ua: UserAgent) {
    let page = await ua.follow(`${rp}/login`);
    if (/type="password"/.test(page.body)) page = await ua.submitForm(page, { username: 'mary@fabrikamcorp.com', password: PASSWORD }, /\/login$/);
    page = await ua.submitForm(page, {}, /\/callback$/); // the ID token, posted (form_post)
    assert.equal(page.body, 'Signed in as mary@fabrikamcorp.com', `${page.url}: ${page.body.slice(0, 300)}`);
  }
  const home = async (ua: UserAgent) => (await ua.follow(`${rp}/`)).body;

  it('signs in (RS256 ID token posted to the callback) and is signed out by back-channel logout from an admin', async () => {
    const ua = new UserAgent();
    await signInThroughApp(ua);
    const mary = (await idp.adieu.storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!;
    assert.equal((await api(idp.issuer, `/users/${mary.id}/sessions`, { method: 'DELETE' })).status, 200);
    const logout = await waitFor(async () => {
      const { logouts } = (await api(idp.issuer, `/logouts?user_id=${mary.id}`)).body;
      return logouts.find((l: any) => l.status !== 'in_progress');
    }, 10_000, 'the logout').catch(async (err) => {
      const { logouts } = (await api(idp.issuer, `/logouts?user_id=${mary.id}`)).body;
      throw new Error(`${err.message}: ${JSON.stringify((await api(idp.issuer, `/logouts/${logouts[0].id}`)).body.deliveries)}`);
    });
    const delivery = (await api(idp.issuer, `/logouts/${logout.id}`)).body.deliveries[0];
    assert.deepEqual([delivery.channel, delivery.status], ['backchannel', 'delivered'], JSON.stringify(delivery));
    assert.equal(await home(ua), 'Signed out', 'the app checked its store and ended the session');
  });

  it("its /logout (idpLogout) ends the session at Adieu and comes back to the app", async () => {
    const ua = new UserAgent();
    await signInThroughApp(ua);
    let page = await ua.follow(`${rp}/logout`);
    assert.match(page.url, /\/oidc\/logout/);
    // the confirmation page (a script submits it for a valid id_token_hint; this browser has none)
    page = await ua.submitForm(page, { logout: 'yes' }, /\/oidc\/logout\/confirm/);
    // Adieu's logout page (the app also has a back-channel URL), then back to the app
    const { id, token } = /\/logout\/(?<id>[^/?]+)\?token=(?<token>[^&]+)/.exec(page.url)?.groups ?? {};
    assert.ok(id, `expected Adieu's logout page, got ${page.url}`);
    await waitFor(async () => (await (await ua.fetch(`${idp.issuer}/logout/${id}/status?token=${token}`)).json() as { status: string }).status !== 'in_progress', 10_000, 'the logout');
    page = await ua.follow(`${idp.issuer}/logout/${id}/continue?token=${token}`);
    assert.equal(page.url, `${rp}/`, 'back at post_logout_redirect_uri');
    assert.equal(page.body, 'Signed out', `${page.url}: ${page.body.slice(0, 300)}`);
    const again = await ua.follow(`${rp}/login`);
    assert.match(again.body, /type="password"/, 'the Adieu session is gone too');
  });
});
