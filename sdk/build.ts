import { build, type BuildOptions } from 'esbuild';

const entry = new URL('./src/index.ts', import.meta.url).pathname;

/** Builds adieu-js in memory: an ES module and a single script file exposing `window.adieu`. */
export async function buildSdk(): Promise<{ esm: string; iife: string }> {
  const common: BuildOptions & { write: false } = { entryPoints: [entry], bundle: true, write: false, target: 'es2020', minify: true, sourcemap: false };
  const [esm, iife] = await Promise.all([
    build({ ...common, format: 'esm' }),
    build({ ...common, format: 'iife', globalName: 'adieu' }),
  ]);
  return { esm: esm.outputFiles[0]!.text, iife: iife.outputFiles[0]!.text };
}

// `npm run build:sdk` writes sdk/dist/adieu.mjs and sdk/dist/adieu.js
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const out = new URL('./dist/', import.meta.url);
  mkdirSync(out, { recursive: true });
  const { esm, iife } = await buildSdk();
  writeFileSync(new URL('adieu.mjs', out), esm);
  writeFileSync(new URL('adieu.js', out), iife);
  console.log(`sdk/dist/adieu.mjs ${esm.length} bytes, sdk/dist/adieu.js ${iife.length} bytes`);
}
