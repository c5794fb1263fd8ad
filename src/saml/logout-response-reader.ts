import { Worker } from 'node:worker_threads';
import type { LogoutResponse } from './messages.ts';
import type { MessageSigner } from './signature.ts';
import { SamlError } from './xml.ts';

export interface ReadRequest { n: number; text: string; sp: MessageSigner }
export type ReadAnswer =
  | { n: number; response: LogoutResponse }
  | { n: number; refused: { message: string; status: string; subStatus: string | undefined } }
  | { n: number; failed: string };

interface Waiting { resolve: (r: LogoutResponse) => void; reject: (e: Error) => void }

/**
 * Reads the LogoutResponses SPs answer over SOAP (bindings §3.2.3) on a worker thread: parsed,
 * its signature verified and its fields read there (logout-response-worker.ts), the same rules as
 * on this thread. Parsing is the largest part of what a SOAP logout costs on the event loop
 * (xmldom: ~50-90 µs an answer under load); a logout to a hundred SPs reads a hundred answers, and
 * on the event loop they held up everything else — the other deliveries, signing, requests.
 * Refusals come back as the SamlError they were; a worker that dies fails what it held (the
 * attempts are retried) and the next read starts another.
 */
export class LogoutResponseReader {
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  /** What each worker holds: a worker that dies fails only those. */
  readonly #sent = new Map<Worker, Set<number>>();
  #next = 0;
  /** Requests not yet posted: those made in one turn of the event loop go to the worker as one message. */
  #queue: ReadRequest[] = [];

  /** The SOAP envelope's LogoutResponse, verified against `sp`'s certificates; SamlError when refused. */
  read(text: string, sp: MessageSigner): Promise<LogoutResponse> {
    return new Promise((resolve, reject) => {
      const n = this.#next++;
      this.#waiting.set(n, { resolve, reject });
      // only what verifying needs is copied to the worker
      this.#queue.push({ n, text, sp: { client_id: sp.client_id, sp: { signing_certificates: sp.sp.signing_certificates, want_requests_signed: sp.sp.want_requests_signed } } });
      if (this.#queue.length === 1) setImmediate(() => this.#post());
    });
  }

  async close() {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  // a message to a worker costs ~5 µs and more on this thread: one per batch, not one per answer
  #post() {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const worker = this.#start();
    const held = this.#sent.get(worker)!;
    for (const r of batch) held.add(r.n);
    worker.ref();
    worker.postMessage(batch);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./assets/ts-worker.mjs', import.meta.url), { workerData: { module: new URL('./logout-response-worker.ts', import.meta.url).href } });
    this.#sent.set(worker, new Set());
    worker.on('message', (answers: ReadAnswer[]) => { for (const a of answers) this.#answered(worker, a); });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const n of this.#sent.get(worker) ?? []) {
        this.#waiting.get(n)?.reject(err);
        this.#waiting.delete(n);
      }
      this.#sent.delete(worker);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the LogoutResponse reader exited (${code})`)));
    this.#worker = worker;
    return worker;
  }

  #answered(worker: Worker, answer: ReadAnswer) {
    this.#sent.get(worker)?.delete(answer.n);
    const waiting = this.#waiting.get(answer.n);
    if (!waiting) return;
    this.#waiting.delete(answer.n);
    if (this.#sent.get(worker)?.size === 0) worker.unref(); // idle: it does not keep the process alive
    if ('response' in answer) waiting.resolve(answer.response);
    else if ('refused' in answer) waiting.reject(new SamlError(answer.refused.message, answer.refused.status, answer.refused.subStatus));
    else waiting.reject(new Error(`reading the LogoutResponse failed: ${answer.failed}`));
  }
}
