import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoff_ms, outcomeOf } from './retry.ts';

const settings = { initial_backoff_ms: 1_000, max_backoff_ms: 60_000 };
const ok = { ok: true, permanent: false, answered: true, error: null };
const refused = { ok: false, permanent: true, answered: true, error: 'HTTP 400' };
const down = { ok: false, permanent: false, answered: false, error: 'ECONNREFUSED' };

describe('backoff_ms', () => {
  it('doubles per attempt between half and all of the ceiling, capped at max_backoff_ms', () => {
    assert.equal(backoff_ms(1, settings, () => 0), 500);
    assert.equal(backoff_ms(1, settings, () => 1), 1_000);
    assert.equal(backoff_ms(3, settings, () => 1), 4_000);
    assert.equal(backoff_ms(30, settings, () => 1), 60_000);
    assert.equal(backoff_ms(500, settings, () => 0), 30_000, 'no overflow for many attempts');
  });
});

describe('outcomeOf: the retry table', () => {
  const d = { attempts: 2, deadline_at: 10_000 };
  it('delivered on success, rejected for good on a permanent refusal', () => {
    assert.deepEqual(outcomeOf(ok, d, 100, 1_000, false), { status: 'delivered', attempts: 2, last_error: null, next_attempt_at: 100, completed_at: 100 });
    assert.deepEqual(outcomeOf(refused, d, 100, 1_000, false), { status: 'rejected', attempts: 2, last_error: 'HTTP 400', next_attempt_at: 100, completed_at: 100 });
  });
  it('retried after the backoff while that stays within the deadline, failed past it', () => {
    assert.deepEqual(outcomeOf(down, d, 100, 1_000, false), { status: 'retrying', attempts: 2, last_error: 'ECONNREFUSED', next_attempt_at: 1_100, completed_at: null });
    assert.equal(outcomeOf(down, d, 9_000, 1_000, false).status, 'retrying', 'exactly at the deadline');
    const failed = outcomeOf(down, d, 9_001, 1_000, false);
    assert.equal(failed.status, 'failed');
    assert.match(failed.last_error!, /gave up at the deadline after 2 attempts; last: ECONNREFUSED/);
  });
  it('says when the target\'s circuit is open', () => {
    assert.match(outcomeOf(down, d, 100, 1_000, true).last_error!, /circuit open/);
  });
});
