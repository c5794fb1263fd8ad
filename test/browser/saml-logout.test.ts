import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { inNewContext, launchBrowser } from '../../harness/browser.ts';
import { api } from '../../harness/idp.ts';
import type { Scenario } from '../../demo/scenario.ts';
import { scenario, signInTo } from './scenario-helpers.ts';

const ADMIN = 'demo-admin-token-change-me'; // the demo's (scenario.ts)

async function latestLogout(idpUrl: string) {
  const [latest] = (await api(idpUrl, '/logouts', { token: ADMIN })).body.logouts;
  return (await api(idpUrl, `/logouts/${latest.id}`, { token: ADMIN })).body;
}

/** Signs in to the SAML application (silently: Mary already has an SSO session). */
async function signInToHelpdesk(page: Page, s: Scenario) {
  await page.goto(s.samlApp.url);
  await page.click('#sign-in');
  await page.waitForURL(`${s.samlApp.url}/`);
  assert.match(await page.textContent('#status') ?? '', /Signed in as mary@fabrikamcorp.com/);
}

describe('SAML Single Logout in the browser (Chromium, the demo\'s Fabrikam Helpdesk on node-saml)', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let s: Scenario;
  before(async () => {
    browser = await launchBrowser();
    s = await scenario();
  });
  after(async () => {
    await s?.close();
    await browser?.close();
  });

  const inContext = (name: string, fn: (ctx: BrowserContext) => Promise<void>) => inNewContext(browser.browser, name, fn);

  it('an OIDC sign-out reaches the SAML app in a frame, confirmed only by its LogoutResponse', async () => {
    await inContext('saml-frontchannel', async (ctx) => {
      const page = await ctx.newPage();
      await signInTo(page, s, 'jwt');
      await signInToHelpdesk(page, s);
      const returnTo = `${s.apps.jwt!.url}/`;
      await page.goto(`${s.urls.idp}/v2/logout?client_id=${s.apps.jwt!.clientId}&returnTo=${encodeURIComponent(returnTo)}`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('body[data-finished]', { timeout: 15_000 });
      const lines = await page.$$eval('#apps li', (lis) => lis.map((li) => [li.querySelector('.name')!.textContent, li.className, li.querySelector('.state')!.textContent]));
      assert.deepEqual(lines, [['JWT Debugger', 'ok', 'signed out'], ['Fabrikam Helpdesk', 'ok', 'signed out (confirmed)']]);
      await page.screenshot({ path: new URL('../../test-artifacts/saml-logout-page.png', import.meta.url).pathname });
      const record = await latestLogout(s.urls.idp);
      assert.deepEqual(record.deliveries.map((d: any) => [d.client_name, d.channel, d.status]), [
        ['JWT Debugger', 'backchannel', 'delivered'],
        ['Fabrikam Helpdesk', 'saml_redirect', 'confirmed'],
      ]);
      assert.equal(s.samlApp.sessions.size, 0, 'the LogoutRequest ended the Helpdesk session');
      await page.waitForURL(returnTo, { timeout: 15_000 });
    });
  });

  it("the SAML app's own Sign-out signs Mary out of the OIDC apps too, and comes back to it", async () => {
    await inContext('saml-sp-initiated', async (ctx) => {
      const page = await ctx.newPage();
      await signInTo(page, s, 'timesheets');
      await signInToHelpdesk(page, s);
      await page.click('#sign-out');
      await page.waitForURL(`${s.samlApp.url}/`, { timeout: 20_000 });
      assert.equal(await page.textContent('#status'), 'You are not signed in');
      const record = await latestLogout(s.urls.idp);
      assert.equal(record.trigger, 'saml_logout');
      assert.deepEqual(record.deliveries.map((d: any) => [d.client_name, d.channel, d.status]), [
        ['Timesheet SaaS', 'backchannel', 'delivered'],
        ['Fabrikam Helpdesk', 'initiator', 'confirmed'],
      ]);
      assert.equal(s.apps.timesheets!.sessions.size, 0);
    });
  });

  it('an SP with only a POST-binding logout service is reached in a frame through a page that posts the signed request', async () => {
    const post = await scenario({ samlSloBinding: 'HTTP-POST' });
    try {
      await inContext('saml-post', async (ctx) => {
        const page = await ctx.newPage();
        await signInTo(page, post, 'jwt');
        await signInToHelpdesk(page, post);
        await page.goto(`${post.urls.idp}/v2/logout?client_id=${post.apps.jwt!.clientId}&returnTo=${encodeURIComponent(`${post.apps.jwt!.url}/`)}`, { waitUntil: 'domcontentloaded' });
        await page.waitForSelector('body[data-finished]', { timeout: 15_000 });
        const record = await latestLogout(post.urls.idp);
        assert.deepEqual(record.deliveries.map((d: any) => [d.client_name, d.channel, d.status]), [
          ['JWT Debugger', 'backchannel', 'delivered'],
          ['Fabrikam Helpdesk', 'saml_post', 'confirmed'],
        ]);
        assert.equal(post.samlApp.sessions.size, 0);
      });
    } finally {
      await post.close();
    }
  });

  describe('an SP that finds its session by a SameSite=Lax cookie, on another site than the IdP', () => {
    async function signOutOfBoth(mode: 'frame' | 'top_level', options: { blockPopups?: boolean } = {}) {
      const cross = await scenario({ idpHost: '127.0.0.1', samlSessionByCookie: true, samlFrontchannelMode: mode });
      try {
        let record: any;
        await inContext(`saml-${mode}`, async (ctx) => {
          // a popup blocker as browsers have it: window.open without a user gesture (transient activation) gets null
          if (options.blockPopups) await ctx.addInitScript(() => {
            const open = window.open.bind(window);
            window.open = (...args) => (navigator.userActivation.isActive ? open(...args) : null);
          });
          const page = await ctx.newPage();
          await signInTo(page, cross, 'jwt');
          await signInToHelpdesk(page, cross);
          await page.goto(`${cross.urls.idp}/v2/logout?client_id=${cross.apps.jwt!.clientId}&returnTo=${encodeURIComponent(`${cross.apps.jwt!.url}/`)}`, { waitUntil: 'domcontentloaded' });
          if (options.blockPopups) {
            await page.click('#open-window', { timeout: 10_000 }); // shown when the window was blocked
            assert.equal(await page.isHidden('#open-window'), true);
          }
          await page.waitForSelector('body[data-finished]', { timeout: 20_000 });
          record = await latestLogout(cross.urls.idp);
          if (mode === 'top_level') await page.screenshot({ path: new URL('../../test-artifacts/saml-top-level.png', import.meta.url).pathname });
        });
        return { record, sessionsLeft: cross.samlApp.sessions.size };
      } finally {
        await cross.close();
      }
    }

    it('in a frame it cannot see its cookie and says so: the logout shows it red, with its answer', async () => {
      const { record, sessionsLeft } = await signOutOfBoth('frame');
      const helpdesk = record.deliveries.find((d: any) => d.client_name === 'Fabrikam Helpdesk');
      assert.deepEqual([helpdesk.channel, helpdesk.status], ['saml_redirect', 'rejected']);
      assert.match(helpdesk.last_error, /LogoutResponse (Requester|Responder)/);
      assert.equal(sessionsLeft, 1, 'the Helpdesk session survived, and the person was told');
    });

    it('with frontchannel_mode top_level the page takes a window there: the cookie is sent and the logout confirmed', async () => {
      const { record, sessionsLeft } = await signOutOfBoth('top_level');
      const helpdesk = record.deliveries.find((d: any) => d.client_name === 'Fabrikam Helpdesk');
      assert.deepEqual([helpdesk.channel, helpdesk.status], ['saml_top_level', 'confirmed'], JSON.stringify(helpdesk));
      assert.equal(sessionsLeft, 0);
    });

    it('where the browser blocks the window, the page asks for a click, and the logout is then confirmed', async () => {
      const { record, sessionsLeft } = await signOutOfBoth('top_level', { blockPopups: true });
      const helpdesk = record.deliveries.find((d: any) => d.client_name === 'Fabrikam Helpdesk');
      assert.deepEqual([helpdesk.channel, helpdesk.status], ['saml_top_level', 'confirmed'], JSON.stringify(helpdesk));
      assert.equal(sessionsLeft, 0);
    });
  });
});
