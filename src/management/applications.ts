import type Router from '@koa/router';
import { isMachineClient, type ClientMetadata } from '../clients/metadata.ts';
import { CONSOLE_CLIENT_ID } from '../console/client.ts';
import { Problem } from '../http/problem.ts';
import type { LogoutPropagation } from '../logout/propagation.ts';
import { BackgroundValue } from '../storage/short-cache.ts';
import type { Storage, StoredClient } from '../storage/types.ts';
import { isoFromMs } from '../time.ts';
import { clientHealth, type ClientHealth } from './figures.ts';

const DAY_MS = 24 * 3600 * 1000;

function kind(m: ClientMetadata): 'saml' | 'machine' | 'console' | 'oidc' {
  if (m.saml) return 'saml';
  // no logout channel of its own: its tokens are revoked with the session (console/client.ts)
  if (m.client_id === CONSOLE_CLIENT_ID) return 'console';
  return isMachineClient(m) ? 'machine' : 'oidc';
}

/** The URLs Adieu itself sends logouts to (their circuit breakers): back-channel and SAML SOAP. */
function serverTargets(m: ClientMetadata): string[] {
  return [m.backchannel_logout_uri, ...(m.saml?.single_logout_services ?? []).filter((s) => s.binding === 'SOAP').map((s) => s.location)]
    .filter((t): t is string => !!t);
}

function healthView(h: ClientHealth | undefined) {
  if (!h) return { final: 0, ok: 0, success_rate: null, p50_ms: null, p99_ms: null, last_failure: null };
  return { ...h, last_failure: h.last_failure && { ...h.last_failure, completed_at: isoFromMs(h.last_failure.completed_at) } };
}

/**
 * Applications as the admin looks after their sign-out: GET /applications (every client with its
 * coverage matrix, logout health over 24 h and circuit state), GET /clients/:id/logout-health (one,
 * read now), POST /clients/:id/probe (a test logout now).
 */
export function applicationRoutes(router: Router, storage: Storage, propagation: LogoutPropagation) {
  const view = (c: StoredClient, h: ClientHealth | undefined) => ({
    client_id: c.client_id,
    client_name: c.metadata.client_name ?? null,
    kind: kind(c.metadata),
    coverage: propagation.coverage(c.metadata),
    health: healthView(h),
    circuits: serverTargets(c.metadata).map((target) => ({ target, state: propagation.circuit(target) })),
  });
  // the day's deliveries of every application, recomputed in the background every few seconds
  // however many admins look (a page never waits for it but the first time)
  const recent = new BackgroundValue(5_000, async () => clientHealth(await storage.listFinalDeliveries(Date.now() - DAY_MS)));

  router.get('/applications', async (ctx) => {
    const [clients, health] = await Promise.all([storage.listClients(), recent.get()]);
    ctx.body = { window: { hours: 24 }, applications: clients.map((c) => view(c, health.get(c.client_id))) };
  });

  async function load(id: string) {
    const c = await storage.getClient(id);
    if (!c) throw new Problem(404, 'Not found', `client ${id} does not exist`);
    return c;
  }

  router.get('/clients/:id/logout-health', async (ctx) => {
    const c = await load(ctx.params.id!);
    const rows = await storage.listFinalDeliveries(Date.now() - DAY_MS, [c.client_id]);
    ctx.body = { window: { hours: 24 }, ...view(c, clientHealth(rows).get(c.client_id)) };
  });

  router.post('client.probe', '/clients/:id/probe', async (ctx) => {
    const c = await load(ctx.params.id!);
    const results = await propagation.probe(c.metadata);
    ctx.state.auditDetail = { results: results.map((r) => ({ channel: r.channel, ok: r.ok, sent: r.sent })) };
    ctx.body = { client_id: c.client_id, probed_at: new Date().toISOString(), results };
  });
}
