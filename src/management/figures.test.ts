import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FinalDelivery } from '../storage/types.ts';
import { clientHealth, deliveryFigures, percentile } from './figures.ts';

const row = (client_id: string, status: FinalDelivery['status'], latency_ms: number | null, completed_at: number, channel = 'backchannel'): FinalDelivery =>
  ({ logout_id: `l-${completed_at}`, client_id, channel, status, latency_ms, last_error: status === 'delivered' ? null : `${status}!`, completed_at });

describe('logout figures', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([], 50), null);
  });

  it('counts outcomes per channel and fills every time bucket, empty ones too', () => {
    const rows = [row('a', 'delivered', 10, 1_000), row('a', 'failed', 5_000, 1_500), row('b', 'confirmed', 30, 3_500, 'frontchannel')];
    const f = deliveryFigures(rows, 0, 4_000, 1_000);
    assert.deepEqual(f.deliveries_by_channel, { backchannel: { ok: 1, failed: 1 }, frontchannel: { ok: 1, failed: 0 } });
    assert.deepEqual(f.latency_ms, { p50: 30, p99: 5_000, count: 3 });
    assert.deepEqual(f.series.map((b) => [b.start_ms, b.ok, b.failed, b.p99_ms]), [[0, 0, 0, null], [1_000, 1, 1, 5_000], [2_000, 0, 0, null], [3_000, 1, 0, 30]]);
  });

  it('gives each application its success rate, latency and latest failure', () => {
    const health = clientHealth([row('a', 'failed', 100, 1), row('a', 'delivered', 10, 2), row('a', 'timed_out', null, 3), row('b', 'delivered', 4, 1)]);
    const a = health.get('a')!;
    assert.equal(a.final, 3);
    assert.equal(a.ok, 1);
    assert.ok(Math.abs(a.success_rate! - 1 / 3) < 1e-9);
    assert.deepEqual(a.last_failure, { completed_at: 3, status: 'timed_out', error: 'timed_out!', logout_id: 'l-3' });
    assert.equal(health.get('b')!.last_failure, null);
    assert.equal(health.get('b')!.success_rate, 1);
  });
});
