import { once } from 'node:events';
import { createServer } from 'node:http';
import type Router from '@koa/router';
import Koa from 'koa';

/** Serves a demo Koa app on localhost; close() drops keep-alive connections too. */
export async function listen(app: Koa, port: number) {
  const server = createServer(app.callback());
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * A demo application's Koa app around its router: Secure cookies on localhost (a secure context),
 * and an error page (`errorPage(message)`) for whatever a route throws.
 */
export async function serveDemoApp(router: Router, port: number, errorPage: (message: string) => string) {
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.cookies.secure = true; // localhost is a secure context: browsers keep Secure cookies
    try {
      await next();
    } catch (err) {
      const error = err as Error & { status?: number };
      ctx.status = error.status ?? 500;
      ctx.type = 'html';
      ctx.body = errorPage(error.message);
    }
  });
  app.use(router.routes()).use(router.allowedMethods());
  return listen(app, port);
}
