import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptOutcome } from '../storage/types.ts';
import { OutcomeBatch } from './outcome-batch.ts';

const delivered = (now: number): AttemptOutcome => ({ status: 'delivered', attempts: 1, last_error: null, next_attempt_at: now, completed_at: now });

describe('OutcomeBatch', () => {
  it('writes the outcomes of one turn in one call, and tells a fenced one it was not written', async () => {
    const calls: string[][] = [];
    const batch = new OutcomeBatch(async (items) => {
      calls.push(items.map((i) => i.id));
      return new Set(items.map((i) => i.id).filter((id) => id !== 'lost'));
    }, () => false);
    const [a, b, lost] = await Promise.all(['a', 'b', 'lost'].map((id) => batch.record(delivered, id)));
    assert.deepEqual(calls, [['a', 'b', 'lost']]);
    assert.equal(a!.outcome.status, 'delivered');
    assert.equal(a!.outcome.completed_at, a!.now, 'the batch time is the outcome time');
    assert.ok(b);
    assert.equal(lost, undefined);
  });

  it('gathers outcomes while answers are outstanding into one write, and fails every outcome of a failed write', async () => {
    const calls: number[] = [];
    const batch = new OutcomeBatch(async (items) => {
      calls.push(items.length);
      throw new Error('database down');
    }, () => true);
    const both = [batch.record(delivered, 'a'), batch.record(delivered, 'b')].map((p) => assert.rejects(p, /database down/));
    await Promise.all(both);
    assert.deepEqual(calls, [2], 'one write for both');
  });
});
