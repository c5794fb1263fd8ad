import { AsyncLocalStorage } from 'node:async_hooks';
import type { Json, SsoSessionRecord } from '../storage/types.ts';

/** A change to a session's SSO record: undefined to write nothing. */
export type RecordUpdate = (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined;

/** An oidc-provider Session as a request loaded it, with its SSO record as it was then. */
export interface LoadedSession { payload: Json; record: SsoSessionRecord | undefined }

/**
 * What one HTTP request did to oidc-provider Sessions, for the adapter's three-way merge
 * (sessions/session-merge.ts) and its skipping of saves that only touch (sessions/touch.ts): the
 * sessions it loaded, as loaded, and the ids it destroyed.
 */
export interface RequestScope {
  loadedSessions: Map<string, LoadedSession>;
  destroyedSessions: Set<string>;
  /**
   * Set on oidc-provider's end-session confirmation: its Session destroy and grant revocations
   * are held here instead of written, so that the session ends in SessionEnder's one
   * transaction with its logout outbox (or, for "only this application", are applied after).
   */
  deferredEnding?: { sessionIds: string[]; revocations: { model: string; grantId: string }[]; grants: string[] };
  /**
   * The change a sign-in makes to its session's SSO record (sessions/recorder.ts), made in the
   * transaction that saves the oidc-provider Session: one commit for both.
   */
  sessionRecord?: { uid: string; update: RecordUpdate };
}

const scope = new AsyncLocalStorage<RequestScope>();

export function inRequestScope<T>(run: () => T): T {
  return scope.run({ loadedSessions: new Map(), destroyedSessions: new Set() }, run);
}

export const requestScope = () => scope.getStore();
