import Router from '@koa/router';
import { buildSdk } from '../../sdk/build.ts';
import { onFirstUse } from './browser-bundle.ts';

/** The browser SDK, bundled on first request (esbuild) and kept; any origin may load it. */
export function sdkRoutes(): Router {
  const router = new Router();
  const sdk = onFirstUse(buildSdk);
  for (const [path, kind] of [['/sdk/adieu.js', 'iife'], ['/sdk/adieu.mjs', 'esm']] as const) {
    router.get(path, async (ctx) => {
      ctx.type = 'application/javascript';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.body = (await sdk())[kind];
    });
  }
  return router;
}
