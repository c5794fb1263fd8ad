import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { Problem } from '../http/problem.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer admin token; compared in constant time. Without a configured token the API is off. */
export function requireAdmin(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return async (ctx: Context, next: Next) => {
    if (!expected) throw new Problem(503, 'Management API disabled', 'set secrets.admin_token or ADIEU_ADMIN_TOKEN to enable it');
    const header = ctx.get('authorization');
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="adieu-management"');
      throw new Problem(401, 'Unauthorized', 'a valid admin bearer token is required');
    }
    await next();
  };
}
