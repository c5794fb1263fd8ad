import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { AdieuConfig } from '../config/schema.ts';
import type { UpstreamConnection } from '../connections/upstream.ts';
import type { LogoutPropagation } from '../logout/propagation.ts';
import type { SamlIdp } from '../saml/idp.ts';
import type { SessionEnder } from '../sessions/end-session.ts';
import type { SelfFetch } from '../console/self-fetch.ts';
import type { Storage } from '../storage/types.ts';

/** What a route module may use; each takes what it needs of it. */
export interface RouteDeps {
  config: AdieuConfig;
  provider: Provider;
  storage: Storage;
  ender: SessionEnder;
  propagation: LogoutPropagation;
  upstreams: Map<string, UpstreamConnection>;
  saml: SamlIdp;
  logger: Logger;
  /** Requests to Adieu's own handler, in-process (the console's OIDC client). */
  selfFetch: SelfFetch;
}

/** Every route module has this shape, so server.ts mounts them from one table. */
export type RouteModule = (deps: RouteDeps) => Router;
