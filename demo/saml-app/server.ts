import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Profile, SAML } from '@node-saml/node-saml';
import type { Context } from 'koa';
import { readForm } from '../../src/http/body.ts';
import { escapeHtml as e } from '../../src/http/html.ts';
import { generateSigningCredentials } from '../../src/saml/idp-credentials.ts';
import { serveDemoApp } from '../listen.ts';
import { nodeSamlFor } from './node-saml.ts';

/**
 * A demo SAML application ("Fabrikam Helpdesk"): a SAML 2.0 SP built on @node-saml/node-saml with
 * its own local sessions. It signs in through Adieu (signed AuthnRequest, Redirect binding; the
 * Response over POST) and takes Single Logout over Redirect: a LogoutRequest from Adieu ends the
 * session it names (NameID + SessionIndex) and is answered with a signed LogoutResponse.
 */
export interface SamlAppOptions {
  name: string;
  tagline: string;
  clientId: string;
  port: number;
  issuer: string;
  accent?: string;
  /** The binding of its Single Logout service (default HTTP-Redirect). */
  sloBinding?: 'HTTP-Redirect' | 'HTTP-POST';
  /**
   * Like many SPs, find the session a LogoutRequest ends by the browser's session cookie (kept
   * SameSite=Lax), not by NameID alone: in a cross-site frame it then sees no session and answers so.
   */
  sessionByCookie?: boolean;
  /** Registered with frontchannel_mode (frame by default). */
  frontchannelMode?: 'frame' | 'top_level';
}

interface LocalSession { id: string; profile: Profile; at: number }

