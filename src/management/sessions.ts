import type Router from '@koa/router';
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import type { Principal } from './access.ts';
import { parseQuery } from './validation.ts';
import type { SessionEnder } from '../sessions/end-session.ts';
import { UNREACHED, type LogoutPropagation } from '../logout/propagation.ts';
import type { Delivery, SsoSessionRecord, Storage } from '../storage/types.ts';
import { epochSeconds, isoFromSeconds } from '../time.ts';

/** The sessions as the API shows them; the clients read are only theirs (a tenant may have thousands). */
async function views(storage: Storage, sessions: SsoSessionRecord[]) {
  const clients = await storage.getClients(sessions.flatMap((s) => s.clients.map((c) => c.client_id)));
  return sessions.map((s) => view(s, (id) => clients.get(id)?.metadata.client_name));
}

function view(s: SsoSessionRecord, nameOf: (clientId: string) => string | undefined) {
  return {
    id: s.uid,
    user_id: s.account_id,
    username: s.username,
    connection: s.connection,
    clients: s.clients.map((c) => ({ ...c, first_at: isoFromSeconds(c.first_at), last_at: isoFromSeconds(c.last_at), client_name: nameOf(c.client_id) ?? null })),
    last_used_client_id: s.last_used_client_id,
    federated: !!s.upstream,
    created_at: isoFromSeconds(s.created_at),
    updated_at: isoFromSeconds(s.updated_at),
    expires_at: isoFromSeconds(s.expires_at),
  };
}

export function sessionRoutes(router: Router, storage: Storage, ender: SessionEnder) {
  router.get('/users/:id/sessions', async (ctx) => {
    if (!(await storage.getUser(ctx.params.id!))) throw new Problem(404, 'Not found', `user ${ctx.params.id} does not exist`);
    const sessions = await storage.listSsoSessions(ctx.params.id!, epochSeconds());
    ctx.body = { sessions: await views(storage, sessions) };
  });

  // "Sign out everywhere"
  router.delete('user.sign_out_everywhere', '/users/:id/sessions', async (ctx) => {
    if (!(await storage.getUser(ctx.params.id!))) throw new Problem(404, 'Not found', `user ${ctx.params.id} does not exist`);
    const ended = await ender.endAllFor(ctx.params.id!, 'admin_all', { actor: (ctx.state.principal as Principal).actor });
    ctx.body = { ended: ended.map((e) => ({ id: e.uid, clients: e.clients, revoked_grants: e.revokedGrantIds.length, logout_id: e.logout?.record.id ?? null })) };
  });

  router.get('/sessions/:uid', async (ctx) => {
    const s = await storage.getSsoSession(ctx.params.uid!);
    if (!s || s.expires_at <= epochSeconds()) throw new Problem(404, 'Not found', `session ${ctx.params.uid} does not exist or has ended`);
    ctx.body = (await views(storage, [s]))[0];
  });

  router.delete('session.end', '/sessions/:uid', async (ctx) => {
    const ended = await ender.end(ctx.params.uid!, 'admin', { actor: (ctx.state.principal as Principal).actor });
    if (!ended) throw new Problem(404, 'Not found', `session ${ctx.params.uid} does not exist or has ended`);
    ctx.status = 204;
  });
}

/** A planned delivery as a preview shows it: which application, by which channel, reached or why not. */
function plannedView(d: Delivery) {
  const reached = !UNREACHED.has(d.status);
  return { client_id: d.client_id, client_name: d.client_name, channel: d.channel, target: d.target, reached, reason: reached ? null : d.last_error };
}

/**
 * What ending a session (or every session of a user) would reach, before doing it: the plan the
 * ending itself would make, not written. An admin's ending has no browser, so `browser=true`
 * shows what the person's own sign-out would reach instead.
 */
export function sessionPreviewRoutes(router: Router, storage: Storage, propagation: LogoutPropagation) {
  // an admin's ending, or (browser=true) the person's own sign-out
  async function preview(sessions: SsoSessionRecord[], trigger: 'admin' | 'admin_all', browser: boolean) {
    const stored = await storage.getClients(sessions.flatMap((s) => s.clients.map((c) => c.client_id)));
    const clients = new Map([...stored].map(([id, c]) => [id, c.metadata]));
    return sessions.map((s) => {
      const deliveries = propagation.preview(s, clients, browser ? 'user_logout' : trigger).map(plannedView);
      return { session_id: s.uid, deliveries, unreached: deliveries.filter((d) => !d.reached).length };
    });
  }
  const browserQuery = (q: Record<string, unknown>) => parseQuery({ browser: z.enum(['true', 'false'], 'must be true or false').default('false') }, q).browser === 'true';

  router.get('/sessions/:uid/logout-preview', async (ctx) => {
    const s = await storage.getSsoSession(ctx.params.uid!);
    if (!s || s.expires_at <= epochSeconds()) throw new Problem(404, 'Not found', `session ${ctx.params.uid} does not exist or has ended`);
    ctx.body = (await preview([s], 'admin', browserQuery(ctx.query)))[0];
  });

  router.get('/users/:id/logout-preview', async (ctx) => {
    if (!(await storage.getUser(ctx.params.id!))) throw new Problem(404, 'Not found', `user ${ctx.params.id} does not exist`);
    const sessions = await preview(await storage.listSsoSessions(ctx.params.id!, epochSeconds()), 'admin_all', browserQuery(ctx.query));
    ctx.body = { sessions, applications: sessions.reduce((n, s) => n + s.deliveries.length, 0), unreached: sessions.reduce((n, s) => n + s.unreached, 0) };
  });
}
