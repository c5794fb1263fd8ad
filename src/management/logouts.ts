import type Router from '@koa/router';
import { z } from 'zod';
import { Problem } from '../http/problem.ts';
import { deliveryView } from '../logout/delivery-view.ts';
import type { LogoutPropagation } from '../logout/propagation.ts';
import type { Delivery, DeliveryEvent, LogoutRecord, LogoutStatus, Storage } from '../storage/types.ts';
import type { Principal } from './access.ts';
import { isoFromMs as iso } from '../time.ts';
import { paginationQuery, parseQuery } from './validation.ts';

const STATUSES = ['in_progress', 'completed', 'completed_with_failures'] as const satisfies readonly LogoutStatus[];

function recordView(l: LogoutRecord) {
  return {
    id: l.id, trigger: l.trigger, actor: l.actor, user_id: l.account_id, username: l.username, session_id: l.session_uid,
    status: l.status, created_at: iso(l.created_at), completed_at: iso(l.completed_at),
  };
}

/** A `next_before` cursor: `<epoch ms>.<id>` of the last record of a page (keyset paging). */
export const beforeCursor = z.string().regex(/^\d{1,15}\.[A-Za-z0-9-]{1,64}$/, 'must be the next_before of the previous page');

export function cursorOf(value: string): { at: number; id: string } {
  const dot = value.indexOf('.');
  return { at: Number(value.slice(0, dot)), id: value.slice(dot + 1) };
}

/** `probeAt`: while the target's circuit is open, when its probe may go — nothing goes before, whatever the row's own next attempt says. */
export function deliveryDetail(d: Delivery, events: DeliveryEvent[] = [], probeAt?: number) {
  const view = deliveryView(d);
  return {
    ...view, last_error: d.last_error, target: d.target, sid: d.sid, latency_ms: d.latency_ms,
    next_attempt_at: view.final ? null : iso(Math.min(d.deadline_at, Math.max(d.next_attempt_at, probeAt ?? 0))), deadline_at: iso(d.deadline_at),
    created_at: iso(d.created_at), completed_at: iso(d.completed_at),
    // its history: each attempt's result, and admins' retries and cancellations
    events: events.map((e) => ({ at: iso(e.at), event: e.event, status: e.status, detail: e.detail })),
  };
}

/**
 * Logout records and their deliveries: GET /logouts?user_id=&status=&session_id=, GET /logouts/:id,
 * and for one delivery POST .../retry and .../cancel.
 */
export function logoutRoutes(router: Router, storage: Storage, propagation: LogoutPropagation) {
  router.get('/logouts', async (ctx) => {
    const { limit, offset, status, user_id, session_id, before } = parseQuery({
      ...paginationQuery,
      /** The next_before of the previous page: pages on the index, however deep. */
      before: beforeCursor.optional(),
      status: z.enum(STATUSES, `must be one of ${STATUSES.join(', ')}`).optional(),
      user_id: z.string().min(1).max(256).optional(),
      session_id: z.string().min(1).max(256).optional(),
    }, ctx.query);
    const logouts = session_id
      ? (await storage.listLogoutsOfSession(session_id)).filter((l) => (!user_id || l.account_id === user_id) && (!status || l.status === status)).slice(offset, offset + limit)
      : await storage.listLogouts({ account_id: user_id, status, limit, offset, before: before ? cursorOf(before) : undefined });
    const last = logouts.at(-1);
    ctx.body = { logouts: logouts.map(recordView), limit, offset, next_before: logouts.length === limit && last ? `${last.created_at}.${last.id}` : null };
  });

  async function deliveryOf(logoutId: string, deliveryId: string) {
    const d = await storage.getDelivery(deliveryId);
    if (!d || d.logout_id !== logoutId) throw new Problem(404, 'Not found', `logout ${logoutId} has no delivery ${deliveryId}`);
    return d;
  }

  // A failed delivery Adieu sends itself (back-channel, SOAP) is sent again now, with a new
  // deadline; a retrying one skips its wait. Browser deliveries cannot be: no browser is there.
  router.post('delivery.retry', '/logouts/:id/deliveries/:delivery_id/retry', async (ctx) => {
    const d = await deliveryOf(ctx.params.id!, ctx.params.delivery_id!);
    const retried = await propagation.retry(d.id, (ctx.state.principal as Principal).actor);
    if (!retried) {
      throw new Problem(409, 'Conflict', `delivery ${d.id} is ${d.status}: only a failed, refused or retrying delivery Adieu sends itself can be retried`);
    }
    ctx.state.auditDetail = { client_id: d.client_id, channel: d.channel, was: d.status };
    ctx.status = 202;
    ctx.body = deliveryDetail(retried);
  });

  router.post('delivery.cancel', '/logouts/:id/deliveries/:delivery_id/cancel', async (ctx) => {
    const d = await deliveryOf(ctx.params.id!, ctx.params.delivery_id!);
    const principal = ctx.state.principal as Principal;
    const cancelled = await propagation.cancel(d.id, `cancelled by ${principal.actor}`);
    if (!cancelled) throw new Problem(409, 'Conflict', `delivery ${d.id} is ${d.status}: only one not yet final can be cancelled`);
    ctx.state.auditDetail = { client_id: d.client_id, channel: d.channel, was: d.status };
    ctx.body = deliveryDetail(cancelled);
  });

  router.get('/logouts/:id', async (ctx) => {
    const logout = await storage.getLogout(ctx.params.id!);
    if (!logout) throw new Problem(404, 'Not found', `logout ${ctx.params.id} does not exist`);
    const events = new Map<string, DeliveryEvent[]>();
    for (const e of await storage.listDeliveryEvents(logout.id)) events.set(e.delivery_id, [...(events.get(e.delivery_id) ?? []), e]);
    const deliveries = logout.deliveries.map((d) => deliveryDetail(d, events.get(d.id), d.target ? propagation.worker.probeAt(d.target) : undefined));
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
