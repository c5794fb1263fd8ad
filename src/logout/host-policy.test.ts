import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostPolicy, invalidHostPattern, normalizeHost } from './host-policy.ts';

/** The decision for a URL as the worker makes it: the URL, then each address it connects to. */
function refused(policy: ReturnType<typeof hostPolicy>, target: string, resolvesTo?: string) {
  const byUrl = policy.checkUrl(target);
  if (byUrl || !resolvesTo) return byUrl;
  return policy.checkAddress(new URL(target).hostname, resolvesTo);
}

describe('normalizeHost', () => {
  it('folds case, brackets, trailing dots and IPv4-mapped IPv6', () => {
    assert.equal(normalizeHost('LocalHost.'), 'localhost');
    assert.equal(normalizeHost('[::1]'), '::1');
    assert.equal(normalizeHost('[::ffff:7f00:1]'), '127.0.0.1');
    assert.equal(normalizeHost('::ffff:10.1.2.3'), '10.1.2.3');
  });
});

describe('hostPolicy', () => {
  const denyLoopback = hostPolicy([], ['loopback']);

  it('refuses every spelling of the loopback host once it is denied', () => {
    for (const [target, address] of [
      ['http://127.0.0.1/bcl'], ['http://127.0.0.2/bcl'], ['http://[::1]/bcl'], ['http://[::ffff:127.0.0.1]/bcl'],
      ['http://localhost/bcl', '127.0.0.1'], ['http://localhost./bcl', '::1'], ['http://app.internal/bcl', '127.0.0.1'],
    ] as const) {
      assert.match(refused(denyLoopback, target, address) ?? '', /denied/, target);
    }
    assert.equal(refused(denyLoopback, 'http://app.example/bcl', '192.0.2.10'), undefined);
  });

  it('never allows an unspecified address, which reaches the local host', () => {
    const open = hostPolicy([], []);
    assert.match(refused(open, 'http://0.0.0.0/bcl')!, /unspecified/);
    assert.match(refused(open, 'http://[::]/bcl')!, /unspecified/);
    assert.match(refused(open, 'http://zero.example/bcl', '0.0.0.0')!, /unspecified/);
    assert.equal(refused(open, 'http://127.0.0.1/bcl'), undefined, 'loopback is allowed by default');
  });

  it('matches names with or without a trailing dot, suffixes, and CIDR ranges', () => {
    const policy = hostPolicy([], ['evil.test', '*.blocked.test', '10.0.0.0/8', 'fd00::/8']);
    assert.match(refused(policy, 'http://EVIL.test./x')!, /denied/);
    assert.match(refused(policy, 'http://a.blocked.test/x')!, /denied/);
    assert.match(refused(policy, 'http://10.9.8.7/x')!, /denied/);
    assert.match(refused(policy, 'http://[fd00::1]/x')!, /denied/);
    assert.match(refused(policy, 'http://db.example/x', '10.0.0.5')!, /denied/, 'a name that resolves into a denied range');
    assert.equal(refused(policy, 'http://11.0.0.1/x'), undefined);
  });

  it('an allow list admits only what it names, by name or by resolved address; a deny entry wins', () => {
    const policy = hostPolicy(['apps.example', '*.corp.example', '192.0.2.0/24'], ['bad.corp.example']);
    assert.equal(refused(policy, 'https://apps.example/x', '198.51.100.1'), undefined);
    assert.equal(refused(policy, 'https://hr.corp.example/x', '198.51.100.1'), undefined);
    assert.equal(refused(policy, 'https://other.example/x', '192.0.2.7'), undefined, 'by its address');
    assert.match(refused(policy, 'https://other.example/x', '198.51.100.1')!, /not in logout.backchannel.allowed_hosts/);
    assert.match(refused(policy, 'https://bad.corp.example/x', '192.0.2.7')!, /denied/);
  });

  it('validates list entries', () => {
    for (const ok of ['apps.example', '*.corp.example', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'private', 'link_local']) {
      assert.equal(invalidHostPattern(ok), undefined, ok);
    }
    assert.match(invalidHostPattern('10.0.0.0/33')!, /prefix length/);
    assert.match(invalidHostPattern('apps.example/8')!, /needs an IP address/);
    assert.match(invalidHostPattern('http://x/')!, /must be a host name/);
  });
});
