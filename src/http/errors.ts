import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { BodyError } from './body.ts';
import { html, sendPage, type SafeHtml } from './html.ts';
import { Problem, sendProblem } from './problem.ts';

/**
 * An error a person sees as one of Adieu's pages. Routes throw it (or a subclass naming the
 * case); errorHandler renders every one the same way, and under /api as problem details.
 */
export class PageError extends Error {
  constructor(
    readonly status: number,
    /** The document title, and the problem's title under /api. */
    readonly title: string,
    readonly heading: string,
    message: string,
    /** What the person can do now. */
    readonly advice?: string,
  ) {
    super(message);
  }
}

/** The one rendering of an error page (errorHandler, and oidc-provider's renderError). */
export function sendErrorPage(ctx: Parameters<typeof sendPage>[0], e: { status: number; title: string; heading: string; message: string | SafeHtml; advice?: string }) {
  sendPage(ctx, e.status, e.title, html`
    <h1>${e.heading}</h1>
    <p role="alert" class="error">${e.message}</p>
    ${e.advice ? html`<p class="muted">${e.advice}</p>` : ''}`);
}

/** Paths answered with problem details: the management API, and the console's way to it. */
export const isApiPath = (path: string) => path.startsWith('/api/') || path.startsWith('/admin/api/');

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
      if (err instanceof PageError && !isApiPath(ctx.path)) return sendErrorPage(ctx, err);
      const problem = err instanceof Problem ? err
        : err instanceof PageError ? new Problem(err.status, err.title, err.message)
        : err instanceof BodyError ? new Problem(err.status, err.status === 413 ? 'Payload too large' : err.status === 415 ? 'Unsupported media type' : 'Bad request', err.message)
          : e.status && e.status < 500 ? new Problem(e.status, e.expose ? e.message : 'Bad request', e.expose ? e.message : undefined)
            : undefined;
      if (!problem) logger.error({ err, path: ctx.path }, 'unhandled error');
      const p = problem ?? new Problem(500, 'Internal server error', 'the error was logged');
      if (isApiPath(ctx.path)) return sendProblem(ctx, p);
      sendErrorPage(ctx, { status: p.status, title: p.title, heading: p.title, message: p.detail ?? p.title });
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
