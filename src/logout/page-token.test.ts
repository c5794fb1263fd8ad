import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPageToken, PAGE_GRACE_MS } from './page-token.ts';

describe('checkPageToken', () => {
  const token = 'a'.repeat(32);
  it('is valid while the logout runs and for the grace period after it completed, then expired', () => {
    assert.equal(checkPageToken({ page_token: token, completed_at: null }, token, 10 ** 13), 'valid');
    assert.equal(checkPageToken({ page_token: token, completed_at: 1_000 }, token, 1_000 + PAGE_GRACE_MS), 'valid');
    assert.equal(checkPageToken({ page_token: token, completed_at: 1_000 }, token, 1_001 + PAGE_GRACE_MS), 'expired');
  });
  it('a wrong, shorter or missing token, or no logout, is unknown (never expired: that would confirm the id)', () => {
    assert.equal(checkPageToken({ page_token: token, completed_at: null }, 'b'.repeat(32), 0), 'unknown');
    assert.equal(checkPageToken({ page_token: token, completed_at: null }, 'a', 0), 'unknown');
    assert.equal(checkPageToken({ page_token: token, completed_at: 0 }, '', 10 ** 13), 'unknown');
    assert.equal(checkPageToken(undefined, token, 0), 'unknown');
  });
});
