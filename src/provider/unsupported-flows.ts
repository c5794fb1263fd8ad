import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { PageError } from '../http/errors.ts';
import type { RouteDeps } from '../http/routes.ts';
import { PROVIDER_ROUTES } from './provider.ts';

const description = (responseType: string) =>
  `response_type=${responseType} is the implicit or hybrid flow, which Adieu does not support (tokens in a URL are what the OAuth 2.0 Security BCP, RFC 9700 §2.1.2, retires); use response_type=code with PKCE`;

/** An authorization request for a flow Adieu does not offer, where there is no trusted place to send the error. */
export class UnsupportedFlow extends PageError {
  constructor(responseType: string) {
    super(400, 'unsupported_response_type', 'This sign-in asks for a flow Adieu does not support', `unsupported_response_type: ${description(responseType)}.`,
      'The application needs to be configured for the authorization code flow (for auth0-js: responseType "code").');
  }
}

/**
 * /authorize with a response_type other than `code` (auth0-js legacy apps send `token id_token`):
 * oidc-provider would answer a bare "unsupported response_type requested". The error says which
 * flow and what to use instead — back to the client in the fragment (RFC 6749 §4.2.2.1) when its
 * redirect_uri is registered, else on a page.
 */
export function unsupportedFlowRoutes({ config, storage }: RouteDeps): Router {
  const router = new Router();
  router.get(PROVIDER_ROUTES.authorization, async (ctx: Context, next: Next) => {
    const { response_type: responseType, client_id: clientId, redirect_uri: redirectUri, state } = ctx.query;
    if (typeof responseType !== 'string' || responseType.split(' ').every((t) => t === 'code')) return next();
    const client = typeof clientId === 'string' ? await storage.getClient(clientId) : undefined;
    if (!client || typeof redirectUri !== 'string' || !client.metadata.redirect_uris?.includes(redirectUri)) throw new UnsupportedFlow(responseType);
    const url = new URL(redirectUri);
    url.hash = new URLSearchParams({
      error: 'unsupported_response_type', error_description: description(responseType),
      ...(typeof state === 'string' ? { state } : {}), iss: config.issuer,
    }).toString();
    ctx.status = 303;
    ctx.redirect(url.href);
  });
  return router;
}
