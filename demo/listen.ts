import { once } from 'node:events';
import { createServer } from 'node:http';
import type Koa from 'koa';

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
