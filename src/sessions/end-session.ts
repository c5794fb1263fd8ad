import type { Logger } from 'pino';
import type { LogoutPropagation } from '../logout/propagation.ts';
import type { EndedSessionData, LogoutPlan, Storage } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';
import { fairLoop } from './fair-loop.ts';

/** Why a session ended. Every way a session ends is one of these, through endSession. */
export type EndTrigger =
  | 'user_logout' // /v2/logout
  | 'rp_logout' // RP-Initiated Logout end-session endpoint
  | 'account_switch' // another account signed in on the same browser
  | 'admin' // management API: end this session
  | 'admin_all' // management API: sign the user out everywhere
  | 'expired'
  | 'account_deleted'
  | 'password_changed'
  | 'saml_logout'; // a SAML SP's LogoutRequest

/**
 * Every way a session ends, what a person or admin calls it, and whether the person's browser
 * shows the logout page then (only then can channels the browser loads reach an application).
 */
export const ENDINGS: Record<EndTrigger, { label: string; browser: boolean }> = {
  user_logout: { label: 'the person signs out', browser: true },
  rp_logout: { label: 'an application signs them out (OIDC)', browser: true },
  saml_logout: { label: 'a SAML application signs them out', browser: true },
  account_switch: { label: 'another account signs in on the browser', browser: false },
  admin: { label: 'an admin ends the session', browser: false },
  admin_all: { label: 'an admin signs them out everywhere', browser: false },
  expired: { label: 'the session expires', browser: false },
  account_deleted: { label: 'the account is deleted', browser: false },
  password_changed: { label: 'the password changes', browser: false },
};

export interface EndedSession extends EndedSessionData {
  uid: string;
  accountId: string | undefined;
  trigger: EndTrigger;
  endedAt: number;
  /** Client ids signed in during the session, in sign-in order. */
  clients: string[];
  /** The logout record and its deliveries, written in the same transaction. */
  logout: LogoutPlan | undefined;
}

export interface EndOptions {
  /** The user's browser is here and will show the logout page (front-channel can run). */
  browser?: boolean;
  /** Where the browser goes after the logout page. */
  returnTo?: string | null;
  /** The application that asked for the logout and already signed out (SAML SP-initiated). */
  initiator?: string;
  /** Who caused it, as the audit log names actors; recorded on the logout. */
  actor?: string;
}

export interface SessionEnder {
  /** The single place where an SSO session ends. Idempotent: ending a gone session is a no-op. */
  end(uid: string, trigger: EndTrigger, options?: EndOptions): Promise<EndedSession | undefined>;
  /** Ends every live session of an account; returns those that were ended. */
  endAllFor(accountId: string, trigger: EndTrigger, options?: Pick<EndOptions, 'actor'>): Promise<EndedSession[]>;
}

/** What ended, from what the ending transaction removed. */
function describeEnded(uid: string, trigger: EndTrigger, data: EndedSessionData & { logout?: LogoutPlan }): EndedSession {
  const authorizations = (data.session?.authorizations ?? {}) as Record<string, unknown>;
  return {
    ...data,
    uid,
    accountId: data.record?.account_id ?? (data.session?.accountId as string | undefined),
    trigger,
    endedAt: epochSeconds(),
    clients: data.record?.clients.map((c) => c.client_id) ?? Object.keys(authorizations),
    logout: data.logout,
  };
}

export function createSessionEnder(storage: Storage, logger: Logger, propagation: LogoutPropagation): SessionEnder {
  const ender: SessionEnder = {
    /**
     * 1. prepare the logout (worker slots for the deliveries this node will send itself);
     * 2. end the session in one transaction: session, record, grants and tokens deleted, the
     *    logout record and one delivery per application written (the outbox);
     * 3. send what was planned, once committed;
     * and always give back the slots that were not used.
     */
    async end(uid, trigger, options = {}) {
      const logout = propagation.prepare({ uid, trigger, browser: options.browser ?? false, returnTo: options.returnTo ?? null, initiator: options.initiator, actor: options.actor });
      try {
        const data = await storage.endSession(uid, logout.plan);
        if (!data.record && !data.session) return undefined; // already ended: nothing to do
        const ended = describeEnded(uid, trigger, data);
        logger.info({ event: 'session.ended', uid, account_id: ended.accountId, trigger, clients: ended.clients, revoked_grants: data.revokedGrantIds.length }, 'session ended');
        await logout.send();
        return ended;
      } finally {
        logout.release();
      }
    },
    async endAllFor(accountId, trigger, options = {}) {
      const sessions = await storage.listSsoSessions(accountId, 0);
      const ended: EndedSession[] = [];
      const turn = fairLoop();
      for (const s of sessions) {
        const e = await ender.end(s.uid, trigger, options);
        if (e) ended.push(e);
        await turn();
      }
      return ended;
    },
  };
  return ender;
}
