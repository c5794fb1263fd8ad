import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fairLoop } from './fair-loop.ts';

/** A step that answers synchronously, as a SQLite statement does, after `ms` of work. */
const syncStep = async (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('fairLoop', () => {
  it('lets a timer run while a long loop of synchronous steps goes on', async () => {
    let firedAtStep: number | undefined;
    let step = 0;
    setTimeout(() => { firedAtStep = step; }, 0);
    const turn = fairLoop(10);
    for (; step < 100; step++) {
      await syncStep(1);
      await turn();
    }
    assert.ok(firedAtStep !== undefined && firedAtStep < 30, `the timer ran at step ${firedAtStep} of 100`);
  });

  it('lets a timer run while several lanes of one loop go on together', async () => {
    let firedAtStep: number | undefined;
    let step = 0;
    setTimeout(() => { firedAtStep = step; }, 0);
    const turn = fairLoop(10);
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (step < 100) {
        step++;
        await syncStep(1);
        await turn();
      }
    }));
    assert.ok(firedAtStep !== undefined && firedAtStep < 30, `the timer ran at step ${firedAtStep} of 100`);
  });

  it('does not give up the event loop before its slice has passed', async () => {
    let fired = false;
    setImmediate(() => { fired = true; });
    const turn = fairLoop(1_000);
    for (let step = 0; step < 20; step++) {
      await syncStep(0.1);
      await turn();
    }
    assert.equal(fired, false);
  });
});
