import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { onFirstUse } from '../http/browser-bundle.ts';
import { PageError } from '../http/errors.ts';
import type { RouteDeps } from '../http/routes.ts';
import type { StoredClient } from '../storage/types.ts';
import { PROVIDER_ROUTES } from './provider.ts';

/** An authorization request Adieu refuses, where there is no trusted place to send the error. */
export class AuthorizeRefused extends PageError {
  constructor(error: string, description: string, advice: string) {
    super(400, error, 'This sign-in asks for something Adieu does not support', `${error}: ${description}.`, advice);
  }
}

const implicitDescription = (responseType: string) =>
  `response_type=${responseType} is the implicit flow (an access token from the authorization endpoint, or a token in a URL), which Adieu does not support: that is what the OAuth 2.0 Security BCP, RFC 9700 §2.1.2, retires; use response_type=code with PKCE (an ID token alone is served with response_mode form_post or web_message)`;

/**
 * Whether a response type is the implicit flow Adieu refuses: any access token from the
 * authorization endpoint, or an ID token in a URL. An ID token alone posted to the client
 * (form_post: express-openid-connect) or to its page (web_message: auth0-js checkSession) is served.
 */
export function isRefusedImplicit(responseType: string, responseMode: unknown): boolean {
  const types = responseType.split(' ');
  if (types.includes('token')) return true;
  return types.includes('id_token') && responseMode !== 'form_post' && responseMode !== 'web_message';
}

interface Refusal { error: string; description: string; advice: string; fragment: boolean }

/** What Adieu refuses in an authorization request, in the order it checks; undefined: nothing. */
async function refusalOf(q: Context['query'], client: () => Promise<StoredClient | undefined>): Promise<Refusal | undefined> {
  const responseType = typeof q.response_type === 'string' ? q.response_type : undefined;
  if (responseType && isRefusedImplicit(responseType, q.response_mode)) {
    return { error: 'unsupported_response_type', description: implicitDescription(responseType), advice: 'The application needs to be configured for the authorization code flow (for auth0-js: responseType "code").', fragment: true };
  }
  if (q.response_mode === 'web_message') {
    // a web message goes to the redirect_uri's origin: only one of the client's web_origins
    const origin = typeof q.redirect_uri === 'string' ? URL.parse(q.redirect_uri)?.origin : undefined;
    if (!origin || !(await client())?.metadata.web_origins?.includes(origin)) {
      return { error: 'invalid_request', description: 'response_mode=web_message answers only to an origin in the client\'s web_origins (Auth0\'s Allowed Web Origins), and redirect_uri is not one', advice: "Add the application's origin to its web_origins.", fragment: false };
    }
  }
  if (q.organization !== undefined) {
    return { error: 'invalid_request', description: 'unsupported: organizations (Adieu has no organizations; send no organization parameter)', advice: 'The application asks for an Auth0 organization, which Adieu does not have.', fragment: false };
  }
  return undefined;
}

/**
 * Auth0's /authorize parameters, before oidc-provider sees the request:
 * - `audience` (Auth0's name for the API an access token is for) becomes the RFC 8707 `resource`;
 * - `organization` is refused as `unsupported: organizations` (Adieu has none);
 * - `response_mode=web_message` only where redirect_uri is one of the client's web_origins;
 * - `screen_hint=signup` is noted in the log (Adieu has no sign-up page) and the login page shown;
 * - the implicit flow (auth0-js legacy apps send `token id_token` and read the fragment) is refused
 *   naming the flow and the fix, where oidc-provider would say "unsupported response_type
 *   requested"; an ID token alone with form_post or web_message is served;
 * - `auth0Client` (SDK telemetry) and other unknown parameters oidc-provider ignores.
 * Errors go back to the client (RFC 6749 §4.1.2.1: in the fragment for implicit response types)
 * when its redirect_uri is registered, else on a page.
 */
export function auth0AuthorizeRoutes({ config, storage, logger }: RouteDeps): Router {
  const router = new Router();
  router.get(PROVIDER_ROUTES.authorization, async (ctx: Context, next: Next) => {
    const q = ctx.query;
    // read once, and only where a check needs it (oidc-provider reads it again for the request)
    const client = onFirstUse(async () => (typeof q.client_id === 'string' ? storage.getClient(q.client_id) : undefined));
    const refusal = await refusalOf(q, client);
    if (refusal) {
      const redirectUri = q.redirect_uri;
      const registered = await client();
      if (!registered || typeof redirectUri !== 'string' || !registered.metadata.redirect_uris?.includes(redirectUri)) throw new AuthorizeRefused(refusal.error, refusal.description, refusal.advice);
      const url = new URL(redirectUri);
      const params = new URLSearchParams({ error: refusal.error, error_description: refusal.description, ...(typeof q.state === 'string' ? { state: q.state } : {}), iss: config.issuer });
      if (refusal.fragment) url.hash = params.toString();
      else for (const [k, v] of params) url.searchParams.set(k, v);
      ctx.status = 303;
      return ctx.redirect(url.href);
    }
    if (q.screen_hint === 'signup') logger.info({ event: 'authorize.screen_hint_ignored', client_id: q.client_id }, 'screen_hint=signup: Adieu has no sign-up page; showing the login page');
    if (typeof q.audience === 'string' && q.resource === undefined) {
      const search = new URLSearchParams(ctx.querystring);
      search.set('resource', q.audience);
      search.delete('audience');
      ctx.req.url = `${ctx.path}?${search.toString()}`;
    }
    await next();
  });
  return router;
}
