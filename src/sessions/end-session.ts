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
  /**
   * `end` for several sessions, in transactions of up to ENDING_BATCH sessions each: what a sweep
   * or "sign out everywhere" ends. Returns those that were ended (gone ones are skipped).
   */
  endMany(uids: string[], trigger: EndTrigger, options?: Pick<EndOptions, 'actor'>): Promise<EndedSession[]>;
  /** Ends every live session of an account; returns those that were ended. */
  endAllFor(accountId: string, trigger: EndTrigger, options?: Pick<EndOptions, 'actor'>): Promise<EndedSession[]>;
}

/** Sessions ended in one transaction: its statements are shared, its locks held until it commits. */
export const ENDING_BATCH = 25;

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
    async end(uid, trigger, options = {}) {
      return (await endBatch([uid], trigger, options))[0];
    },
    async endMany(uids, trigger, options = {}) {
      const unique = [...new Set(uids)];
      const ended: EndedSession[] = [];
      const turn = fairLoop();
      for (let i = 0; i < unique.length; i += ENDING_BATCH) {
        for (const e of await endBatch(unique.slice(i, i + ENDING_BATCH), trigger, options)) if (e) ended.push(e);
        await turn();
      }
      return ended;
    },
    async endAllFor(accountId, trigger, options = {}) {
      return ender.endMany((await storage.listSsoSessions(accountId, 0)).map((s) => s.uid), trigger, options);
    },
  };

  /**
   * 1. prepare each logout (worker slots for the deliveries this node will send itself);
   * 2. end the sessions in one transaction: each session, record, grants and tokens deleted, its
   *    logout record and one delivery per application written (the outbox);
   * 3. send what was planned, once committed;
   * and always give back the slots that were not used.
   */
  async function endBatch(uids: string[], trigger: EndTrigger, options: EndOptions): Promise<(EndedSession | undefined)[]> {
    const logouts = uids.map((uid) => propagation.prepare({ uid, trigger, browser: options.browser ?? false, returnTo: options.returnTo ?? null, initiator: options.initiator, actor: options.actor }));
    try {
      const data = await storage.endSessions(uids.map((uid, i) => ({ uid, plan: logouts[i]!.plan })));
      const ended = data.map((d, i) => {
        if (!d.record && !d.session) return undefined; // already ended: nothing to do
        const e = describeEnded(uids[i]!, trigger, d);
        logger.info({ event: 'session.ended', uid: e.uid, account_id: e.accountId, trigger, clients: e.clients, revoked_grants: d.revokedGrantIds.length }, 'session ended');
        return e;
      });
      for (const logout of logouts) await logout.send();
      return ended;
    } finally {
      for (const logout of logouts) logout.release();
    }
  }

  return ender;
}
