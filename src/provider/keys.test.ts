import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStorage } from '../storage/open.ts';
import { loadSigningKeys, rotateSigningKeys } from './keys.ts';

describe('signing keys', () => {
  it('a key rotated within the same second as the ones before it is the one that signs', async () => {
    const storage = await openStorage({ kind: 'sqlite', path: ':memory:' });
    try {
      await loadSigningKeys(storage); // the first start's keys
      const rotated = await rotateSigningKeys(storage); // at once: the same second, most likely
      const keys = await loadSigningKeys(storage);
      for (const alg of ['RS256', 'ES256']) {
        assert.ok(rotated.includes(keys.find((k) => k.alg === alg)!.kid!), `the new ${alg} key comes first`);
      }
      assert.equal(keys.length, 4, 'the old keys still verify');
    } finally {
      await storage.close();
    }
  });
});
