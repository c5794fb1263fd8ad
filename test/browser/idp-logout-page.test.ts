import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { inNewContext, launchBrowser } from '../../harness/browser.ts';
import { api } from '../../harness/idp.ts';
import { scenario, signInTo } from './scenario-helpers.ts';

async function pageLines(page: Page) {
  const items = await page.$$eval('#apps li', (lis) => lis.map((li) => ({
    name: li.querySelector('.name')!.textContent!, tone: li.className, text: li.querySelector('.state')!.textContent!,
  })));
  return Object.fromEntries(items.map((i) => [i.name, i]));
}

async function logoutRecord(idpUrl: string) {
  const token = 'demo-admin-token-change-me'; // the demo's (scenario.ts)
  const [latest] = (await api(idpUrl, '/logouts', { token })).body.logouts;
  return (await api(idpUrl, `/logouts/${latest.id}`, { token })).body;
}

describe("the IdP's own logout page: front-channel, legacy GET and back-channel on one page", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  before(async () => { browser = await launchBrowser(['--test-third-party-cookie-phaseout']); });
  after(() => browser?.close());

  const inContext = (name: string, fn: (ctx: BrowserContext) => Promise<void>) => inNewContext(browser.browser, name, fn);

  it('shows confirmed, timed-out and back-channel lines, records them, and does not hang on a dead application', async () => {
    const s = await scenario({ channels: { jwt: 'frontchannel', sharepoint: 'frontchannel', timesheets: 'backchannel' }, logoutDelays: { sharepoint: 8000 } });
    try {
      await inContext('idp-page', async (ctx) => {
        const page = await ctx.newPage();
        for (const key of ['jwt', 'sharepoint', 'timesheets']) await signInTo(page, s, key);
        const jwt = s.apps.jwt!;
        const returnTo = `${jwt.url}/`;
        const started = Date.now();
        // not waiting for the load event: the dead application's frame holds it back
        await page.goto(`${s.urls.idp}/v2/logout?client_id=${jwt.clientId}&returnTo=${encodeURIComponent(returnTo)}`, { waitUntil: 'domcontentloaded' });
        assert.match(page.url(), /\/logout\/[0-9a-f-]{36}\?token=/);
        await page.waitForSelector('body[data-finished]', { timeout: 15_000 });
        const waited = Date.now() - started;
        assert.ok(waited < 8000, `bounded wait: finished after ${waited} ms, before the dead application answered`);
        const lines = await pageLines(page);
        assert.deepEqual(Object.keys(lines), ['JWT Debugger', 'SharePoint Intranet', 'Timesheet SaaS']);
        assert.equal(lines['JWT Debugger']!.tone, 'ok');
        assert.match(lines['JWT Debugger']!.text, /confirmed/);
        assert.equal(lines['SharePoint Intranet']!.tone, 'bad');
        assert.match(lines['SharePoint Intranet']!.text, /did not answer within 5 s/);
        assert.equal(lines['Timesheet SaaS']!.tone, 'ok');
        assert.match(lines['Timesheet SaaS']!.text, /^signed out/);
        assert.equal(await page.textContent('#title'), 'Signed out, with problems');
        assert.match(await page.textContent('#summary') ?? '', /Signed out of 2 of 3 applications\. Failed: SharePoint Intranet\./);
        assert.match(await page.textContent('#advice') ?? '', /SharePoint Intranet may still be signed in/);
        await page.screenshot({ path: new URL('../../test-artifacts/idp-logout-page.png', import.meta.url).pathname });

        // the page continues by itself to the returnTo after showing the failure
        await page.waitForURL(returnTo, { timeout: 15_000 });
        assert.equal(await page.textContent('#status'), 'You are not signed in');

        const record = await logoutRecord(s.urls.idp);
        assert.equal(record.trigger, 'user_logout');
        assert.deepEqual(record.deliveries.map((d: any) => [d.client_name, d.channel, d.status]), [
          ['JWT Debugger', 'frontchannel', 'confirmed'],
          ['SharePoint Intranet', 'frontchannel', 'timed_out'],
          ['Timesheet SaaS', 'backchannel', 'delivered'],
        ]);
        assert.equal(record.status, 'completed_with_failures');
        assert.equal(s.apps.jwt!.sessions.size, 0, 'front-channel ended the JWT Debugger session');
        assert.equal(s.apps.timesheets!.sessions.size, 0, 'back-channel ended the Timesheet session');
      });
    } finally {
      await s.close();
    }
  });

  it('says so when the browser blocks an application\'s cookies in the frame, and tells loaded from confirmed', async () => {
    // the IdP on 127.0.0.1 and the applications on localhost: the frames are third-party
    const s = await scenario({ idpHost: '127.0.0.1', channels: { jwt: 'none', sharepoint: 'frontchannel', timesheets: 'frontchannel' }, withoutConfirmation: ['timesheets'] });
    try {
      await inContext('cookies-blocked', async (ctx) => {
        const page = await ctx.newPage();
        for (const key of ['jwt', 'sharepoint', 'timesheets']) await signInTo(page, s, key);
        await page.goto(`${s.urls.idp}/v2/logout`);
        await page.waitForSelector('body[data-finished]', { timeout: 15_000 });
        const lines = await pageLines(page);
        assert.equal(lines['JWT Debugger']!.tone, 'bad', 'legacy logout URL: its cookie was not visible in the frame');
        assert.match(lines['JWT Debugger']!.text, /blocked its cookies/);
        assert.equal(lines['SharePoint Intranet']!.tone, 'ok', 'front-channel with sid signs out without the cookie');
        assert.match(lines['SharePoint Intranet']!.text, /confirmed/);
        assert.equal(lines['Timesheet SaaS']!.tone, 'ok');
        assert.match(lines['Timesheet SaaS']!.text, /page loaded, not confirmed/);
        assert.equal(s.apps.jwt!.sessions.size, 1, 'the JWT Debugger really is still signed in');
        const record = await logoutRecord(s.urls.idp);
        assert.deepEqual(record.deliveries.map((d: any) => [d.client_name, d.channel, d.status]), [
          ['JWT Debugger', 'legacy_get', 'cookies_blocked'],
          ['SharePoint Intranet', 'frontchannel', 'confirmed'],
          ['Timesheet SaaS', 'frontchannel', 'loaded'],
        ]);
      });
    } finally {
      await s.close();
    }
  });
  it('sees an answer that comes before its script has loaded', async () => {
    const s = await scenario({ channels: { jwt: 'frontchannel', sharepoint: 'frontchannel', timesheets: 'none' } });
    try {
      await inContext('slow-script', async (ctx) => {
        const page = await ctx.newPage();
        for (const key of ['jwt', 'sharepoint']) await signInTo(page, s, key);
        // the page's script arrives late (a loaded machine, a slow link): the applications answer
        // sooner than it, and their answers still count
        await page.route('**/assets/logout-page.js', async (route) => {
          await new Promise((r) => setTimeout(r, 1500));
          await route.continue();
        });
        await page.goto(`${s.urls.idp}/v2/logout`, { waitUntil: 'domcontentloaded' });
        await page.waitForSelector('body[data-finished]', { timeout: 15_000 });
        const lines = await pageLines(page);
        assert.equal(lines['JWT Debugger']!.tone, 'ok', lines['JWT Debugger']!.text);
        assert.match(lines['JWT Debugger']!.text, /confirmed/);
        assert.equal(lines['SharePoint Intranet']!.tone, 'ok', lines['SharePoint Intranet']!.text);
        assert.equal(s.apps.jwt!.sessions.size, 0);
      });
    } finally {
      await s.close();
    }
  });
});
