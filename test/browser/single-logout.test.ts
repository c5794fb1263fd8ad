import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import type { Scenario } from '../../demo/scenario.ts';
import { ARTIFACTS, inNewContext, launchBrowser } from '../../harness/browser.ts';
import { freePort } from '../../harness/idp.ts';
import { logoutLines, scenario, signInTo } from './scenario-helpers.ts';

let browser: Awaited<ReturnType<typeof launchBrowser>>;
before(async () => { browser = await launchBrowser(); });
after(() => browser?.close());

const inContext = <T>(name: string, fn: (ctx: BrowserContext) => Promise<T>) => inNewContext(browser.browser, name, fn);

describe("Mary's scenario in a real browser", () => {
  let s: Scenario;
  before(async () => { s = await scenario(); });
  after(() => s.close());

  it('signs in once at FabrikamAD, signs out of all three applications, the IdP and FabrikamAD', () => inContext('mary', async (ctx) => {
    const page = await ctx.newPage();
    assert.equal(await signInTo(page, s, 'jwt'), true, 'FabrikamAD asks for the password once');
    assert.match(await page.textContent('#claims') ?? '', /"sid"/, 'the JWT Debugger shows the decoded ID token');
    assert.equal(await signInTo(page, s, 'sharepoint'), false, 'SharePoint signs in silently');
    assert.equal(await signInTo(page, s, 'timesheets'), false, 'Timesheet SaaS signs in silently');

    await page.click('#sign-out');
    await page.waitForURL(`${s.urls.logoutApp}/**`);
    const lines = await logoutLines(page);
    assert.deepEqual(Object.keys(lines), ['JWT Debugger', 'SharePoint Intranet', 'Timesheet SaaS'], 'one line per application, in sign-in order');
    for (const [name, line] of Object.entries(lines)) assert.equal(line.state, 'confirmed', `${name}: ${line.text}`);
    assert.equal(await page.textContent('#title'), 'Signed out of every application');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'logout-all-green.png') });
    for (const app of Object.values(s.apps)) assert.equal(app.sessions.size, 0, `${app.name} ended its local session`);

    await page.click('#continue');
    await page.waitForURL(`${s.urls.logoutApp}/done`, { timeout: 20_000 });
    await page.waitForSelector('body[data-state]');
    assert.equal(await page.textContent('#title'), 'You are logged out');

    // SSO cookies are gone at both identity providers: every application asks again
    const cookies = await ctx.cookies();
    assert.equal(cookies.find((c) => c.name === 'adieu_sso'), undefined);
    assert.equal(cookies.find((c) => c.name === 'fabrikamad_sso'), undefined);
    for (const key of ['jwt', 'sharepoint', 'timesheets']) {
      await page.goto(s.apps[key]!.url);
      assert.equal(await page.textContent('#status'), 'You are not signed in');
    }
    assert.equal(await signInTo(page, s, 'sharepoint'), true, 'signing in again asks for the password');
  }));
});

describe('the single-logout application reports what really happened', () => {
  it('a slow application turns red at the timeout while the others are green; Continue still logs out', async () => {
    const s = await scenario({ logoutDelays: { sharepoint: 8000 } });
    try {
      await inContext('slow', async (ctx) => {
        const page = await ctx.newPage();
        for (const key of ['jwt', 'sharepoint', 'timesheets']) await signInTo(page, s, key);
        await page.click('#sign-out');
        const started = Date.now();
        const lines = await logoutLines(page);
        const waited = Date.now() - started;
        assert.ok(waited >= 4500 && waited < 8000, `settled at the 5 s timeout (${waited} ms)`);
        assert.equal(lines['SharePoint Intranet']!.state, 'failed');
        assert.match(lines['SharePoint Intranet']!.text, /did not answer within 5 s/);
        assert.equal(lines['JWT Debugger']!.state, 'confirmed');
        assert.equal(lines['Timesheet SaaS']!.state, 'confirmed');
        assert.match(await page.textContent('#advice') ?? '', /SharePoint Intranet may still be signed in/);
        await page.screenshot({ path: join(ARTIFACTS, 'logout-red-line.png') });
        await page.click('#continue');
        await page.waitForURL(`${s.urls.logoutApp}/done`, { timeout: 20_000 });
        await page.waitForSelector('body[data-state]');
        assert.equal(await page.textContent('#title'), 'You are logged out');
      });
    } finally {
      await s.close();
    }
  });

  it('reports an application with no known logout URL, and tells loaded from confirmed', async () => {
    const s = await scenario({ unknownToLogoutApp: ['timesheets'], withoutConfirmation: ['jwt'] });
    try {
      await inContext('unknown-and-loaded', async (ctx) => {
        const page = await ctx.newPage();
        for (const key of ['jwt', 'sharepoint', 'timesheets']) await signInTo(page, s, key);
        await page.click('#sign-out');
        const lines = await logoutLines(page);
        assert.equal(lines['JWT Debugger']!.state, 'done');
        assert.match(lines['JWT Debugger']!.text, /page loaded; not confirmed/);
        assert.equal(lines['SharePoint Intranet']!.state, 'confirmed');
        const unknown = lines['h2NE1kxhzzFgLpNBvcCuyefjfwFVGx49']!;
        assert.equal(unknown.state, 'unknown', 'listed by client id, not skipped');
        assert.match(unknown.text, /logout URL is not configured/);
        assert.equal(await page.textContent('#title'), 'Some applications may still be signed in');
      });
    } finally {
      await s.close();
    }
  });

  it('getSSOData works from an allowed origin and is refused from any other', async () => {
    const s = await scenario();
    const port = await freePort();
    const stranger = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((r) => stranger.listen(port, '127.0.0.1', r));
    try {
      await inContext('ssodata-origins', async (ctx) => {
        const page = await ctx.newPage();
        await signInTo(page, s, 'jwt');
        const call = (url: string) => page.evaluate(async ({ issuer, clientId }) => {
          await new Promise<void>((resolve, reject) => {
            const script = document.createElement('script');
            script.src = `${issuer}/sdk/adieu.js`;
            script.onload = () => resolve();
            script.onerror = () => reject(new Error('sdk did not load'));
            document.head.appendChild(script);
          });
          try {
            return { ok: true, data: await (window as any).adieu.createClient({ domain: issuer, clientId }).getSSOData() };
          } catch (err) {
            return { ok: false, error: String((err as Error).message) };
          }
        }, { issuer: s.urls.idp, clientId: 'fabrikam-logout', url });
        await page.goto(`${s.urls.logoutApp}/done`);
        const allowed = await call(s.urls.logoutApp);
        assert.equal(allowed.ok, true);
        assert.deepEqual((allowed as any).data.sessionClients, [s.apps.jwt!.clientId]);
        await page.goto(`http://localhost:${port}/`);
        const refused = await call(`http://localhost:${port}`);
        assert.equal(refused.ok, false, 'a page on another origin cannot read the SSO data');
      });
    } finally {
      stranger.close();
      await s.close();
    }
  });
});
