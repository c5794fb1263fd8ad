import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Delivery } from '../storage/types.ts';
import { deliveryDetail } from './logouts.ts';

const t = Date.parse('2026-11-25T10:00:00Z');
const waiting: Delivery = {
  id: 'd1', logout_id: 'l1', position: 0, client_id: 'app', client_name: null, channel: 'backchannel', target: 'http://app.test/bcl',
  sid: 's', sub: 'u', include_sid: true, channel_params: null, status: 'pending', attempts: 0, last_error: null, latency_ms: null,
  next_attempt_at: t, deadline_at: t + 60_000, created_at: t, updated_at: t, completed_at: null,
};

test("a delivery waiting on an open circuit shows the probe time as its next attempt, never past its deadline", () => {
  assert.equal(deliveryDetail(waiting).next_attempt_at, '2026-11-25T10:00:00.000Z');
  assert.equal(deliveryDetail(waiting, [], t + 8_000).next_attempt_at, '2026-11-25T10:00:08.000Z');
  assert.equal(deliveryDetail(waiting, [], t + 120_000).next_attempt_at, '2026-11-25T10:01:00.000Z');
  assert.equal(deliveryDetail({ ...waiting, next_attempt_at: t + 30_000 }, [], t + 8_000).next_attempt_at, '2026-11-25T10:00:30.000Z');
  assert.equal(deliveryDetail({ ...waiting, status: 'delivered', completed_at: t }, [], t + 8_000).next_attempt_at, null);
});
