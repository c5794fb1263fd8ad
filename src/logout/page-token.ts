import { timingSafeEqual } from 'node:crypto';
import type { LogoutRecord } from '../storage/types.ts';

/**
 * How long the logout page's link keeps working after the logout completed: long enough for the
 * person to read the results and press Continue, not a lasting capability over the record.
 */
export const PAGE_GRACE_MS = 15 * 60 * 1000;

/**
 * The logout page's token is a capability bound to the logout's lifetime: valid while the logout
 * is in progress and for PAGE_GRACE_MS after it completed, then `expired`. Compared in constant time.
 */
export function checkPageToken(logout: Pick<LogoutRecord, 'page_token' | 'completed_at'> | undefined, token: string, now_ms: number): 'valid' | 'unknown' | 'expired' {
  if (!logout || token.length !== logout.page_token.length || !timingSafeEqual(Buffer.from(token), Buffer.from(logout.page_token))) return 'unknown';
  if (logout.completed_at !== null && now_ms > logout.completed_at + PAGE_GRACE_MS) return 'expired';
  return 'valid';
}
