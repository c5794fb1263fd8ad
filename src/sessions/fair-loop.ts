import { setImmediate } from 'node:timers/promises';

/**
 * For loops that end many sessions one after another (the expiry sweep, sign out everywhere):
 * SQLite answers synchronously, so such a loop is one chain of microtasks and serves nothing else
 * until it ends (a sweep of 10,000 sessions held /health for 5 s). Awaited after each step, this
 * gives the event loop a turn once `slice_ms` has passed. (A turn after every step instead cost
 * the sweep 8x its speed: 147 sessions/s against 1,200.)
 */
export function fairLoop(slice_ms = 10) {
  let since = performance.now();
  let waiting: Promise<void> | undefined;
  // lanes of one loop (several endings at a time) wait for the same turn: the event loop serves
  // others only once none of them runs, so one lane yielding alone gives nothing
  return function turn(): Promise<void> | undefined {
    if (waiting) return waiting;
    if (performance.now() - since < slice_ms) return undefined;
    waiting = setImmediate().then(() => {
      since = performance.now();
      waiting = undefined;
    });
    return waiting;
  };
}
