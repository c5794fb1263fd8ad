// A long-lived worker for SAML schema validation: libxml2's xmllint compiled to WebAssembly
// (xmllint-wasm). xmllint-wasm starts a worker per validation (~140 ms); this one stays, compiles
// the WebAssembly once, and runs xmllint once per message on a fresh instance of it (xmllint is a
// program: one run, one exit).
const { readFileSync } = require('node:fs');
const { parentPort } = require('node:worker_threads');
const Module = require('xmllint-wasm/xmllint-node.js');

// compiled once; each run only instantiates it (Emscripten's instantiateWasm hook)
const compiled = new WebAssembly.Module(readFileSync(require.resolve('xmllint-wasm/xmllint.wasm')));

const TAG = 'adieu-schema';
parentPort.on('message', (data) => {
  if (!data || data[TAG] !== true) return;
  let stderr = '';
  let done = false;
  const finish = (exitCode) => {
    if (done) return;
    done = true;
    parentPort.postMessage({ [TAG]: true, exitCode, stderr });
  };
  Module({
    inputFiles: data.inputFiles,
    arguments: data.args,
    print() {},
    printErr(text) { stderr += `${text}\n`; },
    onExit: finish,
    onAbort(reason) { stderr += `WASM abort: ${reason}\n`; finish(-1); },
    wasmMemory: new WebAssembly.Memory({ initial: 256, maximum: 512 }),
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
      return {};
    },
  });
});
