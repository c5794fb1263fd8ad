import type { Context } from 'koa';
import type Provider from 'oidc-provider';

/** The oidc-provider Session behind this browser's SSO cookie, if it is live and signed in. */
export async function currentSession(provider: Provider, ctx: Context) {
  const session = await provider.Session.get(ctx as any);
  return session.accountId ? session : undefined;
}

/** Clears the SSO cookie (and its signature cookie) with the options it was set with. */
export function clearSessionCookie(provider: Provider, ctx: Context) {
  const cookies = provider.createContext(ctx.req, ctx.res).cookies;
  cookies.secure = true;
  cookies.set(provider.cookieName('session'), null, { httpOnly: true, sameSite: 'none', secure: true, signed: true, path: '/' });
}
