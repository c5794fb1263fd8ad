import { build } from 'esbuild';

/** Made on first use and kept; a failure is not kept, so the next call tries again. */
export function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    if (!made) {
      made = make();
      made.catch(() => { made = undefined; });
    }
    return made;
  };
}

/** A browser script written in TypeScript, bundled (esbuild, one IIFE) on first use. */
export function browserBundle(entry: URL): () => Promise<string> {
  return onFirstUse(() => build({
    entryPoints: [entry.pathname], bundle: true, write: false, format: 'iife', target: 'es2020', minify: true,
    // the console's pages are Preact components (.tsx)
    jsx: 'automatic', jsxImportSource: 'preact',
  })
    .then((r) => r.outputFiles[0]!.text));
}
