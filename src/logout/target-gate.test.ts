import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TargetGate } from './target-gate.ts';

const gate = () => new TargetGate({ perTargetConcurrency: 2, failureThreshold: 3, openMs: 1000, maxOpenMs: 3000 });

describe('TargetGate', () => {
  it('caps attempts in flight per target, not across targets', () => {
    const g = gate();
    assert.deepEqual(g.admit('a', 0), { ok: true });
    assert.deepEqual(g.admit('a', 0), { ok: true });
    assert.deepEqual(g.admit('a', 0), { ok: false, reason: 'busy' });
    assert.deepEqual(g.admit('b', 0), { ok: true });
    assert.deepEqual(g.blocked(0), ['a']);
    assert.deepEqual([g.full('a'), g.full('b')], [true, false]);
    g.release('a', true, 0);
    assert.equal(g.full('a'), false);
    assert.deepEqual(g.admit('a', 0), { ok: true });
  });

  it('opens after the threshold of consecutive failures, probes once when the time is up, closes on success', () => {
    const g = gate();
    for (let i = 0; i < 2; i++) {
      g.admit('a', 0);
      assert.equal(g.release('a', false, 0), undefined);
    }
    g.admit('a', 0);
    assert.equal(g.release('a', false, 0), 'opened');
    assert.equal(g.circuit('a', 500), 'open');
    assert.equal(g.probeAt('a', 500), 1000, 'its deliveries wait for the probe at 1000');
    assert.equal(g.probeAt('a', 1000), undefined, 'half-open: the probe may go');
    assert.deepEqual(g.admit('a', 500), { ok: false, reason: 'circuit_open' });
    assert.deepEqual(g.blocked(500), ['a']);
    assert.equal(g.circuit('a', 1000), 'half_open');
    assert.deepEqual(g.admit('a', 1000), { ok: true }, 'one probe');
    assert.deepEqual(g.admit('a', 1000), { ok: false, reason: 'circuit_open' }, 'only one');
    assert.equal(g.release('a', true, 1100), 'closed');
    assert.equal(g.circuit('a', 1100), 'closed');
    assert.deepEqual(g.blocked(1100), []);
  });

  it('doubles the open time on each failed probe, up to the maximum', () => {
    const g = gate();
    let now = 0;
    for (let i = 0; i < 3; i++) { g.admit('a', now); g.release('a', false, now); }
    const openFor: number[] = [];
    for (let probe = 0; probe < 3; probe++) {
      const opened = now;
      while (g.circuit('a', now) === 'open') now += 100;
      openFor.push(now - opened);
      assert.deepEqual(g.admit('a', now), { ok: true });
      assert.equal(g.release('a', false, now), 'opened');
    }
    assert.deepEqual(openFor, [1000, 2000, 3000]);
  });

  it('a success resets the count of consecutive failures', () => {
    const g = gate();
    for (const ok of [false, false, true, false, false]) { g.admit('a', 0); g.release('a', ok, 0); }
    assert.equal(g.circuit('a', 0), 'closed');
  });

  it('an attempt admitted before the circuit opened does not reopen it longer', () => {
    const g = gate();
    g.admit('a', 0);
    g.admit('a', 0);
    for (let i = 0; i < 2; i++) g.release('a', false, 0);
    g.admit('a', 0);
    assert.equal(g.release('a', false, 0), 'opened');
    assert.equal(g.circuit('a', 999), 'open');
  });
});
