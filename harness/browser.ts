import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.ADIEU_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = new URL('../test-artifacts', import.meta.url).pathname;

/**
 * Debian's Chromium, headless; never a downloaded browser. Playwright's launch gives it a fresh
 * temporary profile (user-data dir) of its own and removes it afterwards.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Runs `fn` in a fresh browser context (its own cookies), with screenshots on failure; closes it after. */
export async function inNewContext<T>(browser: Browser, name: string, fn: (context: BrowserContext) => Promise<T>, options: BrowserContextOptions = {}): Promise<T> {
  const context = await browser.newContext(options);
  try {
    return await withScreenshots(context, name, () => fn(context));
  } finally {
    await context.close();
  }
}

/** Runs a browser test step; on failure saves a screenshot of every open page, then rethrows. */
export async function withScreenshots<T>(context: BrowserContext, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [i, page] of context.pages().entries()) {
      const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, '-')}-${i}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`screenshot of ${page.url()} saved to ${file}`);
    }
    throw err;
  }
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port whose scenario ports (base, +1, +100..+104) are all free right now. */
export async function freeBasePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = [base, base + 1, base + 100, base + 101, base + 102, base + 103, base + 104];
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

/** Every URL the page's main frame navigates to. */
export function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) urls.push(frame.url()); });
  return urls;
}
