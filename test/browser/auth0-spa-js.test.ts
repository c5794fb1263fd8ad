import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserApp } from '../../harness/browser-app.ts';
import { inNewContext } from '../../harness/browser.ts';
import { api, PASSWORD } from '../../harness/idp.ts';

// @auth0/auth0-spa-js 2 in Chromium, configured as its README says for an Auth0 tenant — a bare
// `domain`, https — with only the domain changed to Adieu's.

describe('@auth0/auth0-spa-js against Adieu, changing only the domain', () => {
  let fixture: Awaited<ReturnType<typeof startBrowserApp>>;
  before(async () => {
    fixture = await startBrowserApp({
      sdk: '@auth0/auth0-spa-js/dist/auth0-spa-js.production.js',
      host: 'localhost',
      client: { client_id: 'spa', client_name: 'Single-page app', token_endpoint_auth_method: 'none' },
      page: (domain) => `<!doctype html><meta charset="utf-8"><title>SPA</title><body><p>SPA</p><script src="/sdk.js"></script>
<script>
(async () => {
  const refresh = sessionStorage.getItem('mode') === 'refresh-tokens';
  window.client = await auth0.createAuth0Client({ domain: '${domain}', clientId: 'spa', authorizationParams: { redirect_uri: location.origin }, useRefreshTokens: refresh, cacheLocation: refresh ? 'localstorage' : 'memory' });
  if (location.search.includes('code=')) { await client.handleRedirectCallback(); history.replaceState({}, '', '/'); }
  document.body.dataset.ready = 'yes';
})().catch((e) => { document.body.dataset.error = e.message; });
</script>`,
    });
  });
  after(() => fixture?.close());

  const ready = (page: Page) => page.waitForSelector('body[data-ready], body[data-error]', { state: 'attached' }).then(async () => {
    const error = await page.getAttribute('body', 'data-error');
    if (error) throw new Error(`auth0-spa-js: ${error}`);
  });

  /** A fresh browser context at the app (`mode`: how it renews tokens), signed in through loginWithRedirect. */
  async function signedIn(name: string, mode: 'iframe' | 'refresh-tokens', fn: (page: Page) => Promise<void>) {
    const { app } = fixture;
    await inNewContext(fixture.browser, name, async (context) => {
      const page = await context.newPage();
      await page.goto(app);
      await page.evaluate((m) => sessionStorage.setItem('mode', m), mode);
      await page.reload();
      await ready(page);
      await page.evaluate(() => (window as any).client.loginWithRedirect());
      await page.waitForSelector('#password');
      await page.fill('#username', 'mary@fabrikamcorp.com');
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(`${app}/`);
      await ready(page);
      assert.equal(await page.evaluate(() => (window as any).client.getUser().then((u: any) => u?.email)), 'mary@fabrikamcorp.com');
      await fn(page);
    }, { ignoreHTTPSErrors: true }); // the test certificate
  }
  const endMarysSessions = async () => {
    const { idp } = fixture;
    const mary = (await idp.adieu.storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!;
    assert.equal((await api(idp.issuer.replace(/\/$/, ''), `/users/${mary.id}/sessions`, { method: 'DELETE' })).status, 200);
  };

  it('refresh-token mode renews with the refresh token until Adieu ends the session, which it notices; logout() goes through Adieu and back', async () => {
    await signedIn('auth0-spa-js-rt', 'refresh-tokens', async (page) => {
      const renew = () => page.evaluate(() => (window as any).client.getTokenSilently({ cacheMode: 'off', detailedResponse: true }).then((r: any) => r.access_token, (e: any) => `error: ${e.error ?? e.message}`));
      const [first, second] = [await renew(), await renew()];
      assert.ok(!first.startsWith('error') && !second.startsWith('error') && first !== second, 'renewed by the refresh token');
      await endMarysSessions(); // the session's refresh tokens die with it
      assert.equal(await renew(), 'error: invalid_grant', 'the app notices the session ended at Adieu');
      await page.evaluate(() => (window as any).client.logout({ logoutParams: { returnTo: location.origin } }));
      await page.waitForURL(`${fixture.app}/`);
      await ready(page);
      assert.equal(await page.evaluate(() => (window as any).client.isAuthenticated()), false);
    });
  });

  it('loginWithRedirect and handleRedirectCallback sign in; getTokenSilently renews through a web_message frame, and says login_required once Adieu ended the session', async () => {
    await signedIn('auth0-spa-js', 'iframe', async (page) => {
      const token = await page.evaluate(() => (window as any).client.getTokenSilently({ cacheMode: 'off' }));
      assert.equal(typeof token, 'string');
      await endMarysSessions();
      const after = await page.evaluate(() => (window as any).client.getTokenSilently({ cacheMode: 'off' }).then(() => 'renewed', (e: any) => e.error));
      assert.equal(after, 'login_required', 'the app notices the session ended at Adieu');
    });
  });
});
