import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { readForm } from '../http/body.ts';
import { PageError } from '../http/errors.ts';
import { sendHtml } from '../http/html.ts';
import { assertSameOrigin } from '../http/origin.ts';
import type { RouteDeps } from '../http/routes.ts';
import type { AdieuLoginResult } from '../sessions/recorder.ts';
import { epochSeconds } from '../time.ts';
import { verifyPassword } from '../users/accounts.ts';
import { federatedUser, type UpstreamClaims } from '../users/federated.ts';
import { inWords, LoginGuard, type GuardVerdict } from './login-guard.ts';
import { renderLoginPage } from './login-page.ts';

const PENDING_UPSTREAM = 'UpstreamLogin';
const PENDING_TTL = 600;

export type InteractionDeps = Pick<RouteDeps, 'config' | 'provider' | 'storage' | 'upstreams' | 'propagation' | 'logger'>;

class SignInExpired extends PageError {
  constructor() {
    super(400, 'Sign-in expired', 'This sign-in request has expired', 'The sign-in page was open too long or was already used.',
      'Go back to the application and sign in again.');
  }
}

class UpstreamUnreachable extends PageError {
  constructor(name: string) {
    super(502, 'Sign-in unavailable', `${name} is not reachable`, `Adieu could not reach the identity provider behind ${name}.`,
      'Try again in a moment, or ask your administrator.');
  }
}

