import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context, Next } from 'koa';
import { BodyError, readJson } from './body.ts';

/** oidc-provider's own body limit (lib/shared/selective_body.js). */
const LIMIT = 56 * 1024;

/**
 * A JSON body as the form oidc-provider reads: Auth0's token endpoint takes both, and auth0-js
 * `client.oauthToken` always sends JSON. Values must be strings (numbers and booleans are written
 * as such); anything nested is refused with invalid_request, as a bad form would be.
 */
export function jsonToForm(body: unknown): string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BodyError(400, 'the JSON body must be an object');
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') throw new BodyError(400, `parameter ${key} must be a string, not ${Array.isArray(value) ? 'an array' : 'an object'}`);
    form.set(key, String(value));
  }
  return form.toString();
}

/**
 * For POSTs to these oidc-provider endpoints with a JSON body: the request oidc-provider gets
 * carries the same parameters as a form (same validation, same error codes from then on).
 */
export function acceptJsonBodies(paths: readonly string[]) {
  const endpoints = new Set(paths);
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'POST' || !endpoints.has(ctx.path) || !ctx.is('application/json')) return next();
    let form: string;
    try {
      form = jsonToForm(await readJson(ctx, LIMIT));
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      ctx.status = err.status;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'invalid_request', error_description: err.message };
      return;
    }
    const body = Buffer.from(form);
    // a fresh request stream with the form in it: oidc-provider reads bodies from the stream itself
    const replay = Object.assign(Readable.from([body]), {
      headers: { ...ctx.req.headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
      method: ctx.req.method,
      url: ctx.req.url,
      httpVersion: ctx.req.httpVersion,
      httpVersionMajor: ctx.req.httpVersionMajor,
      httpVersionMinor: ctx.req.httpVersionMinor,
      socket: ctx.req.socket,
      connection: ctx.req.socket,
    });
    ctx.state.replayedRequest = replay as unknown as IncomingMessage;
    return next();
  };
}
