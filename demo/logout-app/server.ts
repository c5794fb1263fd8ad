import Router from '@koa/router';
import Koa from 'koa';
import { browserBundle } from '../../src/http/browser-bundle.ts';
import { escapeHtml as e } from '../../src/http/html.ts';
import { listen } from '../listen.ts';

/**
 * The reference document's single-logout application, on its own origin: it asks the IdP which
 * applications this browser signed in to (getSSOData), frames each one's GET logout URL, shows
 * one line per application, then sends the browser to the IdP's /v2/logout.
 */
export interface LogoutAppOptions {
  port: number;
  issuer: string;
  /** This application's own client id at the IdP (its origin is one of its web_origins). */
  clientId: string;
  /** The document's map: client id -> { name, logout_url }. The IdP does not know these URLs here. */
  clients: Record<string, { name: string; logout_url: string }>;
  /** How long a line may stay pending before it turns red (the document: 5 s). */
  timeoutMs?: number;
  /** Also sign out at the upstream IdP (ADFS, FabrikamAD). */
  federated?: boolean;
  title?: string;
}

const pageScript = browserBundle(new URL('./page.ts', import.meta.url));

const STYLE = `body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f7f9;color:#1b1f24}header{background:#0f172a;color:#fff;padding:1rem 2rem}
header h1{margin:0;font-size:1.3rem}main{max-width:40rem;margin:2rem auto;padding:0 1rem}.card{background:#fff;border:1px solid #d0d5dd;border-radius:12px;padding:1.5rem}
ul{list-style:none;padding:0}li{display:flex;gap:.6rem;align-items:baseline;padding:.55rem .2rem;border-bottom:1px solid #e5e7eb}
.bar{flex:none;width:.35rem;align-self:stretch;border-radius:3px;background:#d0d5dd}.pending .bar{background:#d9a400}
.done .bar,.confirmed .bar{background:#12b76a}.failed .bar,.unknown .bar{background:#d92d20}.done .state,.confirmed .state{color:#067647}
.failed .state,.unknown .state{color:#b42318}.name{font-weight:600}.state{display:block;font-size:.9rem;color:#5b6470}
button{padding:.6rem 1.1rem;border:0;border-radius:8px;background:#2456d3;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:disabled{background:#98a2b3;cursor:not-allowed}button.secondary{background:transparent;color:#2456d3;border:1px solid #d0d5dd;margin-left:.5rem}
.frames iframe{width:1px;height:1px;border:0;position:absolute;left:-9999px}.ok{color:#067647}.warn{color:#b42318}`;

export async function startLogoutApp(o: LogoutAppOptions) {
  const origin = `http://localhost:${o.port}`;
  const title = o.title ?? 'Fabrikam sign-out';
  const page = (body: string, data: unknown) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${e(title)}</h1><div>Single sign-out for every Fabrikam application</div></header><main><div class="card">${body}</div></main>
<script type="application/json" id="config">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script src="${e(o.issuer)}/sdk/adieu.js"></script><script src="/page.js"></script></body></html>`;
  const data = (mode: 'logout' | 'done') => ({
    mode, issuer: o.issuer, clientId: o.clientId, clients: o.clients, timeoutMs: o.timeoutMs ?? 5000,
    federated: !!o.federated, returnTo: `${origin}/done`,
  });

  const router = new Router();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page(`<h2 id="title">Signing you out…</h2><p id="summary" role="status" aria-live="polite">Looking up your applications…</p>
      <ul id="apps"></ul><p id="advice" class="warn" hidden></p>
      <p><button id="continue" type="button" disabled>Continue</button><button id="continue-now" class="secondary" type="button">Continue without waiting</button></p>
      <div class="frames" id="frames" aria-hidden="true"></div>`, data('logout'));
  });
  router.get('/done', (ctx) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page('<h2 id="title">Checking…</h2><p id="summary" role="status"></p>', data('done'));
  });
  router.get('/page.js', async (ctx) => {
    ctx.type = 'application/javascript';
    ctx.body = await pageScript();
  });

  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  const server = await listen(app, o.port);
  return { url: origin, close: server.close };
}
