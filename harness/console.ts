import { PASSWORD } from './idp.ts';
import { UserAgent } from './user-agent.ts';

/** A console session as a browser gets one: /admin, Adieu's login page, the callback, the page (and its CSRF token). */
export async function consoleSession(issuer: string, username: string) {
  const ua = new UserAgent();
  let page = await ua.follow(`${issuer}/admin`);
  if (/\/interaction\//.test(page.url)) page = await ua.submitForm(page, { username, password: PASSWORD }, /\/login$/);
  const csrf = /<meta name="adieu-csrf" content="([^"]+)">/.exec(page.body)?.[1];
  /** A request through the console, as its page makes them (CSRF token unless `csrf: false`). */
  const call = (method: string, path: string, options: { csrf?: boolean; json?: unknown } = {}) => ua.fetch(`${issuer}/admin/api/v1${path}`, {
    method,
    headers: {
      ...(options.csrf !== false && csrf ? { 'x-csrf-token': csrf } : {}),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
  });
  return { ua, page, csrf, call };
}
