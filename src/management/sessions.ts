import type Router from '@koa/router';
import { Problem } from '../http/problem.ts';
import type { SessionEnder } from '../sessions/end-session.ts';
import type { SsoSessionRecord, Storage } from '../storage/types.ts';
import { epochSeconds, isoFromSeconds } from '../time.ts';

async function view(storage: Storage, s: SsoSessionRecord) {
  const names = new Map((await storage.listClients()).map((c) => [c.client_id, c.metadata.client_name]));
  return {
    id: s.uid,
    user_id: s.account_id,
    username: s.username,
    connection: s.connection,
    clients: s.clients.map((c) => ({ ...c, first_at: isoFromSeconds(c.first_at), last_at: isoFromSeconds(c.last_at), client_name: names.get(c.client_id) ?? null })),
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
    ctx.body = { sessions: await Promise.all(sessions.map((s) => view(storage, s))) };
  });

  // "Sign out everywhere"
  router.delete('/users/:id/sessions', async (ctx) => {
    if (!(await storage.getUser(ctx.params.id!))) throw new Problem(404, 'Not found', `user ${ctx.params.id} does not exist`);
    const ended = await ender.endAllFor(ctx.params.id!, 'admin_all');
    ctx.body = { ended: ended.map((e) => ({ id: e.uid, clients: e.clients, revoked_grants: e.revokedGrantIds.length })) };
  });

  router.get('/sessions/:uid', async (ctx) => {
    const s = await storage.getSsoSession(ctx.params.uid!);
    if (!s || s.expires_at <= epochSeconds()) throw new Problem(404, 'Not found', `session ${ctx.params.uid} does not exist or has ended`);
    ctx.body = await view(storage, s);
  });

  router.delete('/sessions/:uid', async (ctx) => {
    const ended = await ender.end(ctx.params.uid!, 'admin');
    if (!ended) throw new Problem(404, 'Not found', `session ${ctx.params.uid} does not exist or has ended`);
    ctx.status = 204;
  });
}
