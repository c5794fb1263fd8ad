import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AdieuConfig } from '../config/schema.ts';
import { readForm } from '../http/body.ts';
import { PageError } from '../http/errors.ts';
import { html, sendPage, sendSignedOut } from '../http/html.ts';
import { assertSameOrigin } from '../http/origin.ts';
import type { RouteDeps } from '../http/routes.ts';
import { clearSessionCookie, currentSession } from '../sessions/cookie.ts';
import { epochSeconds } from '../time.ts';
import { logoutPageUrl, needsLogoutPage } from './delivery-view.ts';
import { FEDERATED_RETURN_PATH, PENDING_FEDERATED, upstreamLogoutUrl } from './federated.ts';
import { allowedReturnUrls } from './returns.ts';


export type LogoutDeps = Pick<RouteDeps, 'config' | 'provider' | 'storage' | 'ender' | 'upstreams' | 'logger'>;

/** A sign-out request refused: nobody is signed out and the browser is not redirected. */
class SignOutRefused extends PageError {
  constructor(message: string) {
    super(400, 'Sign-out request refused', 'Sign-out request refused', message,
      'You have not been signed out and were not redirected. Tell the application\'s administrator.');
  }
}

/** Single-valued query parameter or an error message. */
function single(query: Record<string, unknown>, name: string, max = 2048): string | undefined | Error {
  const v = query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return new Error(`parameter ${name} must be given once`);
  if (typeof v !== 'string') return new Error(`parameter ${name} must be a string`);
  if (v.length > max) return new Error(`parameter ${name} is longer than ${max} characters`);
  return v;
}

const PENDING_CONFIRMATION = 'LogoutConfirmation';
const CONFIRMATION_TTL_S = 600;

interface LogoutRequest {
  returnTo: string | undefined;
  clientId: string | undefined;
  federated: boolean;
}

/**
 * `tenant.logout_confirmation: cross_site` asks the person before a sign-out another site started
 * without naming an application: any page can navigate a browser to /v2/logout (Auth0 allows it,
 * so the default keeps it). Fetch Metadata (`Sec-Fetch-Site`) tells who started the navigation;
 * a browser that does not send it cannot prove it was not another site, so it is asked too.
 */
export function needsConfirmation(setting: AdieuConfig['tenant']['logout_confirmation'], fetchSite: string, request: LogoutRequest): boolean {
  if (setting !== 'cross_site' || request.clientId !== undefined) return false;
  return !['same-origin', 'same-site', 'none'].includes(fetchSite);
}

/** Auth0's logout endpoint, as Auth0's "Log Users Out of Applications" uses it: GET /v2/logout?returnTo=&client_id=&federated */
export function v2LogoutRoutes({ config, provider, storage, ender, upstreams, logger }: LogoutDeps): Router {
  const router = new Router();

  /** The request's parameters, checked: a refused request signs nobody out and redirects nowhere. */
  async function parse(query: Record<string, unknown>): Promise<LogoutRequest | Error> {
    const returnTo = single(query, 'returnTo');
    const clientId = single(query, 'client_id', 128);
    for (const v of [returnTo, clientId]) if (v instanceof Error) return v;
    const client = typeof clientId === 'string' ? await storage.getClient(clientId) : undefined;
    if (typeof clientId === 'string' && !client) return new Error(`Unknown client_id ${clientId}.`);
    if (typeof returnTo === 'string' && !allowedReturnUrls(config, client).includes(returnTo)) {
      return new Error(client
        ? `returnTo ${returnTo} is not one of the allowed logout URLs of ${clientId}.`
        : `returnTo ${returnTo} is not one of the tenant's allowed logout URLs (pass client_id to use an application's list).`);
    }
    return { returnTo: returnTo as string | undefined, clientId: clientId as string | undefined, federated: query.federated !== undefined };
  }

  /** Ends the browser's session (if any), then the logout page, the upstream IdP, returnTo. */
  async function signOut(ctx: Context, session: Awaited<ReturnType<typeof currentSession>>, { returnTo, federated }: LogoutRequest) {
    const ended = session
      ? await ender.end(session.uid, 'user_logout', { browser: true, returnTo: returnTo ?? null, actor: `user:${session.accountId}` })
      : undefined;
    clearSessionCookie(provider, ctx);

    const upstream = federated ? ended?.record?.upstream : undefined;
    const showPage = ended?.logout && needsLogoutPage(ended.logout.deliveries);
    if (upstream && upstreams.has(upstream.connection)) {
      // the upstream IdP's logout comes last: after the logout page, if there is one
      const state = showPage ? ended!.logout!.record.id : randomBytes(24).toString('base64url');
      await storage.upsertPayload(PENDING_FEDERATED, state, { ...upstream, returnTo: returnTo ?? null }, epochSeconds() + 3600);
      if (!showPage) {
        const url = await upstreamLogoutUrl(upstreams, upstream, config.base_url, state, logger);
        if (url) return ctx.redirect(url);
      }
    }
    if (showPage) return ctx.redirect(logoutPageUrl(ended!.logout!.record));
    if (returnTo) return ctx.redirect(returnTo);
    sendSignedOut(ctx);
  }

  router.get('/v2/logout', async (ctx) => {
    const request = await parse(ctx.query);
    if (request instanceof Error) throw new SignOutRefused(request.message);
    const session = await currentSession(provider, ctx);
    if (session && needsConfirmation(config.tenant.logout_confirmation, ctx.get('sec-fetch-site'), request)) {
      const id = randomBytes(24).toString('base64url');
      await storage.upsertPayload(PENDING_CONFIRMATION, id, { session_uid: session.uid, ...request }, epochSeconds() + CONFIRMATION_TTL_S);
      return sendPage(ctx, 200, 'Sign out?', html`
        <h1>Sign out of ${config.tenant.name}?</h1>
        <p>Another site asked to sign you out of ${config.tenant.name} and every application you use with it.</p>
        <form method="post" action="/v2/logout/confirm">
          <input type="hidden" name="confirmation" value="${id}">
          <button type="submit" autofocus>Yes, sign me out everywhere</button>
        </form>
        <p class="muted">If you did not mean to sign out, close this page: you stay signed in.</p>`);
    }
    await signOut(ctx, session, request);
  });

  router.post('/v2/logout/confirm', async (ctx) => {
    assertSameOrigin(ctx, config.issuer);
    const form = await readForm(ctx);
    const id = form.confirmation ?? '';
    const pending = id && id.length <= 64 ? await storage.findPayload(PENDING_CONFIRMATION, id) : undefined;
    if (!pending) throw new SignOutRefused('This sign-out confirmation is unknown or expired.');
    await storage.destroyPayload(PENDING_CONFIRMATION, id); // one use
    const session = await currentSession(provider, ctx);
    // a confirmation ends the session it was asked for, never another one this browser has now
    if (session && session.uid !== pending.session_uid) throw new SignOutRefused('This sign-out confirmation was for another session.');
    await signOut(ctx, session, pending as unknown as LogoutRequest);
  });

  router.get(FEDERATED_RETURN_PATH, async (ctx) => {
    const state = single(ctx.query, 'state', 128);
    const pending = typeof state === 'string' ? await storage.findPayload(PENDING_FEDERATED, state) : undefined;
    if (!pending) throw new SignOutRefused('This sign-out confirmation is unknown or expired.');
    await storage.destroyPayload(PENDING_FEDERATED, state as string);
    if (typeof pending.returnTo === 'string') return ctx.redirect(pending.returnTo);
    sendSignedOut(ctx);
  });

  return router;
}
