import type { Context } from 'koa';

/**
 * Every absolute URL Adieu emits (discovery, redirects, `iss`, logout URLs) is built from the
 * configured issuer, never from the request's Host or X-Forwarded-Host: an attacker who reaches
 * the server with `Host: evil.example` must not be able to put their origin into discovery or
 * into a token's audience check. Koa derives `ctx.href` (oidc-provider's `urlFor`) from
 * `request.protocol` and `request.host`, so those are pinned on the request prototype.
 * X-Forwarded-For (client IP) is unaffected: `trust_proxy` still governs it.
 */
export function pinRequestOrigin(request: object, issuer: string): void {
  const url = new URL(issuer);
  const fixed: Record<string, string> = {
    protocol: url.protocol.slice(0, -1),
    host: url.host,
    hostname: url.hostname,
    origin: url.origin,
  };
  for (const [name, value] of Object.entries(fixed)) {
    Object.defineProperty(request, name, { get: () => value, configurable: true });
  }
  Object.defineProperty(request, 'secure', { get: () => true, configurable: true });
}

/** Forms post only from Adieu's own pages (SameSite=Lax on the interaction cookie does the rest). */
export function assertSameOrigin(ctx: Context, issuer: string) {
  const origin = ctx.get('origin');
  if (origin && origin !== new URL(issuer).origin) ctx.throw(403, 'cross-origin form submission refused');
}
