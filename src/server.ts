import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import type Provider from 'oidc-provider';
import pino, { type Logger } from 'pino';
import { readSettingFile } from './config/load.ts';
import { consoleRoutes } from './console/routes.ts';
import { SelfFetch } from './console/self-fetch.ts';
import { CONSOLE_CLIENT_ID, consoleClient } from './console/client.ts';
import type { AdieuConfig } from './config/schema.ts';
import { UpstreamConnection } from './connections/upstream.ts';
import { errorHandler, securityHeaders } from './http/errors.ts';
import { acceptJsonBodies } from './http/json-form.ts';
import { pinRequestOrigin } from './http/origin.ts';
import { Problem } from './http/problem.ts';
import type { RouteDeps, RouteModule } from './http/routes.ts';
import { sdkRoutes } from './http/sdk-routes.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { logoutPageRoutes } from './logout/page.ts';
import { LogoutPropagation } from './logout/propagation.ts';
import { v2LogoutRoutes } from './logout/v2-logout.ts';
import { clientRegistration, validateClient } from './management/clients.ts';
import { openApiRoutes } from './management/openapi.ts';
import { managementRoutes } from './management/router.ts';
import { publicMetricsRoutes, startMetricsListener } from './metrics/endpoint.ts';
import { providerAssetRoutes } from './provider/assets.ts';
import { loadCookieKeys } from './provider/cookie-keys.ts';
import { loadSigningKeys } from './provider/keys.ts';
import { createProvider, PROVIDER_ROUTES, ROUTE_ALIASES } from './provider/provider.ts';
import { auth0AuthorizeRoutes } from './provider/auth0-authorize.ts';
import { inRequestScope } from './provider/request-scope.ts';
import { samlSloRoutes } from './saml/endpoints/slo.ts';
import { samlSsoRoutes } from './saml/endpoints/sso.ts';
import { loadIdpCredentials } from './saml/idp-credentials.ts';
import { SamlIdp } from './saml/idp.ts';
import { registerConfigClient, startMetadataRefresh, type Register } from './saml/metadata-refresh.ts';
import { createSessionEnder, type SessionEnder } from './sessions/end-session.ts';
import { startExpirySweeper } from './sessions/expiry.ts';
import { installSessionRecorder } from './sessions/recorder.ts';
import { ssoDataRoutes } from './sessions/ssodata.ts';
import { openStorage } from './storage/open.ts';
import type { Storage } from './storage/types.ts';
import { createUser } from './users/accounts.ts';

const healthRoutes: RouteModule = () => new Router().get('/health', (ctx) => { ctx.body = { status: 'ok' }; });

/** Every route module, in the order they are tried; oidc-provider's own endpoints come after. */
const ROUTE_MODULES: RouteModule[] = [
  healthRoutes,
  auth0AuthorizeRoutes,
  ssoDataRoutes,
  sdkRoutes,
  providerAssetRoutes,
  interactionRoutes,
  v2LogoutRoutes,
  logoutPageRoutes,
  samlSsoRoutes,
  samlSloRoutes,
  ({ config }) => openApiRoutes(config),
  managementRoutes,
  consoleRoutes,
  publicMetricsRoutes,
];

