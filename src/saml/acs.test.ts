import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseAcs } from './acs.ts';

const sp = {
  assertion_consumer_services: [
    { binding: 'HTTP-POST' as const, location: 'https://sp/acs', index: 0 },
    { binding: 'HTTP-Redirect' as const, location: 'https://sp/acs-redirect', index: 1, is_default: true },
  ],
};
const request = (r: Partial<{ acsUrl: string; acsIndex: number; protocolBinding: 'HTTP-POST' | 'HTTP-Redirect' }>) => ({ acsUrl: undefined, acsIndex: undefined, protocolBinding: undefined, ...r });

test('an IdP-initiated response goes to the default service (is_default, else the first)', () => {
  assert.equal(chooseAcs(sp, undefined).location, 'https://sp/acs-redirect');
  assert.equal(chooseAcs({ assertion_consumer_services: [sp.assertion_consumer_services[0]!] }, undefined).location, 'https://sp/acs');
});

test('a request picks a registered service by URL or by index', () => {
  assert.equal(chooseAcs(sp, request({ acsUrl: 'https://sp/acs' })).binding, 'HTTP-POST');
  assert.equal(chooseAcs(sp, request({ acsIndex: 1 })).location, 'https://sp/acs-redirect');
});

test('an unregistered URL, an unknown index, or both at once are refused', () => {
  assert.throws(() => chooseAcs(sp, request({ acsUrl: 'https://evil/acs' })), /not registered/);
  assert.throws(() => chooseAcs(sp, request({ acsIndex: 7 })), /index 7/);
  assert.throws(() => chooseAcs(sp, request({ acsUrl: 'https://sp/acs', acsIndex: 0 })), /mutually exclusive/);
});

test('ProtocolBinding narrows the choice and must match a registered service', () => {
  assert.equal(chooseAcs(sp, request({ protocolBinding: 'HTTP-POST' })).location, 'https://sp/acs');
  assert.throws(() => chooseAcs(sp, request({ acsUrl: 'https://sp/acs', protocolBinding: 'HTTP-Redirect' })), /ProtocolBinding/);
});
