import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import { sameSecret } from '../http/bearer.ts';
import { browserBundle } from '../http/browser-bundle.ts';
import { PageError } from '../http/errors.ts';
import { escapeHtml, html, sendPage } from '../http/html.ts';
import { Problem } from '../http/problem.ts';
import type { RouteDeps } from '../http/routes.ts';
import { managementAudience, MANAGEMENT_SCOPES, READ } from '../management/access.ts';
import { managementRoutes } from '../management/router.ts';
import { PROVIDER_ROUTES } from '../provider/provider.ts';
import { CONSOLE_CLIENT_ID, consoleUrls } from './client.ts';

// The admin console, served under /admin: a first-party OIDC client of Adieu itself with a
// server-side session (the "backend for frontend" of OAuth 2.0 for Browser-Based Apps §6.1):
// the browser holds only an HttpOnly, SameSite=Strict cookie; its access token for the management
// API stays here, and the page's requests to /admin/api/v1/* go to the management API with it.

const LOGIN_TTL_S = 600;
/** However active, an admin signs in again after this long. */
const SESSION_TTL_S = 8 * 3600;
const SESSION_MODEL = 'ConsoleSession';
const LOGIN_MODEL = 'ConsoleLogin';

interface ConsoleSession {
  account_id: string;
  name: string;
  access_token: string;
  refresh_token: string | null;
  /** epoch seconds */
  access_expires_at: number;
  scope: string;
  csrf: string;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const consoleScript = browserBundle(new URL('./app/main.tsx', import.meta.url));
const consoleStyle = readFileSync(new URL('./app/console.css', import.meta.url), 'utf8');

export function consoleRoutes(deps: RouteDeps): Router {
  const { config, storage, selfFetch } = deps;
  const router = new Router({ prefix: '/admin' });
  const urls = consoleUrls(config);
  const cookie = { session: `${config.cookie_prefix}_console`, login: `${config.cookie_prefix}_console_login` };
  const management = managementRoutes(deps).routes();

  // the console's view of its own IdP: no discovery request needed, the URLs are Adieu's own
  let client: Promise<oidc.Configuration> | undefined;
  const oidcClient = () => (client ??= (async () => {
    const metadata = (await storage.getClient(CONSOLE_CLIENT_ID))!.metadata;
    const c = new oidc.Configuration({
      issuer: config.issuer,
      authorization_endpoint: `${config.base_url}${PROVIDER_ROUTES.authorization}`,
      token_endpoint: `${config.base_url}${PROVIDER_ROUTES.token}`,
      revocation_endpoint: `${config.base_url}${PROVIDER_ROUTES.revocation}`,
      jwks_uri: `${config.base_url}${PROVIDER_ROUTES.jwks}`,
    }, CONSOLE_CLIENT_ID, metadata.client_secret);
    c[oidc.customFetch] = (url, options) => selfFetch.fetch(url, options as RequestInit);
    // requests never leave the process (SelfFetch); an http issuer is a development install
    if (new URL(config.issuer).protocol === 'http:') oidc.allowInsecureRequests(c);
    return c;
  })());

  function setCookie(ctx: Context, name: string, value: string, maxAge_s: number, sameSite: 'Strict' | 'Lax') {
    ctx.append('Set-Cookie', `${name}=${value}; Path=/admin; Max-Age=${maxAge_s}; HttpOnly; Secure; SameSite=${sameSite}`);
  }

  async function currentSession(ctx: Context): Promise<{ id: string; session: ConsoleSession } | undefined> {
    const id = ctx.cookies.get(cookie.session);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = await storage.findPayload(SESSION_MODEL, id) as ConsoleSession | undefined;
    return session && { id, session };
  }

  async function endSession(ctx: Context, id: string | undefined) {
    if (id) await storage.destroyPayload(SESSION_MODEL, id);
    setCookie(ctx, cookie.session, '', 0, 'Strict');
  }

  /** A fresh access token: refreshed (its grant lives as long as the admin's SSO session) when it is about to expire. */
  async function accessToken(id: string, session: ConsoleSession): Promise<string | undefined> {
    if (session.access_expires_at - 30 > Math.floor(Date.now() / 1000)) return session.access_token;
    if (!session.refresh_token) return undefined;
    try {
      const tokens = await oidc.refreshTokenGrant(await oidcClient(), session.refresh_token, { resource: managementAudience(config) });
      const updated = { ...session, access_token: tokens.access_token, refresh_token: tokens.refresh_token ?? session.refresh_token, access_expires_at: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 600) };
      const stored = await storage.findPayload(SESSION_MODEL, id);
      if (stored) await storage.upsertPayload(SESSION_MODEL, id, updated as never, Math.floor(Date.now() / 1000) + SESSION_TTL_S);
      return updated.access_token;
    } catch {
      return undefined; // the SSO session ended (its refresh token went with it)
    }
  }

