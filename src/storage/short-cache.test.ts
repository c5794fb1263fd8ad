import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundValue } from './short-cache.ts';

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
