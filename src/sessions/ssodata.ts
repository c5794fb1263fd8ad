import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { RouteDeps } from '../http/routes.ts';
import type { Storage } from '../storage/types.ts';
import { currentSession } from './cookie.ts';

/** The document's getSSOData shape. */
export type SsoData =
  | { sso: false }
  | {
    sso: true;
    sessionClients: string[];
    lastUsedClientID: string | null;
    lastUsedUsername: string;
    lastUsedConnection: { name: string; strategy: string };
  };

function ssoDataHandler(provider: Provider, storage: Storage) {
  return async (ctx: Context) => {
    const origin = ctx.get('origin');
    ctx.vary('Origin');
    ctx.set('Cache-Control', 'no-store');
    if (origin) {
      // only the clients' web_origins may read it cross-origin
      if (!(await storage.isWebOrigin(origin))) {
        ctx.status = 403;
        ctx.body = { error: 'origin_not_allowed', error_description: `origin ${origin} is not an allowed web origin of any application` };
        return;
      }
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', 'GET');
      ctx.status = 204;
      return;
    }
    const session = await currentSession(provider, ctx);
    const record = session && await storage.getSsoSession(session.uid);
    const body: SsoData = record && record.account_id === session!.accountId
      ? {
        sso: true,
        sessionClients: record.clients.map((c) => c.client_id),
        lastUsedClientID: record.last_used_client_id,
        lastUsedUsername: record.username,
        lastUsedConnection: record.connection,
      }
      : { sso: false };
    ctx.body = body;
  };
}

/** GET (and the CORS preflight of) /user/ssodata. */
export function ssoDataRoutes({ provider, storage }: Pick<RouteDeps, 'provider' | 'storage'>): Router {
  const handler = ssoDataHandler(provider, storage);
  return new Router().get('/user/ssodata', handler).options('/user/ssodata', handler);
}
