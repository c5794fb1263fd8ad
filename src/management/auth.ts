import type { Context, Next } from 'koa';
import { bearerChecker } from '../http/bearer.ts';
import { Problem } from '../http/problem.ts';

/** Bearer admin token; compared in constant time. Without a configured token the API is off. */
export function requireAdmin(token: string | undefined) {
  const matches = bearerChecker(token);
  return async (ctx: Context, next: Next) => {
    if (!matches) throw new Problem(503, 'Management API disabled', 'set secrets.admin_token or ADIEU_ADMIN_TOKEN to enable it');
    if (!matches(ctx)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="adieu-management"');
      throw new Problem(401, 'Unauthorized', 'a valid admin bearer token is required');
    }
    await next();
  };
}
