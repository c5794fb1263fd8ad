import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context, Next } from 'koa';
import { BodyError, readJson, readRaw } from './body.ts';

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
 * Auth0's token requests name the API with `audience` (client credentials for its Management API
 * included); oidc-provider reads RFC 8707's `resource`. Renamed unless `resource` is given too.
 */
export function audienceAsResource(form: string): string {
  const params = new URLSearchParams(form);
  const audience = params.getAll('audience');
  if (!audience.length || params.has('resource')) return form;
  params.delete('audience');
  for (const a of audience) params.append('resource', a);
  return params.toString();
}

/**
 * For POSTs to these oidc-provider endpoints with a JSON body: the request oidc-provider gets
 * carries the same parameters as a form (same validation, same error codes from then on). On the
 * token endpoint, forms too are read, for `audience`.
 */
export function acceptJsonBodies(paths: readonly string[], tokenPath: string) {
  const endpoints = new Set(paths);
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'POST' || !endpoints.has(ctx.path)) return next();
    const json = ctx.is('application/json');
    const tokenForm = ctx.path === tokenPath && ctx.is('application/x-www-form-urlencoded');
    if (!json && !tokenForm) return next();
    let form: string;
    try {
      form = json ? jsonToForm(await readJson(ctx, LIMIT)) : await readRaw(ctx, LIMIT);
      if (ctx.path === tokenPath) form = audienceAsResource(form);
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
