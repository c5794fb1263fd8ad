import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SamlError } from './xml.ts';

// Schema validation of inbound SAML messages against the OASIS SAML 2.0 XSDs (and W3C XML-DSig,
// XML-Enc): libxml2's xmllint compiled to WebAssembly (xmllint-wasm), run in one long-lived worker
// thread (assets/schema-worker.cjs) so the event loop never waits on it. A warm validation costs
// ~8 ms of the worker's time; xmllint-wasm's own API starts a worker per call (~140 ms).

const SCHEMA_FILES = ['saml-schema-protocol-2.0.xsd', 'saml-schema-assertion-2.0.xsd', 'xmldsig-core-schema.xsd', 'xenc-schema.xsd', 'XMLSchema.dtd', 'datatypes.dtd'];
const TAG = 'adieu-schema';
/** xmllint's exit codes for "not valid" (3: DTD, 4: schema); anything else is a failure to run. */
const INVALID = new Set([3, 4]);

export class SchemaValidator {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (r: { exitCode: number; stderr: string }) => void; reject: (e: Error) => void }>();
  readonly #schemas = SCHEMA_FILES.map((fileName) => ({ fileName, contents: readFileSync(new URL(`./schemas/${fileName}`, import.meta.url), 'utf8') }));

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./assets/schema-worker.cjs', import.meta.url));
    worker.on('message', (m: { id: number; exitCode: number; stderr: string }) => {
      this.#pending.get(m.id)?.resolve(m);
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
    });
    const fail = (err: Error) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.#worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the schema worker exited (${code})`)));
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  /** Refuses a message that does not follow the SAML 2.0 protocol schema (SamlError naming the first problem). */
  async validate(message: string): Promise<void> {
    const worker = this.#start();
    const id = this.#next++;
    const result = await new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({
        [TAG]: true, id,
        inputFiles: [{ fileName: 'message.xml', contents: message }, ...this.#schemas],
        args: ['--nonet', '--schema', SCHEMA_FILES[0]!, '--noout', 'message.xml'],
      });
    });
    if (result.exitCode === 0) return;
    const first = result.stderr.split('\n').find((l) => l.includes('error'))?.replace(/^message\.xml:\d+: /, '') ?? result.stderr.trim();
    if (INVALID.has(result.exitCode)) throw new SamlError(`the message does not follow the SAML 2.0 schema: ${first}`);
    throw new Error(`schema validation could not run (xmllint exit ${result.exitCode}): ${first}`);
  }

  async close() {
    await this.#worker?.terminate();
    this.#worker = undefined;
  }
}
