import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { AdieuConfig } from '../config/schema.ts';
import type { LogoutPropagation } from '../logout/propagation.ts';
import type { SessionEnder } from '../sessions/end-session.ts';
import type { Storage } from '../storage/types.ts';
import { requireAdmin } from './auth.ts';
import { clientRoutes } from './clients.ts';
import { logoutRoutes } from './logouts.ts';
import { sessionRoutes } from './sessions.ts';
import { userRoutes } from './users.ts';

/** The management API under /api/v1 (README: "Management API"). */
export function managementRouter(config: AdieuConfig, provider: Provider, storage: Storage, ender: SessionEnder, propagation: LogoutPropagation): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.use(requireAdmin(config.secrets.admin_token));
  clientRoutes(router, provider, storage, propagation);
  userRoutes(router, config, storage, ender);
  sessionRoutes(router, storage, ender);
  logoutRoutes(router, storage);
  return router;
}
