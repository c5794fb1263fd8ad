import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export type Behaviour =
  | { kind: 'healthy' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'sequence'; statuses: number[] } // then 200
  | { kind: 'hold' } // never answers until release()
  | { kind: 'drip'; intervalMs: number } // 200 headers, then one byte every intervalMs, never ending
  | { kind: 'error'; status: number; body: string }; // always answers this

export interface Received {
  claims: JWTPayload;
  at: number;
  status: number;
  /** The response was written while the IdP was still connected. */
  acknowledged: boolean;
}

/**
 * Real HTTP relying parties receiving back-channel logout: one server, one path per client id
 * (`/bcl/<client_id>`). Every token is validated as Back-Channel Logout 1.0 §2.6 asks an RP to;
 * an invalid one is answered 400 and kept in `invalid`.
 */
export class LogoutReceiver {
  readonly received = new Map<string, Received[]>();
  readonly invalid: { client: string; error: string }[] = [];
  readonly behaviours = new Map<string, Behaviour>();
  readonly seenJti = new Set<string>();
  #held: (() => void)[] = [];
  /** Held requests whose connection the IdP has closed (it died or gave up). */
  heldAbandoned = 0;
  #server: Server | undefined;
  #jwks: ReturnType<typeof createRemoteJWKSet>;
  port = 0;

  constructor(readonly issuer: string) {
    this.#jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  }

  url(clientId: string) {
    return `http://127.0.0.1:${this.port}/bcl/${clientId}`;
  }

  async start(port = 0) {
    this.#server = createServer((req, res) => { this.#handle(req, res).catch(() => res.destroy()); });
    this.#server.keepAliveTimeout = 60_000;
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async stop() {
    for (const release of this.#held) release();
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }

  release() {
    const held = this.#held;
    this.#held = [];
    for (const r of held) r();
  }

  count(clientId: string) {
    return this.received.get(clientId)?.length ?? 0;
  }

  acknowledged(clientId: string) {
    return (this.received.get(clientId) ?? []).filter((r) => r.acknowledged && r.status === 200).length;
  }

  async #validate(token: string, clientId: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(token, this.#jwks, {
      issuer: this.issuer, audience: clientId, typ: 'logout+jwt', maxTokenAge: '2 minutes', requiredClaims: ['iat', 'exp', 'jti', 'events'],
    });
    if (!protectedHeader.alg || protectedHeader.alg === 'none') throw new Error('unsigned');
    if (!payload.sub && !payload.sid) throw new Error('neither sub nor sid');
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events !== 'object' || typeof events['http://schemas.openid.net/event/backchannel-logout'] !== 'object') throw new Error('no backchannel-logout event');
    if ('nonce' in payload) throw new Error('nonce present');
    if (this.seenJti.has(payload.jti!)) throw new Error('jti replayed');
    this.seenJti.add(payload.jti!);
    return payload;
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const clientId = /^\/bcl\/([^/?]+)/.exec(req.url ?? '')?.[1];
    let body = '';
    for await (const chunk of req) body += chunk;
    if (!clientId || req.method !== 'POST' || !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      res.writeHead(404).end();
      return;
    }
    const token = new URLSearchParams(body).get('logout_token') ?? '';
    let claims: JWTPayload;
    try {
      claims = await this.#validate(token, clientId);
    } catch (err) {
      this.invalid.push({ client: clientId, error: (err as Error).message });
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: (err as Error).message }));
      return;
    }
    const list = this.received.get(clientId) ?? [];
    this.received.set(clientId, list);
    const entry: Received = { claims, at: Date.now(), status: 0, acknowledged: false };
    list.push(entry);
    const behaviour = this.behaviours.get(clientId) ?? { kind: 'healthy' };
    let status = 200;
    if (behaviour.kind === 'slow') await new Promise((r) => setTimeout(r, behaviour.delayMs));
    if (behaviour.kind === 'hold') {
      req.socket.once('close', () => { this.heldAbandoned++; });
      await new Promise<void>((r) => this.#held.push(r));
    }
    if (behaviour.kind === 'drip') {
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), behaviour.intervalMs);
      req.socket.once('close', () => clearInterval(timer));
      return;
    }
    if (behaviour.kind === 'error') {
      entry.status = behaviour.status;
      res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end(behaviour.body);
      return;
    }
    if (behaviour.kind === 'sequence') status = behaviour.statuses.shift() ?? 200;
    entry.status = status;
    if (req.socket.destroyed) return; // the IdP gave up (timeout) or died: not acknowledged
    res.writeHead(status, { 'cache-control': 'no-store' }).end(status === 200 ? '' : 'try later');
    entry.acknowledged = !req.socket.destroyed;
  }
}
