import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../src/config/load.ts';
import { startAdieu, type AdieuServer } from '../src/server.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const PASSWORD = 'correct-horse-battery';
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

export interface ApiInit extends RequestInit {
  /** A body sent as JSON. */
  json?: unknown;
  /** The bearer token; the test admin token unless given ('' sends none). */
  token?: string;
}

/** A management API request, as the Response (for tests about statuses and headers). */
export function apiFetch(issuer: string, path: string, init: ApiInit = {}): Promise<Response> {
  const { token = ADMIN_TOKEN, json, ...rest } = init;
  return fetch(`${issuer}/api/v1${path}`, {
    ...rest,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...rest.headers as Record<string, string>,
    },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
}

/** A management API call: the status and the parsed body (none for 204). */
export async function api(issuer: string, path: string, init: ApiInit = {}): Promise<{ status: number; body: any }> {
  const res = await apiFetch(issuer, path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Prometheus text from the public /metrics, with the test config's metrics token. */
export async function scrapeMetrics(issuer: string): Promise<string> {
  const res = await fetch(`${issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** A port that was free a moment ago (the issuer URL must be known before listening). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TestIdp {
  adieu: AdieuServer;
  issuer: string;
  port: number;
  raw: Record<string, any>;
  restart(): Promise<TestIdp>;
  close(): Promise<void>;
}

/** A client registration for tests; its redirect URI is never served, only parsed. */
export function testClient(id: string, extra: Record<string, unknown> = {}) {
  return {
    client_id: id,
    client_name: `App ${id}`,
    client_secret: `${id}-secret-0123456789`,
    redirect_uris: [`http://localhost:9/${id}/callback`],
    post_logout_redirect_uris: [`http://localhost:9/${id}/signed-out`],
    web_origins: [`http://${id}.localhost:9`],
    allowed_logout_urls: [`http://localhost:9/${id}/bye`],
    ...extra,
  };
}

/**
 * Starts a real Adieu on a free port with SQLite in a temp dir (or the given storage).
 * `raw` is the config as a user would write it; restart() keeps the same storage and port.
 */
export async function startIdp(raw: Record<string, any> = {}, options: { host?: string } = {}): Promise<TestIdp> {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-test-'));
  const port = raw.port ?? await freePort();
  const host = options.host ?? 'localhost';
  const full = {
    issuer: `http://${host}:${port}`,
    port,
    host: '127.0.0.1',
    storage: { kind: 'sqlite', path: join(dir, 'adieu.db') },
    secrets: { admin_token: ADMIN_TOKEN, metrics_token: METRICS_TOKEN },
    clients: [testClient('app1'), testClient('app2'), testClient('app3')],
    users: [{ username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', name: 'Mary', password: PASSWORD }],
    tenant: { allowed_logout_urls: ['http://localhost:9/tenant/bye'] },
    log_level: 'silent',
    ...raw,
  };
  const start = async (): Promise<TestIdp> => {
    const adieu = await startAdieu(parseConfig(full, {}), { logger: pino({ level: 'silent' }) });
    return {
      adieu,
      issuer: full.issuer,
      port,
      raw: full,
      async restart() {
        await adieu.close();
        return start();
      },
      async close() {
        await adieu.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return start();
}

/**
 * An upstream Adieu (FabrikamAD, cookie prefix `fabrikam`) whose client `adieu` is the IdP about to
 * start on `port`, with a redirect URI per connection name; `connection(name)` is the downstream
 * config entry for it.
 */
export async function startUpstream(port: number, names: string[], raw: Record<string, any> = {}) {
  const issuer = `http://localhost:${port}`;
  const client_secret = 'adieu-upstream-secret-0123';
  const upstream = await startIdp({
    cookie_prefix: 'fabrikam',
    tenant: { name: 'FabrikamAD', allowed_logout_urls: [] },
    clients: [{
      client_id: 'adieu',
      client_secret,
      redirect_uris: names.map((n) => `${issuer}/login/callback/${n}`),
      post_logout_redirect_uris: [`${issuer}/v2/logout/federated/callback`],
    }],
    ...raw,
  });
  const connection = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'oidc', name, issuer: upstream.issuer, client_id: 'adieu', client_secret, ...extra });
  return { upstream, connection };
}
