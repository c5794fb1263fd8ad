import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Context } from 'koa';
import * as client from 'openid-client';
import { readForm } from '../../src/http/body.ts';
import { escapeHtml as e } from '../../src/http/html.ts';
import { serveDemoApp } from '../listen.ts';

/**
 * A demo application: a real OIDC relying party (openid-client 6) with its own local session,
 * a GET logout endpoint (the reference document's requirement), front-channel logout with the
 * iss/sid check, and back-channel logout validated as Back-Channel Logout 1.0 §2.6 says.
 */
export interface DemoAppOptions {
  name: string;
  tagline: string;
  clientId: string;
  clientSecret: string;
  port: number;
  issuer: string;
  /** Where the Sign-out button sends the user: the single-logout application. */
  signOutUrl: string;
  /** The upstream connection to sign in with (the document's FabrikamAD), if any. */
  connection?: string;
  /** Answer the GET logout endpoint this late (to show a red line). */
  logoutDelayMs?: number;
  /** Include adieu-js's confirmation snippet on logout pages (default true). */
  confirm?: boolean;
  accent?: string;
}

interface LocalSession { id: string; claims: Record<string, unknown>; idToken: string; sid?: string; sub: string; at: number }

export async function startDemoApp(o: DemoAppOptions) {
  const origin = `http://localhost:${o.port}`;
  const cookie = `demo_${o.port}_session`;
  const sessions = new Map<string, LocalSession>();
  const pending = new Map<string, { verifier: string; state: string; nonce: string }>();
  const logoutEvents: { channel: string; at: number; ended: number }[] = [];
  let config: Promise<client.Configuration> | undefined;
  const discovery = () => {
    config ??= client.discovery(new URL(o.issuer), o.clientId, { client_secret: o.clientSecret }, client.ClientSecretBasic(o.clientSecret), { execute: [client.allowInsecureRequests] });
    config.catch(() => { config = undefined; });
    return config;
  };
  const jwks = createRemoteJWKSet(new URL(`${o.issuer}/.well-known/jwks.json`));
  const seenJti = new Set<string>();

  const cookieOpts = { httpOnly: true, sameSite: 'none' as const, secure: true, path: '/', overwrite: true };
  const current = (ctx: Context) => {
    const id = ctx.cookies.get(cookie);
    return id ? sessions.get(id) : undefined;
  };
  const endWhere = (match: (s: LocalSession) => boolean) => {
    let n = 0;
    for (const [id, s] of sessions) if (match(s)) { sessions.delete(id); n++; }
    return n;
  };

  const layout = (title: string, body: string, extraHead = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title>${extraHead}
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f7f9;color:#1b1f24}header{background:${o.accent ?? '#2456d3'};color:#fff;padding:1rem 2rem}
header h1{margin:0;font-size:1.3rem}main{max-width:46rem;margin:2rem auto;padding:0 1rem}.card{background:#fff;border:1px solid #d0d5dd;border-radius:12px;padding:1.5rem}
button,.button{display:inline-block;padding:.6rem 1.1rem;border:0;border-radius:8px;background:${o.accent ?? '#2456d3'};color:#fff;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
pre{background:#0f172a;color:#e2e8f0;padding:1rem;border-radius:8px;overflow:auto;font-size:.85rem}</style></head>
<body><header><h1>${e(o.name)}</h1><div>${e(o.tagline)}</div></header><main><div class="card">${body}</div></main></body></html>`;

  // The logout page this application shows in the logout frames; with the SDK snippet it tells
  // the framing page whether it really found a session to end.
  const loggedOutPage = (ended: boolean) => layout(`Signed out of ${o.name}`, `<h2 id="status">${ended ? `Signed out of ${e(o.name)}` : 'No session here'}</h2>`,
    o.confirm === false ? '' : `<script src="${e(o.issuer)}/sdk/adieu.js"></script><script>adieu.confirmLogout(${ended ? "'signed_out'" : "'no_session'"});</script>`);

  const router = new Router();
  router.get('/', (ctx) => {
    const s = current(ctx);
    ctx.type = 'html';
    if (!s) {
      ctx.body = layout(o.name, `<h2 id="status">You are not signed in</h2><p>${e(o.tagline)}</p><a class="button" id="sign-in" href="/login">Sign in</a>`);
      return;
    }
    const payload = JSON.stringify(s.claims, null, 2);
    ctx.body = layout(o.name, `<h2 id="status">Signed in as <span id="user">${e(s.claims.email ?? s.claims.preferred_username ?? s.sub)}</span></h2>
      ${o.tagline.includes('JWT') ? `<h3>Your ID token</h3><pre id="id-token">${e(s.idToken)}</pre><h3>Decoded</h3><pre id="claims">${e(payload)}</pre>` : `<p>Welcome back. Session started ${e(new Date(s.at).toLocaleTimeString())}.</p>`}
      <form method="post" action="/signout"><button type="submit" id="sign-out">Sign-out</button></form>`);
  });

  router.get('/login', async (ctx) => {
    const c = await discovery();
    const tx = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
    pending.set(tx.state, tx);
    const url = client.buildAuthorizationUrl(c, {
      redirect_uri: `${origin}/callback`, scope: 'openid email profile', state: tx.state, nonce: tx.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(tx.verifier), code_challenge_method: 'S256',
      ...(o.connection ? { connection: o.connection } : {}),
    });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const state = String(ctx.query.state ?? '');
    const tx = pending.get(state);
    if (!tx) ctx.throw(400, 'unknown sign-in; start again');
    pending.delete(state);
    const tokens = await client.authorizationCodeGrant(await discovery(), new URL(ctx.href.replace(/^http:\/\/[^/]+/, origin)), {
      pkceCodeVerifier: tx!.verifier, expectedState: tx!.state, expectedNonce: tx!.nonce,
    });
    const idClaims = tokens.claims()!;
    const userinfo = await client.fetchUserInfo(await discovery(), tokens.access_token, idClaims.sub);
    const id = randomBytes(18).toString('base64url');
    sessions.set(id, { id, claims: { ...userinfo, ...idClaims }, idToken: tokens.id_token!, sid: idClaims.sid as string | undefined, sub: idClaims.sub, at: Date.now() });
    ctx.cookies.set(cookie, id, cookieOpts);
    ctx.redirect('/');
  });

  router.post('/signout', (ctx) => {
    ctx.status = 303;
    ctx.redirect(`${o.signOutUrl}${o.signOutUrl.includes('?') ? '&' : '?'}from=${encodeURIComponent(o.clientId)}`);
  });

  // The legacy GET logout endpoint the single-logout application frames.
  router.get('/logout', async (ctx) => {
    if (o.logoutDelayMs) await new Promise((r) => setTimeout(r, o.logoutDelayMs));
    const s = current(ctx);
    if (s) sessions.delete(s.id);
    ctx.cookies.set(cookie, null, cookieOpts);
    logoutEvents.push({ channel: 'legacy_get', at: Date.now(), ended: s ? 1 : 0 });
    ctx.type = 'html';
    ctx.body = loggedOutPage(!!s);
  });

  // OIDC Front-Channel Logout 1.0: iss and sid identify the session, no cookie needed for that.
  router.get('/frontchannel-logout', async (ctx) => {
    if (o.logoutDelayMs) await new Promise((r) => setTimeout(r, o.logoutDelayMs));
    const { iss, sid } = ctx.query;
    if (iss !== undefined && iss !== o.issuer) ctx.throw(400, 'iss does not match the issuer');
    const cookieSession = current(ctx);
    let ended = typeof sid === 'string' ? endWhere((s) => s.sid === sid) : 0;
    if (cookieSession && sessions.delete(cookieSession.id)) ended++;
    ctx.cookies.set(cookie, null, cookieOpts);
    logoutEvents.push({ channel: 'frontchannel', at: Date.now(), ended });
    ctx.type = 'html';
    // signed out by sid even when the browser hid the cookie from the frame; "no_session" only
    // when neither the cookie nor the sid found a session
    ctx.body = loggedOutPage(ended > 0);
  });

  // OIDC Back-Channel Logout 1.0 §2.6
  router.post('/backchannel-logout', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      const { logout_token: token } = await readForm(ctx);
      const { payload } = await jwtVerify(token ?? '', jwks, { issuer: o.issuer, audience: o.clientId, typ: 'logout+jwt', maxTokenAge: '5 minutes', requiredClaims: ['iat', 'jti', 'events'] });
      if (!payload.sub && !payload.sid) throw new Error('logout token names neither sub nor sid');
      if (typeof (payload.events as any)?.['http://schemas.openid.net/event/backchannel-logout'] !== 'object') throw new Error('not a back-channel logout event');
      if ('nonce' in payload) throw new Error('logout token must not contain nonce');
      if (seenJti.has(payload.jti!)) throw new Error('logout token replayed');
      seenJti.add(payload.jti!);
      const ended = endWhere((s) => (payload.sid ? s.sid === payload.sid : s.sub === payload.sub));
      logoutEvents.push({ channel: 'backchannel', at: Date.now(), ended });
      ctx.status = 200;
      ctx.body = '';
    } catch (err) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: (err as Error).message };
    }
  });

  const server = await serveDemoApp(router, o.port, (message) => layout(`${o.name}: error`, `<h2>Something went wrong</h2><p>${e(message)}</p><a class="button" href="/">Back</a>`));
  return { url: origin, sessions, logoutEvents, close: server.close };
}

export type DemoApp = Awaited<ReturnType<typeof startDemoApp>>;