export function interactionRoutes({ config, provider, storage, upstreams, propagation, logger }: InteractionDeps): Router {
  const guard = new LoginGuard(config, storage, logger, propagation.metrics.registry);
  const router = new Router();
  const databaseConnections = config.connections.filter((c) => c.type === 'database');
  const upstreamList = config.connections.filter((c) => c.type === 'oidc')
    .map((c) => ({ name: c.name, label: c.display_name ?? c.name }));

  async function details(ctx: Context) {
    try {
      return await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) return undefined;
      throw err;
    }
  }

  async function render(ctx: Context, interaction: Awaited<ReturnType<Provider['interactionDetails']>>, status = 200, error?: string, username?: string) {
    const clientId = interaction.params.client_id as string;
    const client = await provider.Client.find(clientId);
    const requested = interaction.params.connection as string | undefined;
    const database = databaseConnections.find((c) => !requested || c.name === requested);
    const upstream = upstreamList.filter((u) => !requested || u.name === requested);
    sendHtml(ctx, status, renderLoginPage({
      uid: interaction.uid,
      clientName: client?.clientName ?? clientId,
      databaseConnection: database?.name,
      upstream,
      username: username ?? (interaction.params.login_hint as string | undefined),
      error,
    }));
  }

  async function startUpstream(ctx: Context, uid: string, name: string, loginHint?: string) {
    const upstream = upstreams.get(name);
    if (!upstream) ctx.throw(404, `unknown connection ${name}`);
    let started;
    try {
      started = await upstream!.start(loginHint);
    } catch (err) {
      logger.error({ err, connection: name }, 'upstream connection unavailable');
      throw new UpstreamUnreachable(name);
    }
    await storage.upsertPayload(PENDING_UPSTREAM, started.checks.state, { uid, connection: name, checks: started.checks }, epochSeconds() + PENDING_TTL);
    ctx.redirect(started.url.href);
  }

  router.get('/interaction/:uid', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction || interaction.uid !== ctx.params.uid) throw new SignInExpired();
    if (interaction.prompt.name === 'consent') {
      // first-party applications registered by the tenant admin: consent is implied (an explicit
      // prompt=consent, which offline_access needs, is answered without a screen)
      const to = await provider.interactionResult(ctx.req, ctx.res, { consent: {} });
      return ctx.redirect(to);
    }
    const requested = interaction.params.connection as string | undefined;
    if (requested && upstreams.has(requested)) {
      return startUpstream(ctx, interaction.uid, requested, interaction.params.login_hint as string | undefined);
    }
    if (requested && !databaseConnections.some((c) => c.name === requested)) {
      const to = await provider.interactionResult(ctx.req, ctx.res, { error: 'invalid_request', error_description: `unknown connection ${requested}` });
      return ctx.redirect(to);
    }
    await render(ctx, interaction);
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    assertSameOrigin(ctx, config.issuer);
    const interaction = await details(ctx);
    if (!interaction || interaction.uid !== ctx.params.uid) throw new SignInExpired();
    const form = await readForm(ctx);
    const username = (form.username ?? '').trim();
    const password = form.password ?? '';
    const connection = databaseConnections.find((c) => c.name === (form.connection ?? databaseConnections[0]?.name));
    if (!connection) return render(ctx, interaction, 400, 'This connection does not accept passwords.');
    if (!username || !password || username.length > 256 || password.length > 1024) {
      return render(ctx, interaction, 400, 'Enter your username and password.', username.slice(0, 256));
    }
    const throttled = (v: GuardVerdict) => v.refused
      ? `Too many failed sign-ins. Try again ${inWords(v.retry_after_s)}${v.scope === 'account' ? ', or ask your administrator' : ''}.`
      : undefined;
    const before = await guard.check(connection.name, username, ctx.ip);
    if (before.refused) {
      ctx.set('Retry-After', String(before.retry_after_s));
      return render(ctx, interaction, 429, throttled(before), username);
    }
    const user = await storage.findUser(connection.name, username);
    if (!(await verifyPassword(user, password))) {
      const after = await guard.failed(connection.name, username, ctx.ip);
      return render(ctx, interaction, 401, `Wrong username or password.${after.refused ? ` ${throttled(after)}` : ''}`, username);
    }
    await guard.succeeded(connection.name, username, ctx.ip);
    const to = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: user!.id, amr: ['pwd'], remember: true },
    }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    assertSameOrigin(ctx, config.issuer);
    const interaction = await details(ctx);
    if (!interaction || interaction.uid !== ctx.params.uid) throw new SignInExpired();
    const to = await provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'End-User cancelled the sign-in' });
    ctx.status = 303;
    ctx.redirect(to);
  });

  router.get('/interaction/:uid/upstream/:connection', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction || interaction.uid !== ctx.params.uid) throw new SignInExpired();
    await startUpstream(ctx, interaction.uid, ctx.params.connection!, interaction.params.login_hint as string | undefined);
  });

  // The upstream IdP redirects here (one fixed redirect_uri per connection); the interaction
  // cookie is scoped to /interaction/:uid, so the browser is sent on to that path.
  router.get('/login/callback/:connection', async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = state ? await storage.findPayload(PENDING_UPSTREAM, state) : undefined;
    if (!pending || pending.connection !== ctx.params.connection) throw new SignInExpired();
    ctx.redirect(`/interaction/${encodeURIComponent(pending.uid as string)}/upstream-callback?${ctx.querystring}`);
  });

  router.get('/interaction/:uid/upstream-callback', async (ctx) => {
    const interaction = await details(ctx);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = state ? await storage.findPayload(PENDING_UPSTREAM, state) : undefined;
    if (!interaction || !pending || interaction.uid !== ctx.params.uid || pending.uid !== interaction.uid) throw new SignInExpired();
    await storage.destroyPayload(PENDING_UPSTREAM, state); // one use
    const name = pending.connection as string;
    const upstream = upstreams.get(name)!;
    if (typeof ctx.query.error === 'string') {
      return render(ctx, interaction, 401, `${name} did not sign you in: ${ctx.query.error_description ?? ctx.query.error}`);
    }
    let result;
    try {
      result = await upstream.finish(ctx.querystring, pending.checks as any);
    } catch (err) {
      logger.warn({ err, connection: name }, 'upstream login failed');
      return render(ctx, interaction, 401, `${name} did not sign you in: ${(err as Error).message}`);
    }
    const { claims, idToken } = result;
    const connection = config.connections.find((c) => c.name === name && c.type === 'oidc')!;
    const user = await federatedUser(storage, connection as { name: string; link_verified_email: boolean }, claims as UpstreamClaims, logger);
    const adieu: AdieuLoginResult = { upstream: { connection: name, id_token: idToken } };
    const to = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: user.id, amr: ['fed'], remember: true },
      adieu,
    }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });

  return router;
}
