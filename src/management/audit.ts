import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import type { Storage } from '../storage/types.ts';
import { isoFromMs } from '../time.ts';
import type { Principal } from './access.ts';
import { beforeCursor, cursorOf } from './logouts.ts';
import { parseQuery } from './validation.ts';

/** What the audit log records of a change: the route's name (its action), else method and route. */
function actionOf(ctx: Context): string {
  const c = ctx as Context & { _matchedRouteName?: string; _matchedRoute?: string | RegExp };
  return c._matchedRouteName ?? `${ctx.method} ${String(c._matchedRoute ?? ctx.path)}`;
}

/**
 * Every state-changing management request a known credential made is audited, refused ones too
 * (403, 400, 409: who tried what is the point of an audit log). Reads are not. Requests without a
 * valid credential are not admin actions and are left to the logs.
 */
export function auditWrites(storage: Storage) {
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return next();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      status = err instanceof Problem ? err.status : 500;
      throw err;
    } finally {
      const principal = ctx.state.principal as Principal | undefined;
      if (principal) {
        await storage.appendAudit({
          id: randomUUID(), at: Date.now(), actor: principal.actor, action: actionOf(ctx), target: ctx.path, status,
          detail: ctx.state.auditDetail ?? null,
        });
      }
    }
  };
}

export function auditView(e: { id: string; at: number; actor: string; action: string; target: string | null; status: number; detail: unknown }) {
  return { id: e.id, at: isoFromMs(e.at), actor: e.actor, action: e.action, target: e.target, status: e.status, detail: e.detail };
}

/** GET /audit?actor=&action=&before=&limit=: newest first, paged by time (next_before). */
export function auditRoutes(router: Router, storage: Storage) {
  router.get('/audit', async (ctx) => {
    const { actor, action, before, limit } = parseQuery({
      actor: z.string().min(1).max(300).optional(),
      action: z.string().min(1).max(200).optional(),
      before: beforeCursor.optional(),
      limit: z.string().regex(/^\d{1,3}$/, 'must be a whole number from 1 to 200').transform(Number).refine((n) => n >= 1 && n <= 200, 'must be from 1 to 200').default(50),
    }, ctx.query);
    const entries = await storage.listAudit({ actor, action, before: before ? cursorOf(before) : undefined, limit });
    const last = entries.at(-1);
    ctx.body = { entries: entries.map(auditView), next_before: entries.length === limit && last ? `${last.at}.${last.id}` : null };
  });
}
