import type { AttemptOutcome } from '../storage/types.ts';
import type { AttemptResult } from './channels/index.ts';

export interface RetrySettings {
  initial_backoff_ms: number;
  max_backoff_ms: number;
}

/** Exponential backoff with jitter: uniformly between half and all of initial * 2^(n-1), capped. */
export function backoff_ms(attempts: number, s: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(s.max_backoff_ms, s.initial_backoff_ms * 2 ** Math.min(attempts - 1, 40));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * What an attempt's result makes of a delivery: delivered, rejected for good, retried after a
 * backoff, or failed when the retry would fall past its deadline.
 */
export function outcomeOf(result: AttemptResult, d: { attempts: number; deadline_at: number }, now: number, retry_ms: number, circuitOpen: boolean): AttemptOutcome {
  const { attempts } = d;
  if (result.ok) return { status: 'delivered', attempts, last_error: null, next_attempt_at: now, completed_at: now };
  if (result.permanent) return { status: 'rejected', attempts, last_error: result.error, next_attempt_at: now, completed_at: now };
  const retryAt = now + retry_ms;
  if (retryAt > d.deadline_at) {
    return { status: 'failed', attempts, last_error: `gave up at the deadline after ${attempts} attempts; last: ${result.error}`, next_attempt_at: now, completed_at: now };
  }
  const error = circuitOpen ? `${result.error} (circuit open: sending again after a probe succeeds)` : result.error;
  return { status: 'retrying', attempts, last_error: error, next_attempt_at: retryAt, completed_at: null };
}
