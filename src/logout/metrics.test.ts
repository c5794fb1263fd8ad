import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachedRead } from './metrics.ts';

describe('cachedRead', () => {
  it('reads once per max age however often it is asked, and shares a read in flight', async () => {
    let reads = 0;
    let now_ms = 0;
    const get = cachedRead(async () => ++reads, 1_000, () => now_ms);
    assert.deepEqual(await Promise.all([get(), get(), get()]), [1, 1, 1]);
    now_ms = 999;
    assert.equal(await get(), 1);
    now_ms = 1_000;
    assert.equal(await get(), 2);
    assert.equal(reads, 2);
  });

  it('serves the last good value when a read fails, and throws when there is none', async () => {
    let fail = true;
    let now_ms = 0;
    const get = cachedRead(async () => { if (fail) throw new Error('db down'); return 7; }, 10, () => now_ms);
    await assert.rejects(get(), /db down/);
    fail = false;
    assert.equal(await get(), 7);
    fail = true;
    now_ms = 100;
    assert.equal(await get(), 7);
    fail = false;
    assert.equal(await get(), 7, 'the next read after a failure refreshes');
  });
});
