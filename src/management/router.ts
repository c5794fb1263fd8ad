import Router from '@koa/router';
import type { RouteDeps } from '../http/routes.ts';
import { requireAdmin } from './auth.ts';
import { clientRoutes } from './clients.ts';
import { logoutRoutes } from './logouts.ts';
import { sessionRoutes } from './sessions.ts';
import { userRoutes } from './users.ts';

/** The management API under /api/v1 (README: "Management API"). */
export function managementRoutes({ config, provider, storage, ender, propagation }: Pick<RouteDeps, 'config' | 'provider' | 'storage' | 'ender' | 'propagation'>): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.use(requireAdmin(config.secrets.admin_token));
  clientRoutes(router, provider, storage, propagation);
  userRoutes(router, config, storage, ender);
  sessionRoutes(router, storage, ender);
  logoutRoutes(router, storage);
  return router;
}
