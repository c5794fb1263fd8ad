import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, inNewContext, launchBrowser } from '../../harness/browser.ts';
import { freePort, PASSWORD, startIdp, testClient, type TestIdp } from '../../harness/idp.ts';
import { LogoutReceiver } from '../../harness/logout-receiver.ts';
import { signIn } from '../../harness/rp.ts';
import { UserAgent } from '../../harness/user-agent.ts';

// Screenshots of each page: test-artifacts/console by default; `ADIEU_SCREENSHOTS=docs/console npm test`
// (or this file alone) refreshes the ones in the README.
const SHOTS = process.env.ADIEU_SCREENSHOTS ?? join(ARTIFACTS, 'console');

let browser: Awaited<ReturnType<typeof launchBrowser>>;
before(async () => { browser = await launchBrowser(); });
after(() => browser?.close());

async function shoot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Signs in on Adieu's login page (the console sends the browser there). */
async function signInAs(page: Page, username: string) {
  await page.waitForSelector('#username');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2 A and AA rules on the page as it is now: the violations, by rule and element. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return (result.violations as { id: string; nodes: { target: string[] }[] }[]).flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

/** The result a delivery row shows: its tone and text. */
const row = (page: Page, client: string) => page.locator(`.live tr[data-client="${client}"], table.deliveries tr[data-client="${client}"]`).first();

describe('the admin console in Chromium', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  let mary: string;

  before(async () => {
    const port = await freePort();
    receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
    // flaky refuses logouts at first (HTTP 400: final, red) and recovers later in the test
    receiver.behaviours.set('flaky', { kind: 'error', status: 400, body: 'unknown session' });
    idp = await startIdp({
      port,
      users: [
        { username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', name: 'Mary', password: PASSWORD },
        { username: 'ada@fabrikamcorp.com', email: 'ada@fabrikamcorp.com', name: 'Ada Admin', password: PASSWORD, roles: ['admin'] },
      ],
      clients: [
        testClient('payroll', { client_name: 'Payroll', backchannel_logout_uri: receiver.url('payroll') }),
        testClient('flaky', { client_name: 'Expenses', backchannel_logout_uri: receiver.url('flaky') }),
        testClient('wiki', { client_name: 'Wiki', frontchannel_logout_uri: 'http://localhost:9/wiki/logout' }),
      ],
    });
    const ua = new UserAgent();
    for (const id of ['payroll', 'flaky', 'wiki']) mary = (await signIn(ua, idp.issuer, testClient(id))).claims.sub as string;
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  it('an admin signs in, finds Mary, previews and signs her out everywhere, and watches each application', () => inNewContext(browser.browser, 'console-admin', async (ctx) => {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${idp.issuer}/admin`);
    await signInAs(page, 'ada@fabrikamcorp.com');
    await page.waitForURL(`${idp.issuer}/admin`);
    await page.waitForSelector('.cards');
    assert.match(await page.textContent('.who') ?? '', /Ada Admin/);

    await page.click('nav >> text=Users');
    await page.fill('#user-q', 'mary');
    await page.click('form[role=search] button');
    await page.waitForSelector('a:has-text("mary@fabrikamcorp.com")');
    await shoot(page, 'users');
    await page.click('a:has-text("mary@fabrikamcorp.com")');
    await page.waitForSelector('.session');
    assert.equal(await page.locator('.session').count(), 1);

    await page.click('button:has-text("Sign out everywhere…")');
    await page.waitForSelector('.preview li');
    const preview = Object.fromEntries(await page.$$eval('.preview li', (lis) => lis.map((li) => [(li as HTMLElement).dataset.client!, li.textContent!])));
    assert.match(preview.payroll!, /by back-channel/);
    assert.match(preview.flaky!, /by back-channel/);
    assert.match(preview.wiki!, /no browser/, 'the front-channel-only app cannot be reached by an admin');
    await shoot(page, 'user-preview');

    await page.click('button:has-text("Sign out everywhere now")');
    await page.waitForSelector('.logout-status:has-text("completed")', { timeout: 15_000 });
    assert.equal(await row(page, 'payroll').getAttribute('data-tone'), 'ok');
    assert.match(await row(page, 'payroll').textContent() ?? '', /signed out/);
    assert.equal(await row(page, 'flaky').getAttribute('data-tone'), 'bad');
    assert.match(await row(page, 'flaky').textContent() ?? '', /refused the sign-out.*400.*unknown session/s, 'red, with its reason');
    assert.equal(receiver.count('payroll'), 1);
    await shoot(page, 'user-results');

    // the trace; the application recovers; retry now
    await page.click('a:has-text("Open the logout trace")');
    await page.waitForSelector('h1:has-text("Logout trace")');
    assert.match(await page.textContent('.facts') ?? '', /token:admin|user:/);
    receiver.behaviours.set('flaky', { kind: 'healthy' });
    await row(page, 'flaky').locator('button:has-text("Retry now")').click();
    await page.waitForFunction(() => document.querySelector('table.deliveries tr[data-client="flaky"]')?.getAttribute('data-tone') === 'ok', null, { timeout: 15_000 });
    await page.waitForSelector('.logout-status:has-text("completed with failures")');
    assert.match(await page.textContent('.logout-status') ?? '', /1 failed/, 'only the unreachable front-channel app is left failed');
    assert.match(await row(page, 'flaky').locator('.timeline').textContent() ?? '', /attempt: rejected — HTTP 400.*retry asked by user:.*attempt: delivered/s, 'the timeline: each attempt and the retry');
    await shoot(page, 'logout-trace');

    // applications: coverage, probe, and a validation error named on its field
    await page.click('nav >> text=Applications');
    await page.waitForSelector('table.matrix');
    assert.match(await page.locator('table.matrix tr[data-client="wiki"]').textContent() ?? '', /not reached/);
    await shoot(page, 'applications');
    await page.click('a:has-text("Payroll")');
    await page.click('button:has-text("Send a test logout")');
    await page.waitForSelector('.probe li');
    assert.match(await page.textContent('.probe') ?? '', /answered OK/);
    await page.fill('#f-backchannel_logout_uri', 'not a url');
    await page.click('button:has-text("Save changes")');
    await page.waitForSelector('#backchannel_logout_uri-error');
    assert.match(await page.textContent('#backchannel_logout_uri-error') ?? '', /Back-channel logout URI: must be an absolute http\(s\) URL/);
    assert.equal(await page.getAttribute('#f-backchannel_logout_uri', 'aria-invalid'), 'true');
    await shoot(page, 'application');

    await page.click('nav >> text=Logouts');
    await page.waitForSelector('td:has-text("admin: sign out everywhere")');
    await shoot(page, 'logouts');

    await page.click('nav >> text=Audit log');
    await page.waitForSelector('td >> text=delivery.retry');
    const actions = await page.$$eval('tbody code', (els) => els.map((e) => e.textContent));
    assert.deepEqual(actions.slice(0, 4), ['client.update', 'client.probe', 'delivery.retry', 'user.sign_out_everywhere']);
    await shoot(page, 'audit');

    await page.click('nav >> text=Overview');
    await page.waitForSelector('.failing');
    assert.match(await page.textContent('.failing') ?? '', /Wiki/, 'the app an admin ending could not reach is failing now');
    await shoot(page, 'overview');

    // a phone's width: the same pages, nothing cut off
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForSelector('.cards');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at 390 px (${overflow} px)`);
    await shoot(page, 'overview-phone');
  }));

  it('every page passes axe-core\'s WCAG 2.1 A and AA checks, and is reached by keyboard alone', () => inNewContext(browser.browser, 'console-a11y', async (ctx) => {
    const page = await ctx.newPage();
    await page.goto(`${idp.issuer}/admin`);
    await signInAs(page, 'ada@fabrikamcorp.com');
    await page.waitForSelector('.cards');
    // keyboard: the skip link first, then the navigation, to the Users page
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Users');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#user-q');
    const logout = (await page.evaluate(async () => (await (await fetch('/admin/api/v1/logouts?limit=1')).json()).logouts[0]?.id)) as string | undefined;
    const pages = ['/admin', '/admin/users?q=mary', `/admin/users/${mary}`, '/admin/logouts', ...(logout ? [`/admin/logouts/${logout}`] : []), '/admin/applications', '/admin/applications/payroll', '/admin/audit'];
    for (const path of pages) {
      await page.goto(`${idp.issuer}${path}`);
      await page.waitForSelector('main h1');
      await page.waitForFunction(() => !document.querySelector('[role=status].muted'));
      assert.deepEqual(await accessibilityViolations(page), [], path);
    }
  }, { bypassCSP: true }));

  it('signs out of the console and of Adieu: the next visit asks for the password again', () => inNewContext(browser.browser, 'console-sign-out', async (ctx) => {
    const page = await ctx.newPage();
    await page.goto(`${idp.issuer}/admin/audit`);
    await signInAs(page, 'ada@fabrikamcorp.com');
    await page.waitForSelector('h1:has-text("Audit log")');
    await page.click('button:has-text("Sign out")');
    await page.waitForURL(`${idp.issuer}/admin/signed-out`);
    assert.equal(await page.textContent('h1'), 'You are signed out');
    assert.equal((await page.request.get(`${idp.issuer}/admin/api/v1/overview`)).status(), 401, 'the console session is gone');
    await page.goto(`${idp.issuer}/admin`);
    await page.waitForSelector('#password');
  }));

  it('refuses a person without a console role', () => inNewContext(browser.browser, 'console-non-admin', async (ctx) => {
    const page = await ctx.newPage();
    await page.goto(`${idp.issuer}/admin/users`);
    await signInAs(page, 'mary@fabrikamcorp.com');
    await page.waitForSelector('h1');
    assert.equal(await page.textContent('h1'), 'Not an administrator');
    const res = await page.request.get(`${idp.issuer}/admin/api/v1/users`);
    assert.equal(res.status(), 401, 'no console session was made');
    void mary;
  }));

  it('refuses a change from a page that lacks the console\'s CSRF token', () => inNewContext(browser.browser, 'console-csrf', async (ctx) => {
    const page = await ctx.newPage();
    await page.goto(`${idp.issuer}/admin`);
    await signInAs(page, 'ada@fabrikamcorp.com');
    await page.waitForSelector('.cards');
    const status = await page.evaluate(async () => (await fetch('/admin/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"x","password":"long-enough-pw"}' })).status);
    assert.equal(status, 403);
    const withToken = await page.evaluate(async () => (await fetch('/admin/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': document.querySelector<HTMLMetaElement>('meta[name="adieu-csrf"]')!.content },
      body: '{"username":"csrf-ok","password":"long-enough-pw"}',
    })).status);
    assert.equal(withToken, 201);
  }));
});
