import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const CONFIRM_LOGOUT = readFileSync(new URL('./assets/confirm-logout.js', import.meta.url), 'utf8');

/** Scripts the provider's own pages load (their CSP allows 'self' only). */
export function providerAssetRoutes(): Router {
  const router = new Router();
  router.get('/assets/confirm-logout.js', (ctx) => {
    ctx.type = 'application/javascript';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = CONFIRM_LOGOUT;
  });
  return router;
}
