import Router from '@koa/router';
import type { RouteDeps } from '../http/routes.ts';
import { principalResolver, requireManagementAccess } from './access.ts';
import { auditRoutes, auditWrites } from './audit.ts';
import { clientRoutes } from './clients.ts';
import { logoutRoutes } from './logouts.ts';
import { sessionPreviewRoutes, sessionRoutes } from './sessions.ts';
import { applicationRoutes } from './applications.ts';
import { overviewRoutes } from './overview.ts';
import { userRoutes } from './users.ts';

/** One router per server (by its storage): the console's way to the API is this same router, so its figures are computed once. */
const built = new WeakMap<object, Router>();

/** The management API under /api/v1 (README: "Management API"). */
export function managementRoutes(deps: Pick<RouteDeps, 'config' | 'provider' | 'storage' | 'ender' | 'propagation'>): Router {
  let router = built.get(deps.storage);
  if (!router) built.set(deps.storage, (router = buildRoutes(deps)));
  return router;
}

function buildRoutes({ config, provider, storage, ender, propagation }: Pick<RouteDeps, 'config' | 'provider' | 'storage' | 'ender' | 'propagation'>): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.use(auditWrites(storage));
  router.use(requireManagementAccess(principalResolver(config, provider, storage)));
  clientRoutes(router, provider, storage, propagation);
  userRoutes(router, config, storage, ender);
  sessionRoutes(router, storage, ender);
  logoutRoutes(router, storage, propagation);
  sessionPreviewRoutes(router, storage, propagation);
  applicationRoutes(router, storage, propagation);
  overviewRoutes(router, storage, propagation);
  auditRoutes(router, storage);
  return router;
}
