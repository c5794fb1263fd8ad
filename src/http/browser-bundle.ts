import { build } from 'esbuild';

/**
 * A browser script written in TypeScript, bundled (esbuild, one IIFE) on first use and kept; a
 * failed build is tried again on the next call.
 */
export function browserBundle(entry: URL): () => Promise<string> {
  let bundle: Promise<string> | undefined;
  return () => {
    bundle ??= build({ entryPoints: [entry.pathname], bundle: true, write: false, format: 'iife', target: 'es2020', minify: true })
      .then((r) => r.outputFiles[0]!.text);
    bundle.catch(() => { bundle = undefined; });
    return bundle;
  };
}
