import { isSafeOrigin } from '../clients/metadata.ts';
import { html, page, SafeHtml } from '../http/html.ts';
import type { Delivery, LogoutRecord } from '../storage/types.ts';
import type { Channels } from './channels/index.ts';
import { deliveryView } from './delivery-view.ts';

const PAGE_STYLE_EXTRA = `
ul.apps{list-style:none;padding:0;margin:1rem 0}ul.apps li{display:flex;gap:.6rem;align-items:baseline;padding:.45rem 0;border-bottom:1px solid var(--line)}
.dot{flex:none;width:.7rem;height:.7rem;border-radius:50%;display:inline-block;transform:translateY(.05rem)}
.ok .dot{background:var(--ok)}.bad .dot{background:var(--danger)}.wait .dot{background:#d9a400}
.ok .state{color:var(--ok)}.bad .state{color:var(--danger)}.name{font-weight:600}.chan{color:var(--muted);font-size:.85rem}
.frames{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}`;

/**
 * The logout page: a line per application and channel, the frames of the browser channels, and
 * the data its script (assets/logout-page.ts) works from. Its CSP frames only the origins of
 * those URLs, and only URLs whose origin serialises safely into the header (registration refuses
 * the others; this holds for rows stored before it did).
 */
/**
 * A frame of the page. With JavaScript it starts empty and the script gives it its URL once it
 * listens for the application's answer: a frame loaded before the script ran could confirm (and
 * fire its load event) unseen and be shown timed out. Without JavaScript (<noscript>) it loads at once.
 */
function frame(f: { id: string; require_confirmation: boolean }, src?: string) {
  const sandbox = f.require_confirmation ? 'allow-scripts allow-same-origin allow-forms' : 'allow-scripts allow-same-origin';
  return src
    ? html`<iframe title="sign-out" src="${src}" referrerpolicy="no-referrer" sandbox="${sandbox}"></iframe>`
    : html`<iframe title="sign-out" data-id="${f.id}" referrerpolicy="no-referrer" sandbox="${sandbox}"></iframe>`;
}

export function renderLogoutPage(logout: LogoutRecord & { deliveries: Delivery[] }, o: { issuer: string; timeout_ms: number; channels: Channels; hasReturn: boolean }): { document: string; csp: string } {
  const self = new URL(o.issuer).origin;
  const awaiting = logout.deliveries.filter((d) => d.status === 'awaiting_browser');
  const displayed = (d: Delivery) => o.channels.browser(d.channel)?.display ?? 'frame';
  // top-level hops: the window the page opens is a top-level browsing context (no frame-src)
  const windows = awaiting.filter((d) => displayed(d) === 'window').flatMap((d) => {
    const url = o.channels.browser(d.channel)!.url(d, o.issuer);
    return url ? [{ id: d.id, url: url.href }] : [];
  });
  const frames = awaiting.filter((d) => displayed(d) === 'frame')
    .flatMap((d) => {
      const channel = o.channels.browser(d.channel);
      const url = channel?.url(d, o.issuer);
      // a channel Adieu's server confirms answers in the frame from Adieu's own origin
      const byServer = channel?.confirmedBy === 'server';
      if (!url) return [];
      // it may go from Adieu's page to the application's (a POST form: allow-forms), or back: both are framed
      const target = URL.parse(d.target ?? '')?.origin;
      const reached = byServer ? [url.origin, self, ...(target ? [target] : [])] : [url.origin];
      return reached.every(isSafeOrigin) ? [{ id: d.id, url: url.href, origins: reached, confirm_origin: byServer ? self : url.origin, require_confirmation: byServer }] : [];
    });
  const origins = [...new Set(frames.flatMap((f) => f.origins).map((o) => (o === self ? "'self'" : o)))];
  const continueUrl = `/logout/${logout.id}/continue?token=${logout.page_token}`;
  const data = {
    id: logout.id,
    token: logout.page_token,
    timeoutMs: o.timeout_ms,
    continueUrl,
    hasReturn: o.hasReturn,
    frames: frames.map(({ id, url, confirm_origin, require_confirmation }) => ({ id, url, confirm_origin, require_confirmation })),
    windows,
    deliveries: logout.deliveries.map(deliveryView),
  };
  const csp = [
    "default-src 'none'", "style-src 'unsafe-inline'", "script-src 'self'", "connect-src 'self'",
    `frame-src ${origins.length ? origins.join(' ') : "'none'"}`, "frame-ancestors 'none'", "base-uri 'none'",
  ].join('; ');
  const body = html`
    <h1 id="title">Signing you out…</h1>
    <p id="summary" role="status" aria-live="polite">Signing you out of ${logout.deliveries.length} application${logout.deliveries.length === 1 ? '' : 's'}.</p>
    <ul class="apps" id="apps">${logout.deliveries.map((d) => {
      const v = deliveryView(d);
      return html`<li class="${v.tone}" data-id="${d.id}"><span class="dot" aria-hidden="true"></span><span><span class="name">${v.client_name}</span> <span class="chan">(${o.channels.label(d.channel)})</span><br><span class="state">${v.status_text}</span></span></li>`;
    })}</ul>
    <p id="advice" class="muted" hidden></p>
    <button type="button" id="open-window" hidden>Sign out of the remaining applications (opens a window)</button>
    <a class="button" id="continue" href="${continueUrl}">Continue</a>
    <div class="frames" aria-hidden="true">${frames.map((f) => frame(f))}</div>
    <script type="application/json" id="adieu-logout-data">${new SafeHtml(JSON.stringify(data).replace(/</g, '\\u003c'))}</script>
    <script src="/assets/logout-page.js"></script>
    <noscript><p class="muted">Without JavaScript the applications' answers cannot be confirmed; press Continue when ready.</p>
      <div class="frames" aria-hidden="true">${frames.map((f) => frame(f, f.url))}</div></noscript>`;
  return { document: page('Signing out', body).replace('</style>', `${PAGE_STYLE_EXTRA}</style>`), csp };
}