export async function startSamlApp(o: SamlAppOptions) {
  const origin = `http://localhost:${o.port}`;
  const cookie = `demo_${o.port}_session`;
  const sessions = new Map<string, LocalSession>();
  const logoutEvents: { at: number; ended: number }[] = [];
  const credentials = await generateSigningCredentials(o.name);
  const entityId = `${origin}/saml/metadata`;
  let saml: Promise<SAML> | undefined;
  // fetched when first needed: the IdP may start after the application
  const sp = () => {
    saml ??= nodeSamlFor({ issuer: o.issuer, clientId: o.clientId, entityId, acs: `${origin}/saml/acs`, credentials, nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
    saml.catch(() => { saml = undefined; });
    return saml;
  };
  const cookieOpts = { httpOnly: true, sameSite: o.sessionByCookie ? 'lax' as const : 'none' as const, secure: true, path: '/', overwrite: true };
  const current = (ctx: Context) => {
    const id = ctx.cookies.get(cookie);
    return id ? sessions.get(id) : undefined;
  };

  const layout = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title>
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f7f9;color:#1b1f24}header{background:${o.accent ?? '#b45309'};color:#fff;padding:1rem 2rem}
header h1{margin:0;font-size:1.3rem}main{max-width:46rem;margin:2rem auto;padding:0 1rem}.card{background:#fff;border:1px solid #d0d5dd;border-radius:12px;padding:1.5rem}
button,.button{display:inline-block;padding:.6rem 1.1rem;border:0;border-radius:8px;background:${o.accent ?? '#b45309'};color:#fff;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}</style></head>
<body><header><h1>${e(o.name)}</h1><div>${e(o.tagline)} · a SAML 2.0 application</div></header><main><div class="card">${body}</div></main></body></html>`;

  const router = new Router();
  router.get('/', (ctx) => {
    const s = current(ctx);
    ctx.type = 'html';
    ctx.body = s
      ? layout(o.name, `<h2 id="status">Signed in as <span id="user">${e(s.profile.nameID)}</span></h2>
        <dl><dt>NameID format</dt><dd>${e(s.profile.nameIDFormat)}</dd><dt>SessionIndex</dt><dd><code>${e(s.profile.sessionIndex)}</code></dd></dl>
        <p><a class="button" id="sign-out" href="/saml/logout">Sign-out</a></p>`)
      : layout(o.name, `<h2 id="status">You are not signed in</h2><p>${e(o.tagline)}</p><a class="button" id="sign-in" href="/saml/login">Sign in</a>`);
  });

  router.get('/saml/login', async (ctx) => {
    ctx.redirect(await (await sp()).getAuthorizeUrlAsync('/', undefined, {}));
  });

  router.post('/saml/acs', async (ctx) => {
    const { profile } = await (await sp()).validatePostResponseAsync(await readForm(ctx, 256 * 1024));
    if (!profile) ctx.throw(400, 'no assertion in the response');
    const id = randomBytes(18).toString('base64url');
    sessions.set(id, { id, profile: profile!, at: Date.now() });
    ctx.cookies.set(cookie, id, cookieOpts);
    ctx.redirect('/');
  });

  // SP-initiated Single Logout: a signed LogoutRequest to Adieu, which signs Mary out everywhere
  router.get('/saml/logout', async (ctx) => {
    const s = current(ctx);
    if (!s) return ctx.redirect('/');
    ctx.redirect(await (await sp()).getLogoutUrlAsync(s.profile, '/', {}));
  });

  /** Ends the sessions a LogoutRequest names (NameID, and SessionIndex if given) and answers it over Redirect. */
  async function answerLogoutRequest(ctx: Context, saml: SAML, profile: Profile, relayState: unknown) {
    let ended = 0;
    const visible = current(ctx);
    for (const [id, s] of sessions) {
      if (o.sessionByCookie && s !== visible) continue;
      if (s.profile.nameID === profile.nameID && (!profile.sessionIndex || s.profile.sessionIndex === profile.sessionIndex)) {
        sessions.delete(id);
        ended++;
      }
    }
    logoutEvents.push({ at: Date.now(), ended });
    ctx.redirect(await saml.getLogoutResponseUrlAsync(profile, typeof relayState === 'string' ? relayState : '', {}, ended > 0));
  }

  // Adieu's LogoutRequest (it ends the session it names), or its LogoutResponse to ours
  router.get('/saml/slo', async (ctx) => {
    const saml = await sp();
    const { profile, loggedOut } = await saml.validateRedirectAsync(ctx.query as Record<string, string>, ctx.querystring);
    if (ctx.query.SAMLResponse !== undefined) {
      const s = current(ctx);
      if (loggedOut && s) sessions.delete(s.id);
      ctx.cookies.set(cookie, null, cookieOpts);
      return ctx.redirect('/');
    }
    await answerLogoutRequest(ctx, saml, profile!, ctx.query.RelayState);
  });

  // the same LogoutRequest over the POST binding (for an IdP that posts it)
  router.post('/saml/slo', async (ctx) => {
    const saml = await sp();
    const form = await readForm(ctx, 256 * 1024);
    const { profile } = await saml.validatePostRequestAsync(form);
    await answerLogoutRequest(ctx, saml, profile!, form.RelayState);
  });

  const server = await serveDemoApp(router, o.port, (message) => layout(`${o.name}: error`, `<h2>Something went wrong</h2><p>${e(message)}</p><a class="button" href="/">Back</a>`));
  return {
    url: origin,
    sessions,
    logoutEvents,
    /** The registration Adieu gets for it (SAML metadata names). */
    registration: {
      client_id: o.clientId,
      client_name: o.name,
      saml: {
        entity_id: entityId,
        assertion_consumer_services: [{ binding: 'HTTP-POST', location: `${origin}/saml/acs` }],
        single_logout_services: [{ binding: o.sloBinding ?? 'HTTP-Redirect', location: `${origin}/saml/slo` }],
        signing_certificates: [credentials.certificate_pem],
        name_id_format: 'email',
        ...(o.frontchannelMode ? { frontchannel_mode: o.frontchannelMode } : {}),
      },
    },
    close: server.close,
  };
}

export type SamlApp = Awaited<ReturnType<typeof startSamlApp>>;
