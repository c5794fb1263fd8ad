import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { AdieuConfig } from '../config/schema.ts';
import type { UpstreamConnection } from '../connections/upstream.ts';
import { html, sendPage, sendSignedOut } from '../http/html.ts';
import { clearSessionCookie, currentSession } from '../sessions/cookie.ts';
import type { SessionEnder } from '../sessions/end-session.ts';
import type { Storage } from '../storage/types.ts';
import { FEDERATED_RETURN_PATH, PENDING_FEDERATED, upstreamLogoutUrl } from './federated.ts';
import { logoutPageUrl, needsLogoutPage } from './page.ts';
import { allowedReturnUrls } from './returns.ts';


export interface LogoutDeps {
  config: AdieuConfig;
  provider: Provider;
  storage: Storage;
  ender: SessionEnder;
  upstreams: Map<string, UpstreamConnection>;
  logger: Logger;
}

function badRequest(ctx: Context, message: string) {
  sendPage(ctx, 400, 'Sign-out request refused', html`
    <h1>Sign-out request refused</h1>
    <p role="alert" class="error">${message}</p>
    <p>You have not been signed out and were not redirected. Tell the application's administrator.</p>`);
}

/** Single-valued query parameter or an error message. */
function single(ctx: Context, name: string, max = 2048): string | undefined | Error {
  const v = ctx.query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return new Error(`parameter ${name} must be given once`);
  if (v.length > max) return new Error(`parameter ${name} is longer than ${max} characters`);
  return v;
}

/** The reference document's logout endpoint: GET /v2/logout?returnTo=&client_id=&federated */
export function v2LogoutRoutes({ config, provider, storage, ender, upstreams, logger }: LogoutDeps): Router {
  const router = new Router();

  router.get('/v2/logout', async (ctx) => {
    const returnTo = single(ctx, 'returnTo');
    const clientId = single(ctx, 'client_id', 128);
    const federated = ctx.query.federated !== undefined;
    for (const v of [returnTo, clientId]) if (v instanceof Error) return badRequest(ctx, v.message);
    const client = typeof clientId === 'string' ? await storage.getClient(clientId) : undefined;
    if (typeof clientId === 'string' && !client) return badRequest(ctx, `Unknown client_id ${clientId}.`);
    if (typeof returnTo === 'string' && !allowedReturnUrls(config, client).includes(returnTo)) {
      return badRequest(ctx, client
        ? `returnTo ${returnTo} is not one of the allowed logout URLs of ${clientId}.`
        : `returnTo ${returnTo} is not one of the tenant's allowed logout URLs (pass client_id to use an application's list).`);
    }

    const session = await currentSession(provider, ctx);
    const ended = session
      ? await ender.end(session.uid, 'user_logout', { browser: true, returnTo: typeof returnTo === 'string' ? returnTo : null })
      : undefined;
    clearSessionCookie(provider, ctx);

    const upstream = federated ? ended?.record?.upstream : undefined;
    const showPage = ended?.logout && needsLogoutPage(ended.logout.deliveries);
    if (upstream && upstreams.has(upstream.connection)) {
      // the upstream IdP's logout comes last: after the logout page, if there is one
      const state = showPage ? ended!.logout!.record.id : randomBytes(24).toString('base64url');
      await storage.upsertPayload(PENDING_FEDERATED, state, { ...upstream, returnTo: returnTo ?? null }, Math.floor(Date.now() / 1000) + 3600);
      if (!showPage) {
        const url = await upstreamLogoutUrl(upstreams, upstream, config.issuer, state, logger);
        if (url) return ctx.redirect(url);
      }
    }
    if (showPage) return ctx.redirect(logoutPageUrl(ended!.logout!.record));
    if (typeof returnTo === 'string') return ctx.redirect(returnTo);
    sendSignedOut(ctx);
  });

  router.get(FEDERATED_RETURN_PATH, async (ctx) => {
    const state = single(ctx, 'state', 128);
    const pending = typeof state === 'string' ? await storage.findPayload(PENDING_FEDERATED, state) : undefined;
    if (!pending) return badRequest(ctx, 'This sign-out confirmation is unknown or expired.');
    await storage.destroyPayload(PENDING_FEDERATED, state as string);
    if (typeof pending.returnTo === 'string') return ctx.redirect(pending.returnTo);
    sendSignedOut(ctx);
  });

  return router;
}
