import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { readJson } from '../http/body.ts';
import { browserBundle } from '../http/browser-bundle.ts';
import { PageError } from '../http/errors.ts';
import { sendSignedOut } from '../http/html.ts';
import type { RouteDeps } from '../http/routes.ts';
import { deliveryView } from './delivery-view.ts';
import { PENDING_FEDERATED, upstreamLogoutUrl, type PendingFederatedLogout } from './federated.ts';
import { renderLogoutPage } from './page-html.ts';
import { checkPageToken } from './page-token.ts';

const pageScript = browserBundle(new URL('./assets/logout-page.ts', import.meta.url));

export type LogoutPageDeps = Pick<RouteDeps, 'config' | 'storage' | 'propagation' | 'upstreams' | 'logger'>;

const reportSchema = z.object({
  results: z.array(z.object({
    id: z.string().max(64),
    status: z.enum(['confirmed', 'loaded', 'timed_out', 'cookies_blocked']),
    error: z.string().max(500).nullable().optional(),
    latency_ms: z.number().int().min(0).max(3_600_000).nullable().optional(),
  })).max(1000),
}).strict();

export function logoutPageRoutes({ config, storage, propagation, upstreams, logger }: LogoutPageDeps): Router {
  const router = new Router();

  async function load(ctx: Context) {
    const logout = await storage.getLogout(ctx.params.id!);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const check = checkPageToken(logout, token, Date.now());
    if (check === 'unknown') throw new PageError(404, 'Sign-out not found', 'This sign-out is unknown', 'This sign-out is unknown, or the link is incomplete.');
    if (check === 'expired') {
      throw new PageError(410, 'Sign-out page expired', 'This sign-out page has expired', 'You were signed out.', 'Open the application again to continue.');
    }
    return logout!;
  }

  router.get('/assets/logout-page.js', async (ctx) => {
    ctx.type = 'application/javascript';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = await pageScript();
  });

  router.get('/logout/:id', async (ctx) => {
    const logout = await load(ctx);
    const hasReturn = !!logout.return_to || !!(await storage.findPayload(PENDING_FEDERATED, logout.id));
    const { document, csp } = renderLogoutPage(logout, { issuer: config.issuer, timeout_ms: config.logout.frontchannel.timeout_ms, channels: propagation.channels, hasReturn });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', csp);
    ctx.body = document;
  });

  router.get('/logout/:id/status', async (ctx) => {
    const logout = await load(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      id: logout.id, status: logout.status, trigger: logout.trigger,
      deliveries: logout.deliveries.map(deliveryView),
    };
  });

  router.post('/logout/:id/report', async (ctx) => {
    const logout = await load(ctx);
    const parsed = reportSchema.safeParse(await readJson(ctx, 64 * 1024));
    if (!parsed.success) ctx.throw(400, 'malformed report');
    // a channel whose answer reaches Adieu's server is confirmed there: the page may only say it timed out
    const byServer = new Set(logout.deliveries.filter((d) => propagation.channels.browser(d.channel)?.confirmedBy === 'server').map((d) => d.id));
    const results = parsed.data!.results.filter((r) => !byServer.has(r.id) || r.status === 'timed_out');
    const updated = await propagation.report(logout.id, results.map((r) => ({
      id: r.id, status: r.status, latency_ms: r.latency_ms ?? null,
      last_error: r.error ?? (r.status === 'timed_out' ? `no answer within ${config.logout.frontchannel.timeout_ms} ms` : null),
    })));
    ctx.body = { updated };
  });

  router.get('/logout/:id/continue', async (ctx) => {
    const logout = await load(ctx);
    const federated = await storage.findPayload(PENDING_FEDERATED, logout.id);
    if (federated) {
      // kept until the upstream IdP sends the browser back (the callback finds it by state)
      const url = await upstreamLogoutUrl(upstreams, federated as unknown as PendingFederatedLogout, config.base_url, logout.id, logger);
      if (url) return ctx.redirect(url);
    }
    if (logout.return_to) return ctx.redirect(logout.return_to);
    sendSignedOut(ctx);
  });

  return router;
}
