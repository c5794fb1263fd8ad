import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressPrefix, blockedUntil, throttleKeys, throttleVerdict, type ThrottleLimits } from './login-throttle.ts';

const limits: ThrottleLimits = {
  initial_delay_ms: 1_000,
  lockout_ms: 900_000,
  account: { free_failures: 3, lockout_failures: 10 },
  address: { free_failures: 20, lockout_failures: 100 },
};

describe('blockedUntil', () => {
  const at = (failures: number) => blockedUntil({ failures, last_failure_at: 10_000 }, limits.account, limits);
  it('lets the free failures pass, then delays doubling per failure, then locks out after each failure', () => {
    assert.equal(blockedUntil(undefined, limits.account, limits), 0);
    assert.equal(at(3), 0);
    assert.equal(at(4), 11_000);
    assert.equal(at(5), 12_000);
    assert.equal(at(9), 10_000 + 32_000);
    assert.equal(at(10), 910_000);
    assert.equal(at(500), 910_000);
  });
  it('never delays longer than the lockout', () => {
    assert.equal(blockedUntil({ failures: 90, last_failure_at: 0 }, limits.address, limits), 900_000);
  });
});

describe('throttleKeys', () => {
  it('counts a name however it is typed, known or not, and an IPv6 client by its /64', () => {
    assert.equal(throttleKeys('db', 'Mary@X.com', '1.2.3.4').account, throttleKeys('db', 'mary@x.com', '1.2.3.4').account);
    assert.notEqual(throttleKeys('db', 'mary', '1.2.3.4').account, throttleKeys('other', 'mary', '1.2.3.4').account);
    assert.equal(throttleKeys('db', 'm', '::ffff:1.2.3.4').address, 'address:1.2.3.4');
    assert.equal(addressPrefix('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
    assert.equal(addressPrefix('2001:db8:0:1:bbbb:cccc:dddd:eeee'), '2001:db8:0:1::/64');
    assert.equal(addressPrefix('::1'), '0:0:0:0::/64');
  });
});

describe('throttleVerdict', () => {
  it('is the later of the account and the address limits', () => {
    const keys = throttleKeys('db', 'mary', '1.2.3.4');
    const rows = [
      { key: keys.account, failures: 4, window_started_at: 0, last_failure_at: 0 },
      { key: keys.address, failures: 100, window_started_at: 0, last_failure_at: 0 },
    ];
    assert.deepEqual(throttleVerdict(rows, keys, limits), { until_ms: 900_000, scope: 'address' });
    assert.deepEqual(throttleVerdict(rows.slice(0, 1), keys, limits), { until_ms: 1_000, scope: 'account' });
    assert.deepEqual(throttleVerdict([], keys, limits), { until_ms: 0 });
  });
});
