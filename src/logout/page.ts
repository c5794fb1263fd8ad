import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { readJson } from '../http/body.ts';
import { browserBundle } from '../http/browser-bundle.ts';
import { PageError } from '../http/errors.ts';
import type { RouteDeps } from '../http/routes.ts';
import { html, page, SafeHtml, sendSignedOut } from '../http/html.ts';
import { deliveryView } from './delivery-view.ts';
import { isSafeOrigin } from '../clients/metadata.ts';
import { PENDING_FEDERATED, upstreamLogoutUrl, type PendingFederatedLogout } from './federated.ts';
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

const PAGE_STYLE_EXTRA = `
ul.apps{list-style:none;padding:0;margin:1rem 0}ul.apps li{display:flex;gap:.6rem;align-items:baseline;padding:.45rem 0;border-bottom:1px solid var(--line)}
.dot{flex:none;width:.7rem;height:.7rem;border-radius:50%;display:inline-block;transform:translateY(.05rem)}
.ok .dot{background:var(--ok)}.bad .dot{background:var(--danger)}.wait .dot{background:#d9a400}
.ok .state{color:var(--ok)}.bad .state{color:var(--danger)}.name{font-weight:600}.chan{color:var(--muted);font-size:.85rem}
.frames{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}`;

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
    // only URLs whose origin serialises safely into the CSP are framed (registration refuses
    // the others; this holds for rows stored before it did)
    const frames = logout.deliveries.filter((d) => d.status === 'awaiting_browser')
      .flatMap((d) => {
        const url = propagation.channels.browser(d.channel)?.url(d, config.issuer);
        return url && isSafeOrigin(url.origin) ? [{ id: d.id, url: url.href, origin: url.origin }] : [];
      });
    const origins = [...new Set(frames.map((f) => f.origin))];
    const continueUrl = `/logout/${logout.id}/continue?token=${logout.page_token}`;
    const data = {
      id: logout.id,
      token: logout.page_token,
      timeoutMs: config.logout.frontchannel.timeout_ms,
      continueUrl,
      hasReturn: !!logout.return_to || !!(await storage.findPayload(PENDING_FEDERATED, logout.id)),
      frames: frames.map(({ id, url }) => ({ id, url })),
      deliveries: logout.deliveries.map(deliveryView),
    };
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', [
      "default-src 'none'", "style-src 'unsafe-inline'", "script-src 'self'", "connect-src 'self'",
      `frame-src ${origins.length ? origins.join(' ') : "'none'"}`, "frame-ancestors 'none'", "base-uri 'none'",
    ].join('; '));
    const body = html`
      <h1 id="title">Signing you out…</h1>
      <p id="summary" role="status" aria-live="polite">Signing you out of ${logout.deliveries.length} application${logout.deliveries.length === 1 ? '' : 's'}.</p>
      <ul class="apps" id="apps">${logout.deliveries.map((d) => {
        const v = deliveryView(d);
        return html`<li class="${v.tone}" data-id="${d.id}"><span class="dot" aria-hidden="true"></span><span><span class="name">${v.client_name}</span> <span class="chan">(${propagation.channels.label(d.channel)})</span><br><span class="state">${v.status_text}</span></span></li>`;
      })}</ul>
      <p id="advice" class="muted" hidden></p>
      <a class="button" id="continue" href="${continueUrl}">Continue</a>
      <div class="frames" aria-hidden="true">${frames.map((f) => html`<iframe title="sign-out" data-id="${f.id}" src="${f.url}" referrerpolicy="no-referrer" sandbox="allow-scripts allow-same-origin"></iframe>`)}</div>
      <script type="application/json" id="adieu-logout-data">${new SafeHtml(JSON.stringify(data).replace(/</g, '\\u003c'))}</script>
      <script src="/assets/logout-page.js"></script>
      <noscript><p class="muted">Without JavaScript the applications' answers cannot be confirmed; press Continue when ready.</p></noscript>`;
    ctx.body = page('Signing out', body).replace('</style>', `${PAGE_STYLE_EXTRA}</style>`);
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
    const updated = await propagation.report(logout.id, parsed.data!.results.map((r) => ({
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
      const url = await upstreamLogoutUrl(upstreams, federated as unknown as PendingFederatedLogout, config.issuer, logout.id, logger);
      if (url) return ctx.redirect(url);
    }
    if (logout.return_to) return ctx.redirect(logout.return_to);
    sendSignedOut(ctx);
  });

  return router;
}
