import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserApp } from '../../harness/browser-app.ts';
import { inNewContext } from '../../harness/browser.ts';
import { api, PASSWORD } from '../../harness/idp.ts';

// auth0-js 10 (Auth0's older browser SDK) in Chromium: WebAuth configured for an Auth0 tenant — a
// bare `domain` — with only the domain changed. The app does PKCE itself, as auth0-js leaves it to.
// checkSession asks for an ID token through a web_message frame (auth0-js refuses responseType
// code there; Adieu gives no access token from the authorization endpoint). An implicit-grant web
// client must be https and not localhost (oidc-provider), so the app is https://127.0.0.1 — and so is
// Adieu: the checkSession frame is then same-site and carries the SSO cookie where third-party
// cookies are blocked (as they are in this Chromium).

describe('auth0-js against Adieu, changing only the domain', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserApp>>;
  before(async () => {
    fixture = await startBrowserApp({
      sdk: 'auth0-js/dist/auth0.min.js',
      host: '127.0.0.1',
      client: { client_id: 'js', client_name: 'auth0-js app', token_endpoint_auth_method: 'none', response_types: ['code', 'id_token'] },
      page: (domain) => `<!doctype html><meta charset="utf-8"><title>auth0-js app</title><body><p>app</p><script src="/sdk.js"></script>
<script>
  window.webAuth = new auth0.WebAuth({ domain: '${domain}', clientID: 'js', redirectUri: location.origin, responseType: 'code', scope: 'openid profile email' });
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  /** A PKCE pair (RFC 7636), the verifier kept for the exchange. */
  window.pkce = async () => {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    sessionStorage.setItem('verifier', verifier);
    return { codeChallenge: b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))), codeChallengeMethod: 'S256' };
  };
  const promised = (fn) => new Promise((resolve, reject) => fn((err, result) => (err ? reject(Object.assign(new Error(JSON.stringify(err)), err)) : resolve(result))));
  /** client.oauthToken (auth0-js sends JSON) for a code, then client.userInfo with the access token. */
  window.exchange = async (code) => {
    const tokens = await promised((cb) => webAuth.client.oauthToken({ grantType: 'authorization_code', code, redirectUri: location.origin, codeVerifier: sessionStorage.getItem('verifier') }, cb));
    const user = await promised((cb) => webAuth.client.userInfo(tokens.accessToken, cb));
    return { tokens, user };
  };
  window.checkSession = () => promised((cb) => webAuth.checkSession({ responseType: 'id_token', timeout: 5000 }, cb));
  document.body.dataset.ready = 'yes';
</script>`,
    });
  });
  after(() => fixture?.close());

  it('authorize (code + PKCE), oauthToken (JSON), userInfo, checkSession — login_required once Adieu ended the session — and logout', async () => {
    const { app, idp } = fixture;
    await inNewContext(fixture.browser, 'auth0-js', async (context) => {
      const page = await context.newPage();
      await page.goto(app);
      await page.waitForSelector('body[data-ready]', { state: 'attached' });
      await page.evaluate(async () => (window as any).webAuth.authorize({ ...(await (window as any).pkce()), state: 'st-1' }));
      await page.waitForSelector('#password');
      await page.fill('#username', 'mary@fabrikamcorp.com');
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL((u) => u.origin === app && u.searchParams.has('code'));
      assert.equal(new URL(page.url()).searchParams.get('state'), 'st-1');
      await page.waitForSelector('body[data-ready]', { state: 'attached' });
      const signedIn = await page.evaluate((code) => (window as any).exchange(code), new URL(page.url()).searchParams.get('code'));
      assert.equal(signedIn.user.email, 'mary@fabrikamcorp.com');
      assert.ok(signedIn.tokens.idToken);

      // is the session still there? an ID token through a web_message frame, checked by auth0-js (RS256, iss, nonce)
      const session = await page.evaluate(() => (window as any).checkSession());
      assert.equal(session.idTokenPayload.email, 'mary@fabrikamcorp.com');

      const mary = (await idp.adieu.storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!;
      assert.equal((await api(idp.issuer.replace(/\/$/, ''), `/users/${mary.id}/sessions`, { method: 'DELETE' })).status, 200);
      const after = await page.evaluate(() => (window as any).checkSession().then(() => 'renewed', (e: any) => e.error));
      assert.equal(after, 'login_required', 'the app notices the session ended at Adieu');

      await page.evaluate(() => (window as any).webAuth.logout({ returnTo: location.origin, clientID: 'js' }));
      await page.waitForURL(`${app}/`);
    }, { ignoreHTTPSErrors: true }); // the test certificate
  });
});
