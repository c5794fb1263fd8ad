import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SamlError } from './xml.ts';

// Schema validation of inbound SAML messages against the OASIS SAML 2.0 XSDs (and W3C XML-DSig,
// XML-Enc): libxml2's xmllint compiled to WebAssembly (xmllint-wasm), in one long-lived worker
// thread (assets/schema-worker.cjs) so the event loop never waits on it. One xmllint run parses the
// schemas (~5 ms) and then validates every message given to it: messages that arrive while a run is
// under way are validated together in the next one, so the cost per message falls as load rises.
// (xmllint-wasm's own API starts a worker per call: ~140 ms each.)

const SCHEMA_FILES = ['saml-schema-protocol-2.0.xsd', 'saml-schema-assertion-2.0.xsd', 'xmldsig-core-schema.xsd', 'xenc-schema.xsd', 'XMLSchema.dtd', 'datatypes.dtd'];
const TAG = 'adieu-schema';
/** xmllint's exit codes: 0 all valid, 3 or 4 some not valid (DTD, schema); anything else is a failure to run. */
const RAN = new Set([0, 3, 4]);
/** Messages per xmllint run, at most. */
const BATCH = 64;

interface Waiting { message: string; resolve: () => void; reject: (e: Error) => void }

export class SchemaValidator {
  #worker: Worker | undefined;
  #running: Waiting[] | undefined;
  #queue: Waiting[] = [];
  readonly #schemas = SCHEMA_FILES.map((fileName) => ({ fileName, contents: readFileSync(new URL(`./schemas/${fileName}`, import.meta.url), 'utf8') }));

  /** Refuses a message that does not follow the SAML 2.0 protocol schema (SamlError naming the first problem). */
  validate(message: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      if (!this.#running) this.#run();
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./assets/schema-worker.cjs', import.meta.url));
    worker.on('message', (m: { exitCode: number; stderr: string }) => this.#finish(m));
    const fail = (err: Error) => {
      this.#worker = undefined;
      for (const w of [...this.#running ?? [], ...this.#queue]) w.reject(err);
      this.#running = undefined;
      this.#queue = [];
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the schema worker exited (${code})`)));
    this.#worker = worker;
    return worker;
  }

  #run() {
    const batch = this.#queue.splice(0, BATCH);
    if (batch.length === 0) {
      this.#running = undefined;
      this.#worker?.unref(); // idle: it does not keep the process alive
      return;
    }
    this.#running = batch;
    const worker = this.#start();
    worker.ref();
    const files = batch.map((w, i) => ({ fileName: `message-${i}.xml`, contents: w.message }));
    worker.postMessage({
      [TAG]: true,
      inputFiles: [...files, ...this.#schemas],
      args: ['--nonet', '--schema', SCHEMA_FILES[0]!, '--noout', ...files.map((f) => f.fileName)],
    });
  }

  #finish({ exitCode, stderr }: { exitCode: number; stderr: string }) {
    const batch = this.#running ?? [];
    const lines = stderr.split('\n');
    batch.forEach((w, i) => {
      const file = `message-${i}.xml`;
      if (!RAN.has(exitCode)) return w.reject(new Error(`schema validation could not run (xmllint exit ${exitCode}): ${stderr.trim().slice(0, 300)}`));
      if (lines.includes(`${file} validates`)) return w.resolve();
      const first = lines.find((l) => l.startsWith(`${file}:`))?.replace(/^message-\d+\.xml:\d+: /, '') ?? 'not valid';
      w.reject(new SamlError(`the message does not follow the SAML 2.0 schema: ${first}`));
    });
    this.#run();
  }

  async close() {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }
}
