import type { AttemptOutcome } from '../storage/types.ts';

/** A short wait that gathers the answers of a whole fan-out into a few transactions. */
const BATCH_WAIT_MS = 2;

type Recorded = { outcome: AttemptOutcome; now: number } | undefined;

/**
 * Attempt outcomes are written in batches: one transaction per turn of the event loop instead of
 * one per delivery, which is most of the storage cost of a large fan-out. The batch's time is
 * each outcome's time, so identical outcomes are written by one statement. A recorded outcome
 * resolves to what was written, or undefined when this node had lost the claim (fenced).
 */
export class OutcomeBatch {
  #pending: { id: string; make: (now: number) => AttemptOutcome; done: (r: Recorded) => void; fail: (err: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** Writes outcomes where this node still holds the claim; returns the ids it wrote. */
    private readonly write: (items: { id: string; outcome: AttemptOutcome }[]) => Promise<Set<string>>,
    /** Whether answers are still outstanding (then a short wait gathers them; else write now). */
    private readonly answersOutstanding: () => boolean,
  ) {}

  record(make: (now: number) => AttemptOutcome, id: string): Promise<Recorded> {
    return new Promise((done, fail) => {
      this.#pending.push({ id, make, done, fail });
      if (!this.answersOutstanding()) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        setImmediate(() => this.#flush());
      } else if (!this.#timer) {
        this.#timer = setTimeout(() => this.#flush(), BATCH_WAIT_MS);
      }
    });
  }

  #flush() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const now = Date.now();
    const items = batch.map((b) => ({ id: b.id, outcome: b.make(now) }));
    this.write(items)
      .then((written) => batch.forEach((b, i) => b.done(written.has(b.id) ? { outcome: items[i]!.outcome, now } : undefined)))
      .catch((err) => { for (const b of batch) b.fail(err); });
  }
}
