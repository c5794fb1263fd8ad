// Server-rendered pages: tiny, accessible, no JavaScript required.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Tagged template that escapes every interpolation unless it is a SafeHtml. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const rendered = Array.isArray(v)
      ? v.map((x) => (x instanceof SafeHtml ? x.value : escapeHtml(x))).join('')
      : v instanceof SafeHtml ? v.value : v === false || v == null ? '' : escapeHtml(v);
    out += rendered + strings[i + 1];
  });
  return new SafeHtml(out);
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--muted:#5b6470;--accent:#2456d3;--danger:#b42318;--ok:#067647;--line:#d0d5dd}
@media (prefers-color-scheme:dark){:root{--fg:#e7eaee;--bg:#111418;--card:#1a1f25;--muted:#9aa4b2;--accent:#7aa2ff;--danger:#ff8a80;--ok:#6ce9a6;--line:#344054}}
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:28rem;margin:8vh auto;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:12px}
h1{font-size:1.4rem;margin:0 0 1rem}p{margin:.5rem 0}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=email],input[type=password]{width:100%;padding:.6rem .7rem;border:1px solid var(--line);border-radius:8px;background:transparent;color:inherit;font:inherit}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button,.button{display:inline-block;margin-top:1rem;width:100%;padding:.65rem;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
.secondary{background:transparent;color:var(--accent);border:1px solid var(--line)}
.error{color:var(--danger);border:1px solid var(--danger);border-radius:8px;padding:.5rem .75rem}
.muted{color:var(--muted);font-size:.9rem}.divider{text-align:center;color:var(--muted);margin:1rem 0 0}
code{font-family:ui-monospace,monospace;font-size:.9em}
`;

export function page(title: string, body: SafeHtml, lang = 'en'): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>${body.value}</main></body>
</html>`;
}

/** Content-Security-Policy for Adieu's own pages: no scripts, forms only to this origin. */
// No form-action: browsers apply it to the redirects after a post too, and a sign-in form's
// post ends at the application's redirect URI on another origin.
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/**
 * What a page may do beyond PAGE_CSP: run Adieu's own scripts (`scripts`), be framed by Adieu's
 * own pages (`framed`: the logout page's frames).
 */
export interface PageOptions { scripts?: boolean; framed?: boolean }

export function pageCsp(o: PageOptions = {}): string {
  const csp = o.framed ? PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'") : PAGE_CSP;
  return o.scripts ? `${csp}; script-src 'self'` : csp;
}

/** Sends a complete HTML document as one of Adieu's pages: strict CSP, never cached. */
export function sendHtml(ctx: { status: number; type: string; body: unknown; set(field: string, value: string): void }, status: number, document: string, options: PageOptions = {}) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', pageCsp(options));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = document;
}

export function sendPage(ctx: Parameters<typeof sendHtml>[0], status: number, title: string, body: SafeHtml, options: PageOptions = {}) {
  sendHtml(ctx, status, page(title, body), options);
}

/** The page that ends a logout when there is nowhere to return to. */
export function sendSignedOut(ctx: Parameters<typeof sendHtml>[0]) {
  sendPage(ctx, 200, 'Signed out', html`<h1>You are signed out</h1><p>You can close this window.</p>`);
}
