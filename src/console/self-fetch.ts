import type { RequestListener } from 'node:http';
import inject from 'light-my-request';

/**
 * A fetch that hands requests to Adieu's own request handler in-process (light-my-request's fake
 * request and response), for the console's OIDC client: its token requests reach Adieu's token
 * endpoint as any client's would, without a network hop, whatever proxy, TLS or DNS sits in front.
 * The listener is known once the server is built; `bind` sets it.
 */
export class SelfFetch {
  #listener: RequestListener | undefined;

  bind(listener: RequestListener) {
    this.#listener = listener;
  }

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (!this.#listener) throw new Error('SelfFetch used before the server was built');
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = Object.fromEntries(new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined)));
    const body = init.body == null ? undefined : typeof init.body === 'string' ? init.body
      : init.body instanceof URLSearchParams ? init.body.toString() : init.body instanceof Uint8Array ? Buffer.from(init.body) : undefined;
    if (init.body != null && body === undefined) throw new Error('SelfFetch sends string, form and byte bodies only');
    const res = await inject(this.#listener, {
      method: (init.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(body !== undefined ? { payload: body } : {}),
      remoteAddress: '127.0.0.1',
    });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      for (const value of Array.isArray(v) ? v : [String(v)]) out.append(k, value);
    }
    return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: out });
  };
}
