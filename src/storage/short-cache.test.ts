import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundValue, ShortCache } from './short-cache.ts';

describe('a value recomputed in the background', () => {
  it('waits only for the first computation, then serves the last one while one recomputation runs', async () => {
    let computed = 0;
    let release: (() => void) | undefined;
    const v = new BackgroundValue(1_000, async () => {
      computed++;
      if (computed > 1) await new Promise<void>((resolve) => { release = resolve; });
      return computed;
    });
    assert.equal(await v.get(0), 1);
    assert.equal(await v.get(10), 1, 'fresh: not recomputed');
    assert.equal(computed, 1);
    const stale = Date.now() + 5_000;
    assert.equal(await v.get(stale), 1, 'stale: the last value, at once');
    assert.equal(await v.get(stale), 1);
    assert.equal(computed, 2, 'one recomputation however many reads');
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await v.get(stale), 2, 'then the new value');
  });

  it('tries again after a failed computation', async () => {
    let fail = true;
    const v = new BackgroundValue(1_000, async () => { if (fail) throw new Error('down'); return 'ok'; });
    await assert.rejects(v.get(), /down/);
    fail = false;
    assert.equal(await v.get(), 'ok');
  });
});

describe('values kept for a short time', () => {
  it('loads once per key within the time, again after it, and at once after delete', async () => {
    const loads: string[] = [];
    const cache = new ShortCache(1_000, async (key) => { loads.push(key); return `${key}${loads.length}`; });
    const [a, b] = await Promise.all([cache.get('a', 0), cache.get('a', 0)]);
    assert.deepEqual([a, b, loads], ['a1', 'a1', ['a']], 'a load in flight is shared');
    assert.equal(await cache.get('a', 999), 'a1');
    assert.equal(await cache.get('a', 1_000), 'a2', 'reloaded once the time is up');
    cache.delete('a');
    assert.equal(await cache.get('a', 1_001), 'a3', 'reloaded after delete');
  });
});
