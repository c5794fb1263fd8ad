import { Worker } from 'node:worker_threads';
import type { JWK } from 'jose';

/** Signatures come back in chunks, so the first POSTs leave before the last tokens are signed. */
const CHUNK = 8;

// Plain JavaScript evaluated in the worker: it needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
const key = createPrivateKey({ key: workerData.jwk, format: 'jwk' });
const options = workerData.p1363 ? { key, dsaEncoding: 'ieee-p1363' } : key;
parentPort.on('message', ({ batch, inputs }) => {
  let from = 0;
  let signatures = [];
  for (let i = 0; i < inputs.length; i++) {
    signatures.push(sign(workerData.hash, Buffer.from(inputs[i]), options).toString('base64url'));
    if (signatures.length === ${CHUNK} || i === inputs.length - 1) {
      parentPort.postMessage({ batch, from, signatures });
      from = i + 1;
      signatures = [];
    }
  }
});
`;

interface Waiting { resolve: (signature: string) => void; reject: (err: Error) => void }

/**
 * Signs JWS inputs on a dedicated thread, a batch per turn of the event loop. A logout of 100
 * applications asks for 100 signatures at once: as 100 thread-pool jobs each finishing with a
 * callback on the busy main thread they took 5 ms; here they are one message, signed back to back
 * while the main thread writes the outbox, and returned in chunks.
 */
export class SigningThread {
  readonly #worker: Worker;
  #queued: { input: string; waiting: Waiting }[] = [];
  readonly #batches = new Map<number, Waiting[]>();
  #nextBatch = 0;
  #failed: Error | undefined;

  constructor(jwk: JWK, hash: string | null, p1363: boolean) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { jwk, hash, p1363 } });
    this.#worker.on('message', ({ batch, from, signatures }: { batch: number; from: number; signatures: string[] }) => {
      const waiting = this.#batches.get(batch)!;
      signatures.forEach((signature, i) => waiting[from + i]!.resolve(signature));
      if (from + signatures.length === waiting.length) this.#batches.delete(batch);
      if (this.#batches.size === 0) this.#worker.unref();
    });
    const fail = (err: Error) => {
      this.#failed = err;
      for (const waiting of this.#batches.values()) for (const w of waiting) w.reject(err);
      this.#batches.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', () => fail(new Error('the logout token signing thread stopped')));
    // idle, the thread never keeps the process alive (unref after the listeners, which ref it);
    // with signatures pending it does, like any I/O in flight
    this.#worker.unref();
  }

  /** The base64url signature of `input`; undefined once the thread failed or stopped (sign elsewhere). */
  sign(input: string): Promise<string> | undefined {
    if (this.#failed) return undefined;
    return new Promise((resolve, reject) => {
      this.#queued.push({ input, waiting: { resolve, reject } });
      if (this.#queued.length === 1) queueMicrotask(() => this.#send());
    });
  }

  #send() {
    const queued = this.#queued;
    this.#queued = [];
    const batch = this.#nextBatch++;
    if (this.#batches.size === 0) this.#worker.ref();
    this.#batches.set(batch, queued.map((q) => q.waiting));
    this.#worker.postMessage({ batch, inputs: queued.map((q) => q.input) });
  }

  async stop() {
    this.#failed = new Error('the logout token signing thread was stopped');
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}
