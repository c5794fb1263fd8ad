import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const SCRIPTS: Record<string, string> = {
  '/assets/confirm-logout.js': readFileSync(new URL('./assets/confirm-logout.js', import.meta.url), 'utf8'),
  '/assets/saml-post.js': readFileSync(new URL('../saml/assets/saml-post.js', import.meta.url), 'utf8'),
  '/assets/saml-logout-done.js': readFileSync(new URL('../saml/assets/saml-logout-done.js', import.meta.url), 'utf8'),
};

/** Scripts Adieu's server-rendered pages load (their CSP allows 'self' only). */
export function providerAssetRoutes(): Router {
  const router = new Router();
  for (const [path, script] of Object.entries(SCRIPTS)) {
    router.get(path, (ctx) => {
      ctx.type = 'application/javascript';
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = script;
    });
  }
  return router;
}
