/**
 * Whether a session's save is only a touch: oidc-provider saves the Session at the end of every
 * request that loaded it, and a sign-in moves its SSO record's times, so a silent sign-in would
 * rewrite both (a transaction holding the session's lock) only to slide the idle expiry by the
 * seconds since the last one. Such a save is skipped while the times it would write are less than
 * the touch interval ahead of the stored ones; anything else that differs is written.
 */

/** The time fields (epoch seconds) a save moves forward: the Session's `exp`; the record's and its clients' times. */
const TOUCHED_TIMES: ReadonlySet<string> = new Set(['exp', 'updated_at', 'expires_at', 'last_at']);

/** How far a save may move those times before it is written: a minute, or 1% of a short idle TTL. */
export function touchInterval_s(idleTtl_s: number): number {
  return Math.min(60, Math.floor(idleTtl_s / 100));
}

/**
 * True when `after` equals `before` except for touched times that moved forward by less than
 * `interval_s` (a time moving back, appearing or disappearing is a change).
 */
export function isOnlyTouch(before: unknown, after: unknown, interval_s: number): boolean {
  if (before === after) return true;
  if (typeof before !== 'object' || typeof after !== 'object' || before === null || after === null) return false;
  if (Array.isArray(before) !== Array.isArray(after)) return false;
  const keys = Object.keys(after);
  if (Object.keys(before).length !== keys.length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(before, key)) return false;
    const was = (before as Record<string, unknown>)[key];
    const now = (after as Record<string, unknown>)[key];
    if (TOUCHED_TIMES.has(key) && typeof was === 'number' && typeof now === 'number') {
      if (now < was || now - was >= interval_s) return false;
    } else if (!isOnlyTouch(was, now, interval_s)) {
      return false;
    }
  }
  return true;
}
