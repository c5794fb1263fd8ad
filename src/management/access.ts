import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { AdieuConfig } from '../config/schema.ts';
import { bearerChecker } from '../http/bearer.ts';
import { Problem } from '../http/problem.ts';
import type { Storage } from '../storage/types.ts';

// Who may use the management API and for what. Three kinds of credential, one check:
// - the static admin token (automation that predates scoped tokens): every scope;
// - client-credentials tokens (machine clients with management_scopes, Auth0's "client grant");
// - tokens a person holding a console role got through the console's sign-in.
// Tokens are opaque and stored (oidc-provider's AccessToken/ClientCredentials models), so ending
// the admin's session revokes the console's token with everything else issued in it.

export const READ = 'read:management';
export const WRITE = 'write:management';
export const MANAGEMENT_SCOPES = [READ, WRITE] as const;

/** Console roles and the management scopes each grants (roles are assigned in config, the API and the console). */
export const ROLES: Record<string, readonly string[]> = {
  admin: [READ, WRITE],
  auditor: [READ],
};
export const ROLE_NAMES = Object.keys(ROLES) as [string, ...string[]];

/** The management API's audience (resource indicator), Auth0's form: https://TENANT/api/v2/. */
export const managementAudience = (config: Pick<AdieuConfig, 'base_url'>) => `${config.base_url}/api/v1/`;

/** The scopes these roles grant. */
export function scopesForRoles(roles: readonly string[]): Set<string> {
  return new Set(roles.flatMap((r) => ROLES[r] ?? []));
}

/** Reading needs read:management; anything that changes state needs write:management. */
export function requiredScope(method: string): string {
  return method === 'GET' || method === 'HEAD' ? READ : WRITE;
}

export interface Principal {
  /** `token:admin`, `client:<client_id>` or `user:<user id>`: what the audit log records. */
  actor: string;
  scopes: Set<string>;
}

/** Resolves a bearer credential to who holds it and what it may do now, or undefined. */
export function principalResolver(config: AdieuConfig, provider: Provider, storage: Storage) {
  const isAdminToken = bearerChecker(config.secrets.admin_token);
  const audience = managementAudience(config);
  const forAudience = (aud: unknown) => (Array.isArray(aud) ? aud.includes(audience) : aud === audience);

  return async (ctx: Context): Promise<Principal | undefined> => {
    if (isAdminToken?.(ctx)) return { actor: 'token:admin', scopes: new Set(MANAGEMENT_SCOPES) };
    const token = /^Bearer ([\x21-\x7e]{20,512})$/.exec(ctx.get('authorization'))?.[1];
    if (!token) return undefined;
    const userToken = await provider.AccessToken.find(token);
    if (userToken && forAudience(userToken.aud) && userToken.accountId) {
      // the roles held now, not when the token was issued: a role taken away ends its use at once
      const user = await storage.getUser(userToken.accountId);
      const held = scopesForRoles(user?.roles ?? []);
      return { actor: `user:${userToken.accountId}`, scopes: new Set([...userToken.scopes].filter((s) => held.has(s))) };
    }
    const clientToken = await provider.ClientCredentials.find(token);
    if (clientToken?.clientId && forAudience(clientToken.aud)) {
      // the client's management_scopes now: narrowing them (or deleting the client) takes effect at once
      const client = await storage.getClient(clientToken.clientId);
      const allowed = new Set<string>(client?.metadata.management_scopes ?? []);
      return { actor: `client:${clientToken.clientId}`, scopes: new Set([...clientToken.scopes].filter((s) => allowed.has(s))) };
    }
    return undefined;
  };
}

/**
 * The management API's gate: a credential (RFC 6750 errors in WWW-Authenticate) holding the scope
 * the method needs. Without an admin token configured the API still serves scoped tokens.
 */
export function requireManagementAccess(resolve: ReturnType<typeof principalResolver>) {
  return async (ctx: Context, next: Next) => {
    const principal = await resolve(ctx);
    if (!principal) {
      ctx.set('WWW-Authenticate', `Bearer realm="adieu-management"${ctx.get('authorization') ? ', error="invalid_token"' : ''}`);
      throw new Problem(401, 'Unauthorized', 'a valid bearer token for the management API is required (the admin token, or an access token for its audience)');
    }
    ctx.state.principal = principal;
    const scope = requiredScope(ctx.method);
    if (!principal.scopes.has(scope)) {
      ctx.set('WWW-Authenticate', `Bearer realm="adieu-management", error="insufficient_scope", scope="${scope}"`);
      throw new Problem(403, 'Forbidden', `this needs the ${scope} scope; the credential has ${[...principal.scopes].join(' ') || 'none'}`);
    }
    await next();
  };
}
