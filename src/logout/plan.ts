import { randomBytes, randomUUID } from 'node:crypto';
import type { ClientMetadata } from '../clients/metadata.ts';
import type { Delivery, EndedSessionData, LogoutPlan, SessionClient } from '../storage/types.ts';
import { INITIATOR, NO_CHANNEL, type LogoutChannel } from './channels/index.ts';

export interface PlanOptions {
  logoutId: string;
  trigger: string;
  uid: string;
  /** A browser will show the logout page (front-channel and legacy GET can run there). */
  browser: boolean;
  returnTo: string | null;
  now: number;
  /** The channels, in the order an application's deliveries are listed. */
  channels: readonly LogoutChannel[];
  /** How long deliveries Adieu sends itself are retried. */
  serverDeadlineMs: number;
  /** How long the logout page may take to report before its deliveries time out. */
  browserDeadlineMs: number;
  checkHost: (target: string) => string | undefined;
  /** The application that asked for this logout (SAML SP-initiated): already signed out, it gets no delivery of its own. */
  initiator?: string;
  /** Who caused it (LogoutRecord.actor). */
  actor?: string;
}


export const newLogoutId = () => randomUUID();

/**
 * Turns an ended session into one delivery per application and channel. Runs inside the
 * transaction that ends the session, so it is pure: everything it needs is passed in.
 */
export function planLogout(ended: EndedSessionData, o: PlanOptions): LogoutPlan {
  const record = ended.record;
  const authorizations = (ended.session?.authorizations ?? {}) as Record<string, { sid?: string }>;
  const accountId = record?.account_id ?? (ended.session?.accountId as string | undefined) ?? null;
  // sign-in order from the record; sessions without one fall back to oidc-provider's list
  const apps: SessionClient[] = record?.clients
    ?? Object.entries(authorizations).map(([client_id, a]) => ({ client_id, sid: a.sid ?? null, first_at: 0, last_at: 0 }));

  const deliveries: Delivery[] = [];
  const add = (app: SessionClient, metadata: ClientMetadata | undefined, channel: Delivery['channel'], fields: Partial<Delivery>) => {
    deliveries.push({
      id: randomUUID(),
      logout_id: o.logoutId,
      position: deliveries.length,
      client_id: app.client_id,
      client_name: metadata?.client_name ?? null,
      channel,
      target: null,
      sid: app.sid,
      sub: accountId,
      include_sid: false,
      channel_params: null,
      status: 'pending',
      attempts: 0,
      last_error: null,
      latency_ms: null,
      next_attempt_at: o.now,
      deadline_at: o.now,
      created_at: o.now,
      updated_at: o.now,
      completed_at: null,
      ...fields,
    });
  };

  for (const app of apps) {
    const m = ended.clientMetadata.get(app.client_id);
    if (app.client_id === o.initiator) {
      add(app, m, INITIATOR.name, { status: 'confirmed', completed_at: o.now, latency_ms: 0, attempts: 1 });
      continue;
    }
    let reached = false;
    for (const channel of o.channels) {
      if (channel.fallback && reached) continue;
      const where = m && channel.target(m, app);
      if (!where) continue;
      reached = true;
      if (channel.kind === 'server') {
        // a server-side request goes only where the host policy allows (checked again per attempt)
        const refused = o.checkHost(where.target);
        add(app, m, channel.name, {
          ...where,
          deadline_at: o.now + o.serverDeadlineMs,
          ...(refused ? { status: 'rejected', last_error: refused, completed_at: o.now } : {}),
        });
      } else {
        add(app, m, channel.name, {
          ...where,
          deadline_at: o.now + o.browserDeadlineMs,
          ...(o.browser
            ? { status: 'awaiting_browser' }
            : { status: 'skipped', last_error: `no browser to load its ${channel.label} (${o.trigger}); the application may still be signed in`, completed_at: o.now }),
        });
      }
    }
    if (!reached) {
      add(app, m, NO_CHANNEL.name, {
        status: 'no_channel',
        last_error: m ? 'the application registered no logout URL; it may still be signed in' : 'the application no longer exists',
        completed_at: o.now,
      });
    }
  }

  return {
    record: {
      id: o.logoutId,
      trigger: o.trigger,
      account_id: accountId,
      username: record?.username ?? null,
      session_uid: o.uid,
      status: 'in_progress',
      return_to: o.returnTo,
      page_token: randomBytes(24).toString('base64url'),
      actor: o.actor ?? null,
      created_at: o.now,
      completed_at: null,
    },
    deliveries,
  };
}
