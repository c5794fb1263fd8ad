import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { Registry } from 'prom-client';
import type { AdieuConfig } from '../config/schema.ts';
import { bearerChecker } from '../http/bearer.ts';
import type { RouteDeps } from '../http/routes.ts';

/**
 * `/metrics` shows traffic, failing applications and queue sizes: not for the public. It is
 * served where the admin chose — a separate listener (`metrics.listen`, a private interface), or
 * the public one behind `secrets.metrics_token` — and nowhere otherwise.
 */
function handler(registry: Registry, token: string | undefined) {
  const matches = bearerChecker(token);
  return async (ctx: Context) => {
    if (matches && !matches(ctx)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="adieu-metrics"');
      ctx.status = 401;
      ctx.body = 'a valid metrics bearer token is required\n';
      return;
    }
    ctx.type = registry.contentType;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await registry.metrics();
  };
}

/** The route on the public listener: only with a token, and only when there is no separate listener. */
export function publicMetricsRoutes({ config, propagation }: Pick<RouteDeps, 'config' | 'propagation'>): Router {
  const router = new Router();
  if (!config.metrics.listen && config.secrets.metrics_token) router.get('/metrics', handler(propagation.metrics.registry, config.secrets.metrics_token));
  return router;
}

/** The separate listener, when configured; a token, if set, is required there too. */
export async function startMetricsListener(config: AdieuConfig, registry: Registry): Promise<{ url: string; server: Server } | undefined> {
  const listen = config.metrics.listen;
  if (!listen) return undefined;
  const app = new Koa();
  const router = new Router().get('/metrics', handler(registry, config.secrets.metrics_token));
  app.use(router.routes()).use(router.allowedMethods());
  const server = createServer(app.callback());
  server.listen(listen.port, listen.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}/metrics`, server };
}
