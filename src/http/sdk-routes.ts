import Router from '@koa/router';
import { buildSdk } from '../../sdk/build.ts';

/** The browser SDK, bundled on first request (esbuild) and kept; any origin may load it. */
export function sdkRoutes(): Router {
  const router = new Router();
  let sdk: Promise<{ esm: string; iife: string }> | undefined;
  for (const [path, kind] of [['/sdk/adieu.js', 'iife'], ['/sdk/adieu.mjs', 'esm']] as const) {
    router.get(path, async (ctx) => {
      if (!sdk) {
        sdk = buildSdk();
        sdk.catch(() => { sdk = undefined; }); // a failed build is retried on the next request
      }
      ctx.type = 'application/javascript';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.body = (await sdk)[kind];
    });
  }
  return router;
}
