import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { PageError } from '../http/errors.ts';
import { PROVIDER_ROUTES } from './provider.ts';

/** An authorization request for a flow Adieu does not offer, refused in words that say which and why. */
export class UnsupportedFlow extends PageError {
  constructor(responseType: string) {
    super(400, 'unsupported_response_type', 'This sign-in asks for a flow Adieu does not support',
      `unsupported_response_type: response_type=${responseType} is the implicit or hybrid flow, which Adieu does not support (tokens in a URL are what the OAuth 2.0 Security BCP, RFC 9700 §2.1.2, retires). Use response_type=code with PKCE.`,
      'The application needs to be configured for the authorization code flow (for auth0-js: responseType "code").');
  }
}

/**
 * /authorize with a response_type other than `code` (auth0-js legacy apps send `token id_token`):
 * oidc-provider would answer a bare `unsupported_response_type`; the person and the developer
 * are told what is unsupported and what to use instead.
 */
export function unsupportedFlowRoutes(): Router {
  const router = new Router();
  const check = async (ctx: Context, next: Next) => {
    const params = ctx.method === 'GET' ? ctx.query : undefined;
    const responseType = params?.response_type;
    if (typeof responseType === 'string' && responseType.split(' ').some((t) => t !== 'code')) throw new UnsupportedFlow(responseType);
    await next();
  };
  router.get(PROVIDER_ROUTES.authorization, check);
  return router;
}
