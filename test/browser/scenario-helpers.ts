import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_USER, startScenario, type Scenario, type ScenarioOptions } from '../../demo/scenario.ts';
import { freeBasePort, recordNavigations } from '../../harness/browser.ts';

export async function scenario(options: Partial<ScenarioOptions> = {}): Promise<Scenario> {
  return startScenario({ basePort: await freeBasePort(), dataDir: mkdtempSync(join(tmpdir(), 'adieu-demo-')), logLevel: 'silent', ...options });
}

/** Signs in to a demo application; returns whether FabrikamAD asked for the password. */
export async function signInTo(page: Page, s: Scenario, key: string): Promise<boolean> {
  const app = s.apps[key]!;
  const visited = recordNavigations(page);
  await page.goto(app.url);
  await page.click('#sign-in');
  await page.waitForURL((u) => u.origin === app.url || u.origin === s.urls.fabrikam);
  let prompted = false;
  if (new URL(page.url()).origin === s.urls.fabrikam) {
    prompted = true;
    await page.fill('#username', DEMO_USER.username);
    await page.fill('#password', DEMO_USER.password);
    await page.click('button[type=submit]');
  }
  await page.waitForURL(`${app.url}/`);
  assert.match(await page.textContent('#status') ?? '', new RegExp(`Signed in as ${DEMO_USER.username}`));
  assert.equal(visited.some((u) => u.startsWith(s.urls.idp) && u.includes('/interaction/')) && !prompted, false, 'no login page at the IdP itself');
  return prompted;
}

/** The logout app's lines once settled: client name -> state class. */
export async function logoutLines(page: Page): Promise<Record<string, { state: string; text: string }>> {
  await page.waitForSelector('body[data-settled="true"]', { timeout: 15_000 });
  const items = await page.$$eval('#apps li', (lis) => lis.map((li) => ({
    name: li.querySelector('.name')!.textContent!, state: (li as HTMLElement).dataset.state!, text: li.querySelector('.state')!.textContent!,
  })));
  return Object.fromEntries(items.map((i) => [i.name, { state: i.state, text: i.text }]));
}
