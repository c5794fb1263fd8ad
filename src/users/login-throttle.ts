import { isIP } from 'node:net';
import { normalizeHost } from '../logout/host-policy.ts';
import type { LoginFailures } from '../storage/types.ts';

export interface ThrottleScopeLimits {
  /** Failures that cost nothing (typos). */
  free_failures: number;
  /** From this many failures on, the key is locked out for lockout_ms after each failure. */
  lockout_failures: number;
}

export interface ThrottleLimits {
  initial_delay_ms: number;
  lockout_ms: number;
  account: ThrottleScopeLimits;
  address: ThrottleScopeLimits;
}

export type ThrottleScope = 'account' | 'address';

/**
 * Until when a key refuses sign-ins after `failures` (0 = not refused): nothing for the free
 * failures, then a delay doubling from initial_delay_ms per failure (capped at lockout_ms), and a
 * lockout of lockout_ms after each failure from lockout_failures on (OWASP Authentication Cheat
 * Sheet, "Account Lockout"; NIST SP 800-63B §5.2.2 rate limiting).
 */
export function blockedUntil(failures: Pick<LoginFailures, 'failures' | 'last_failure_at'> | undefined, scope: ThrottleScopeLimits, limits: ThrottleLimits): number {
  if (!failures || failures.failures <= scope.free_failures) return 0;
  if (failures.failures >= scope.lockout_failures) return failures.last_failure_at + limits.lockout_ms;
  const exponent = Math.min(failures.failures - scope.free_failures - 1, 30);
  return failures.last_failure_at + Math.min(limits.initial_delay_ms * 2 ** exponent, limits.lockout_ms);
}

/**
 * The keys a sign-in is counted under. The account key is the name typed, whether or not such a
 * user exists (an unknown name is throttled exactly like a known one: no enumeration). The
 * address key is the client IP; an IPv6 client is counted by its /64, which one host holds.
 */
export function throttleKeys(connection: string, username: string, ip: string): Record<ThrottleScope, string> {
  return {
    account: `account:${connection}:${username.normalize('NFKC').toLowerCase()}`,
    address: `address:${addressPrefix(ip)}`,
  };
}

export function addressPrefix(ip: string): string {
  const h = normalizeHost(ip);
  if (isIP(h) !== 6) return h;
  const [head = '', tail = ''] = h.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = h.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** The latest time any of the keys refuses sign-ins until, and which scope it is. */
export function throttleVerdict(rows: LoginFailures[], keys: Record<ThrottleScope, string>, limits: ThrottleLimits): { until_ms: number; scope?: ThrottleScope } {
  let verdict: { until_ms: number; scope?: ThrottleScope } = { until_ms: 0 };
  for (const scope of ['account', 'address'] as const) {
    const until_ms = blockedUntil(rows.find((r) => r.key === keys[scope]), limits[scope], limits);
    if (until_ms > verdict.until_ms) verdict = { until_ms, scope };
  }
  return verdict;
}
