import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { BodyError } from './body.ts';
import { html, sendPage } from './html.ts';
import { Problem, sendProblem } from './problem.ts';

/**
 * Host-level error handling: problem details under /api, a plain page elsewhere. Protocol
 * endpoints are oidc-provider's and answer with OAuth error codes themselves.
 */
export function errorHandler(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const e = err as Error & { status?: number; expose?: boolean };
      const problem = err instanceof Problem ? err
        : err instanceof BodyError ? new Problem(err.status, err.status === 413 ? 'Payload too large' : err.status === 415 ? 'Unsupported media type' : 'Bad request', err.message)
          : e.status && e.status < 500 ? new Problem(e.status, e.expose ? e.message : 'Bad request', e.expose ? e.message : undefined)
            : undefined;
      if (!problem) logger.error({ err, path: ctx.path }, 'unhandled error');
      const p = problem ?? new Problem(500, 'Internal server error', 'the error was logged');
      if (ctx.path.startsWith('/api/')) return sendProblem(ctx, p);
      sendPage(ctx, p.status, p.title, html`<h1>${p.title}</h1><p role="alert" class="error">${p.detail ?? p.title}</p>`);
    }
  };
}

/** Headers every response carries; pages set their own CSP. */
export async function securityHeaders(ctx: Context, next: Next) {
  ctx.set('X-Content-Type-Options', 'nosniff');
  // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts
  ctx.set('Referrer-Policy', 'same-origin');
  await next();
}
