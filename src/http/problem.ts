import type { Context } from 'koa';

/** RFC 9457 problem details, thrown anywhere under /api and rendered by the error middleware. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export function sendProblem(ctx: Context, p: Problem) {
  ctx.status = p.status;
  ctx.type = 'application/problem+json';
  ctx.body = { type: 'about:blank', title: p.title, status: p.status, ...(p.detail ? { detail: p.detail } : {}), ...p.extra };
}
