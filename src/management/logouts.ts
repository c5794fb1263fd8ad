import type Router from '@koa/router';
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import { deliveryView } from '../logout/delivery-view.ts';
import type { Delivery, LogoutRecord, LogoutStatus, Storage } from '../storage/types.ts';
import { isoFromMs as iso } from '../time.ts';
import { paginationQuery, parseQuery } from './validation.ts';

const STATUSES = ['in_progress', 'completed', 'completed_with_failures'] as const satisfies readonly LogoutStatus[];

function recordView(l: LogoutRecord) {
  return {
    id: l.id, trigger: l.trigger, user_id: l.account_id, username: l.username, session_id: l.session_uid,
    status: l.status, created_at: iso(l.created_at), completed_at: iso(l.completed_at),
  };
}

function deliveryDetail(d: Delivery) {
  const view = deliveryView(d);
  return {
    ...view, last_error: d.last_error, target: d.target, sid: d.sid, latency_ms: d.latency_ms,
    next_attempt_at: view.final ? null : iso(d.next_attempt_at), deadline_at: iso(d.deadline_at),
    created_at: iso(d.created_at), completed_at: iso(d.completed_at),
  };
}

/** Logout records and their deliveries: GET /logouts?user_id=&status=, GET /logouts/:id */
export function logoutRoutes(router: Router, storage: Storage) {
  router.get('/logouts', async (ctx) => {
    const { limit, offset, status, user_id } = parseQuery({
      ...paginationQuery,
      status: z.enum(STATUSES, `must be one of ${STATUSES.join(', ')}`).optional(),
      user_id: z.string().min(1).max(256).optional(),
    }, ctx.query);
    const logouts = await storage.listLogouts({ account_id: user_id, status, limit, offset });
    ctx.body = { logouts: logouts.map(recordView), limit, offset };
  });

  router.get('/logouts/:id', async (ctx) => {
    const logout = await storage.getLogout(ctx.params.id!);
    if (!logout) throw new Problem(404, 'Not found', `logout ${ctx.params.id} does not exist`);
    const deliveries = logout.deliveries.map(deliveryDetail);
    ctx.body = {
      ...recordView(logout),
      summary: {
        applications: new Set(logout.deliveries.map((d) => d.client_id)).size,
        signed_out: deliveries.filter((d) => d.tone === 'ok').length,
        failed: deliveries.filter((d) => d.tone === 'bad').length,
        in_progress: deliveries.filter((d) => d.tone === 'wait').length,
      },
      deliveries,
    };
  });
}