  router.get('/login', async (ctx) => {
    // back to a console page only: a path under /admin, nothing that could leave it
    const asked = ctx.query.return_to;
    const returnTo = typeof asked === 'string' && /^\/admin(\/[\w\-./%?=&]*)?$/.test(asked) && !asked.includes('..') && !asked.includes('//') ? asked : '/admin';
    const state = oidc.randomState();
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    await storage.upsertPayload(LOGIN_MODEL, state, { verifier, nonce, return_to: returnTo }, Math.floor(Date.now() / 1000) + LOGIN_TTL_S);
    // Lax: the callback is a top-level navigation from the sign-in pages
    setCookie(ctx, cookie.login, state, LOGIN_TTL_S, 'Lax');
    ctx.redirect(oidc.buildAuthorizationUrl(await oidcClient(), {
      redirect_uri: urls.callback,
      scope: `openid profile ${MANAGEMENT_SCOPES.join(' ')}`,
      resource: managementAudience(config),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).href);
  });

  router.get('/callback', async (ctx) => {
    const state = ctx.cookies.get(cookie.login);
    const login = state ? await storage.findPayload(LOGIN_MODEL, state) as { verifier: string; nonce: string; return_to: string } | undefined : undefined;
    if (!state || !login) throw new PageError(400, 'Console sign-in', 'Sign-in expired', 'This sign-in to the console was not started here or took too long.', 'Open the console again to sign in.');
    await storage.destroyPayload(LOGIN_MODEL, state);
    setCookie(ctx, cookie.login, '', 0, 'Lax');
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(await oidcClient(), new URL(ctx.originalUrl, config.base_url), { pkceCodeVerifier: login.verifier, expectedState: state, expectedNonce: login.nonce });
    } catch (err) {
      throw new PageError(400, 'Console sign-in', 'Sign-in failed', (err as Error).message, 'Open the console again to sign in.');
    }
    const claims = tokens.claims()!;
    const scope = tokens.scope ?? '';
    if (!scope.split(' ').includes(READ)) {
      // signed in, but not someone the console is for: the token is of no use, revoke it
      await oidc.tokenRevocation(await oidcClient(), tokens.access_token).catch(() => {});
      throw new PageError(403, 'Console', 'Not an administrator', `${String(claims.preferred_username ?? claims.sub)} holds no console role (admin or auditor).`, 'Ask an administrator to give you a role, then open the console again.');
    }
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      account_id: claims.sub, name: String(claims.name ?? claims.preferred_username ?? claims.sub),
      access_token: tokens.access_token, refresh_token: tokens.refresh_token ?? null,
      access_expires_at: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 600), scope, csrf: randomBytes(32).toString('base64url'),
    };
    await storage.upsertPayload(SESSION_MODEL, id, session as never, Math.floor(Date.now() / 1000) + SESSION_TTL_S);
    setCookie(ctx, cookie.session, id, SESSION_TTL_S, 'Strict');
    ctx.redirect(login.return_to);
  });

  /**
   * The page's only way to the management API. Changes need the session's CSRF token in a header
   * (a cross-site form cannot set one) and, where the browser says, a same-origin request.
   */
  router.all('/api/v1/*rest', async (ctx) => {
    const current = await currentSession(ctx);
    if (!current) throw new Problem(401, 'Unauthorized', 'sign in to the console again', { login: '/admin/login' });
    if (!['GET', 'HEAD'].includes(ctx.method)) {
      const token = ctx.get('x-csrf-token');
      const site = ctx.get('sec-fetch-site');
      const origin = ctx.get('origin');
      if (!token || !sameSecret(token, current.session.csrf) || (site && site !== 'same-origin') || (origin && origin !== new URL(config.base_url).origin)) {
        throw new Problem(403, 'Forbidden', 'cross-site request refused: a change needs the console page\'s CSRF token, from the console\'s own origin');
      }
    }
    const token = await accessToken(current.id, current.session);
    if (!token) {
      await endSession(ctx, current.id);
      throw new Problem(401, 'Unauthorized', 'your session ended; sign in to the console again', { login: '/admin/login' });
    }
    ctx.req.headers.authorization = `Bearer ${token}`;
    ctx.path = ctx.path.slice('/admin'.length);
    await management(ctx, async () => {});
    if (ctx.status === 404 && ctx.body === undefined) throw new Problem(404, 'Not found', `no management endpoint ${ctx.method} ${ctx.path}`);
    // the token was revoked (the admin's SSO session ended): so is this console session
    if (ctx.status === 401) await endSession(ctx, current.id);
  });

  router.post('/logout', async (ctx) => {
    const current = await currentSession(ctx);
    if (current && !sameSecret(ctx.get('x-csrf-token') || '-', current.session.csrf)) throw new Problem(403, 'Forbidden', 'cross-site request refused');
    await endSession(ctx, current?.id);
    // signing out of the console is signing out of Adieu: every application the admin used too
    ctx.body = { logout_url: `/v2/logout?client_id=${CONSOLE_CLIENT_ID}&returnTo=${encodeURIComponent(urls.signedOut)}` };
  });

  router.get('/signed-out', (ctx) => {
    sendPage(ctx, 200, 'Signed out', html`<h1>You are signed out</h1><p>You signed out of the ${config.tenant.name} console.</p><a class="button" href="/admin">Sign in again</a>`);
  });

  router.get('/assets/console.js', async (ctx) => {
    ctx.type = 'application/javascript';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = await consoleScript();
  });
  router.get('/assets/console.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = consoleStyle;
  });

  // every other /admin path is a page of the console app (it routes in the browser)
  router.get(['/', '/*page'], async (ctx) => {
    const current = await currentSession(ctx);
    if (!current) return ctx.redirect(`/admin/login?return_to=${encodeURIComponent(ctx.path)}`);
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    const me = { name: current.session.name, user_id: current.session.account_id, scopes: current.session.scope.split(' '), tenant: config.tenant.name };
    ctx.body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="adieu-csrf" content="${escapeHtml(current.session.csrf)}">
<meta name="adieu-me" content="${escapeHtml(JSON.stringify(me))}">
<title>${escapeHtml(config.tenant.name)} console</title>
<link rel="stylesheet" href="/admin/assets/console.css">
<script src="/admin/assets/console.js" defer></script>
</head>
<body><div id="app"><noscript>The console needs JavaScript.</noscript></div></body>
</html>`;
  });

  return router;
}
