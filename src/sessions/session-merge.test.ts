import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeSessionPayload } from './session-merge.ts';

const live = (authorizations: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  jti: 'j1', uid: 'u1', accountId: 'mary', loginTs: 100, exp: 1000, authorizations, ...extra,
});

describe('mergeSessionPayload', () => {
  it('keeps the clients another request added while this one ran', () => {
    const base = live({ a: { sid: 's1', grantId: 'g1' } });
    const ours = live({ a: { sid: 's1', grantId: 'g1' }, b: { sid: 's2', grantId: 'g2' } }, { exp: 1100 });
    const theirs = live({ a: { sid: 's1', grantId: 'g1' }, c: { sid: 's3', grantId: 'g3' } }, { exp: 1050 });
    const merged = mergeSessionPayload(base, ours, theirs)!;
    assert.deepEqual(Object.keys(merged.authorizations as object).sort(), ['a', 'b', 'c']);
    assert.equal(merged.exp, 1100, 'our own change wins');
  });

  it('honours a removal made by this request and one made by another', () => {
    const base = live({ a: { sid: 's1' }, b: { sid: 's2' } });
    const ours = live({ a: { sid: 's1' } });
    const theirs = live({ b: { sid: 's2' } });
    assert.deepEqual(mergeSessionPayload(base, ours, theirs)!.authorizations, {});
  });

  it('keeps the stored value of a key this request did not change', () => {
    const base = live({}, { amr: ['pwd'] });
    const ours = live({}, { amr: ['pwd'] });
    const theirs = live({}, { amr: ['pwd', 'otp'] });
    assert.deepEqual(mergeSessionPayload(base, ours, theirs)!.amr, ['pwd', 'otp']);
  });

  it('does not bring back a session that was ended while the request ran', () => {
    assert.equal(mergeSessionPayload(live({ a: {} }), live({ a: {}, b: {} }), undefined), undefined);
  });

  it('writes a new session as it is', () => {
    const ours = live({ a: { sid: 's1' } });
    assert.deepEqual(mergeSessionPayload(undefined, ours, undefined), ours);
  });

  it('treats a save with nothing loaded as changing every key it carries', () => {
    const ours = live({ b: { sid: 's2' } }, { exp: 2000 });
    const theirs = live({ a: { sid: 's1' } });
    const merged = mergeSessionPayload(undefined, ours, theirs)!;
    assert.deepEqual(Object.keys(merged.authorizations as object).sort(), ['a', 'b']);
    assert.equal(merged.exp, 2000);
  });
});
