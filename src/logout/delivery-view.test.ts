import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Delivery } from '../storage/types.ts';
import { deliveryView, needsLogoutPage } from './delivery-view.ts';

const delivery = (extra: Partial<Delivery>): Delivery => ({
  id: 'd1', logout_id: 'L1', position: 0, client_id: 'app1', client_name: null, channel: 'backchannel',
  target: 'http://a/bcl', sid: 's', sub: 'u', include_sid: true, channel_params: null, status: 'pending', attempts: 0,
  last_error: null, latency_ms: null, next_attempt_at: 0, deadline_at: 0, created_at: 0, updated_at: 0, completed_at: null, ...extra,
});

describe('deliveryView', () => {
  it('shows the person a status class and text, never what the application answered', () => {
    const failed = deliveryView(delivery({ status: 'failed', attempts: 3, last_error: 'HTTP 500: db-password=hunter2' }));
    assert.deepEqual(failed, {
      id: 'd1', client_id: 'app1', client_name: 'app1', channel: 'backchannel', status: 'failed',
      status_text: 'could not be reached', tone: 'bad', attempts: 3, final: true,
    });
    assert.doesNotMatch(JSON.stringify(failed), /hunter2|HTTP 500/);
  });
  it('tones: ok for signed out, wait while not final, bad for final failures', () => {
    const tones = ['delivered', 'confirmed', 'loaded', 'pending', 'retrying', 'awaiting_browser', 'rejected', 'timed_out', 'skipped', 'no_channel']
      .map((status) => deliveryView(delivery({ status: status as Delivery['status'] })).tone);
    assert.deepEqual(tones, ['ok', 'ok', 'ok', 'wait', 'wait', 'wait', 'bad', 'bad', 'bad', 'bad']);
  });
});

describe('needsLogoutPage', () => {
  it('is needed when any application has a logout channel', () => {
    assert.equal(needsLogoutPage([delivery({ channel: 'none', status: 'no_channel' })]), false);
    assert.equal(needsLogoutPage([delivery({ channel: 'none' }), delivery({ channel: 'frontchannel' })]), true);
  });
});