export interface AdieuServer {
  config: AdieuConfig;
  url: string;
  provider: Provider;
  storage: Storage;
  ender: SessionEnder;
  propagation: LogoutPropagation;
  /** Logout events: logout.started, delivery.succeeded, delivery.retrying, delivery.failed, logout.completed */
  events: LogoutPropagation['events'];
  logger: Logger;
  server: Server;
  /** Where /metrics is served on its own listener (config metrics.listen), if it is. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** The key and certificate chain Adieu serves TLS with. */
function readTls(tls: NonNullable<AdieuConfig['tls']>) {
  return { key: readSettingFile('tls.key_file', tls.key_file), cert: readSettingFile('tls.cert_file', tls.cert_file) };
}

/** Writes what the config declares into storage: connections, clients, and missing users. */
async function applyConfig(config: AdieuConfig, storage: Storage, provider: Provider, register: Register, logger: Logger) {
  for (const c of config.connections) {
    const { name, type, strategy, ...options } = c;
    if ('client_secret' in options) delete options.client_secret; // secrets stay in config/env
    await storage.putConnection({ name, type, strategy, options });
  }
  for (const client of config.clients) {
    const metadata = await registerConfigClient(client, await storage.getClient(client.client_id), register, logger);
    if (metadata) await storage.putClient(client.client_id, metadata, 'config');
  }
  // the console's own registration (console/client.ts), as validated as any other
  await storage.putClient(CONSOLE_CLIENT_ID, await validateClient(provider, await consoleClient(config, storage)), 'config');
  const defaultDatabase = config.connections.find((c) => c.type === 'database')?.name;
  for (const u of config.users) {
    const connection = u.connection ?? defaultDatabase!;
    const existing = await storage.findUser(connection, u.username);
    if (!existing) {
      await createUser(storage, { connection, username: u.username, password: u.password, email: u.email, name: u.name, roles: u.roles });
    } else if (u.roles && [...u.roles].sort().join() !== [...existing.roles].sort().join()) {
      await storage.updateUser(existing.id, { roles: u.roles });
    }
  }
}

export async function startAdieu(config: AdieuConfig, options: { logger?: Logger } = {}): Promise<AdieuServer> {
  const logger = options.logger ?? pino({ level: config.log_level, name: 'adieu' });
  const storage = await openStorage(config.storage, (err) => logger.warn({ err }, 'storage error; recovering'));
  try {
    const [signingKeys, cookieKeys, samlCredentials] = await Promise.all([
      loadSigningKeys(storage),
      loadCookieKeys(storage, config.secrets.cookie_keys),
      loadIdpCredentials(storage, config.issuer),
    ]);
    const saml = new SamlIdp(config, storage, samlCredentials);
    const provider = createProvider({
      config, storage, signingKeys, cookieKeys,
      onReplay: (replay) => logger.warn({ event: 'token.replayed', model: replay.model, client_id: replay.clientId, grant_id: replay.grantId }, 'a code or refresh token was used twice: its grant is revoked'),
    });
    provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc-provider server error'));
    const propagation = await LogoutPropagation.create(storage, config, signingKeys, saml, logger);
    const register = clientRegistration(provider, propagation);
    await applyConfig(config, storage, provider, register, logger);

    const ender = createSessionEnder(storage, logger, propagation);
    installSessionRecorder(provider, storage, ender, config.connections);
    propagation.start();

    const upstreams = new Map(config.connections.filter((c) => c.type === 'oidc')
      .map((c) => [c.name, new UpstreamConnection(c, `${config.base_url}/login/callback/${encodeURIComponent(c.name)}`)]));

    const selfFetch = new SelfFetch();
    const deps: RouteDeps = { config, provider, storage, ender, propagation, upstreams, saml, logger, selfFetch };
    const routers = ROUTE_MODULES.map((routes) => routes(deps));

    const app = new Koa({ proxy: config.trust_proxy });
    pinRequestOrigin(app.request, config.issuer);
    // what each request loaded of oidc-provider Sessions, for their merge on save (provider/adapter.ts)
    app.use((_ctx, next) => inRequestScope(next));
    app.use(errorHandler(logger));
    app.use(securityHeaders);
    app.use(async (ctx, next) => {
      // oidc-provider's default paths stay reachable as aliases of the Auth0-style ones
      const canonical = ROUTE_ALIASES[ctx.path];
      if (canonical) ctx.req.url = canonical + (ctx.querystring ? `?${ctx.querystring}` : '');
      await next();
    });
    for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
    app.use(async (ctx, next) => {
      if (ctx.path.startsWith('/api/')) throw new Problem(404, 'Not found', `no management endpoint ${ctx.method} ${ctx.path}`);
      await next();
    });
    // Auth0 accepts JSON on the token endpoint (auth0-js always sends it); oidc-provider takes forms
    app.use(acceptJsonBodies([PROVIDER_ROUTES.token, PROVIDER_ROUTES.revocation, PROVIDER_ROUTES.introspection], PROVIDER_ROUTES.token));
    const providerCallback = provider.callback();
    app.use(async (ctx) => {
      ctx.respond = false;
      await providerCallback((ctx.state.replayedRequest as typeof ctx.req | undefined) ?? ctx.req, ctx.res);
    });

    const listener = app.callback();
    selfFetch.bind(listener);
    const server = config.tls ? createHttpsServer(readTls(config.tls), listener) : createServer(listener);
    server.keepAliveTimeout = 65_000;
    server.listen(config.port, config.host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const metricsListener = await startMetricsListener(config, propagation.metrics.registry).catch(async (err) => {
      server.close();
      throw err;
    });

    const sweeper = startExpirySweeper(config, storage, ender, propagation.worker, logger);
    const metadataRefresh = startMetadataRefresh(storage, register, logger, config.saml.metadata_refresh_s);

    logger.info({ issuer: config.issuer, port, storage: storage.kind }, 'Adieu is listening');
    return {
      config,
      url: `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      provider,
      storage,
      ender,
      propagation,
      events: propagation.events,
      logger,
      server,
      metricsUrl: metricsListener?.url,
      async close() {
        await sweeper.stop();
        await metadataRefresh.stop();
        for (const s of [server, metricsListener?.server]) {
          if (!s) continue;
          s.closeAllConnections();
          await new Promise<void>((resolve) => s.close(() => resolve()));
        }
        await propagation.stop();
        await saml.close();
        await storage.close();
      },
    };
  } catch (err) {
    await storage.close().catch(() => {});
    throw err;
  }
}
