// A minimal browser stand-in for HTTP-level tests: a cookie jar keyed by host name (browsers do
// not separate cookies by port), manual redirects, and helpers to submit server-rendered forms.

interface StoredCookie { value: string; path: string; expires?: number }

export interface FollowResult {
  response: Response;
  url: string;
  body: string;
  /** Every URL visited, in order. */
  chain: string[];
}

export class UserAgent {
  readonly jar = new Map<string, Map<string, StoredCookie>>();

  constructor(readonly extraHeaders: Record<string, string> = {}) {}

  cookie(url: string, name: string): string | undefined {
    const c = this.jar.get(new URL(url).hostname)?.get(name);
    return c && (!c.expires || c.expires > Date.now()) ? c.value : undefined;
  }

  private cookieHeader(url: URL): string {
    const cookies = this.jar.get(url.hostname);
    if (!cookies) return '';
    const now = Date.now();
    return [...cookies.entries()]
      .filter(([, c]) => (!c.expires || c.expires > now) && url.pathname.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  private store(url: URL, response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const cookie: StoredCookie = { value, path: '/' };
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k!.toLowerCase();
        if (key === 'path') cookie.path = v;
        if (key === 'expires') cookie.expires = Date.parse(v);
        if (key === 'max-age') cookie.expires = Date.now() + Number(v) * 1000;
      }
      const hostCookies = this.jar.get(url.hostname) ?? new Map();
      this.jar.set(url.hostname, hostCookies);
      if (!value || (cookie.expires !== undefined && cookie.expires <= Date.now())) hostCookies.delete(name);
      else hostCookies.set(name, cookie);
    }
  }

  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.extraHeaders)) headers.set(k, v);
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers, redirect: 'manual' });
    } catch (err) {
      // like a browser, retry a request that hit a keep-alive socket the server had closed
      if ((err as any)?.cause?.code !== 'UND_ERR_SOCKET' || (init.method ?? 'GET') !== 'GET') throw err;
      response = await fetch(url, { ...init, headers, redirect: 'manual' });
    }
    this.store(url, response);
    return response;
  }

  /** Follows redirects like a browser; stops before requesting a URL that stopAt accepts. */
  async follow(input: string | URL, init: RequestInit = {}, stopAt?: (url: URL) => boolean): Promise<FollowResult> {
    let url = new URL(input);
    const chain = [url.href];
    let response = await this.fetch(url, init);
    for (let i = 0; i < 20 && response.status >= 300 && response.status < 400; i++) {
      await response.arrayBuffer();
      url = new URL(response.headers.get('location')!, url);
      chain.push(url.href);
      if (stopAt?.(url)) return { response, url: url.href, body: '', chain };
      response = await this.fetch(url);
    }
    return { response, url: url.href, body: await response.text(), chain };
  }

  /** Submits the first form on a page whose action matches, with extra field values. */
  async submitForm(page: FollowResult, fields: Record<string, string>, actionPattern?: RegExp, stopAt?: (url: URL) => boolean): Promise<FollowResult> {
    const forms = [...page.body.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => !actionPattern || actionPattern.test(decodeEntities(f[1]!)));
    if (!form) throw new Error(`no form${actionPattern ? ` matching ${actionPattern}` : ''} on ${page.url}:\n${page.body.slice(0, 500)}`);
    const body = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) body.set(name, decodeEntities(value));
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const action = new URL(decodeEntities(form[1]!), page.url);
    return this.follow(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: action.origin },
      body,
    }, stopAt);
  }
}

function decodeEntities(s: string) {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
