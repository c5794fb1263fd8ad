import type { JWK } from 'jose';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { ADIEU_CLIENT_FIELDS, providerClientView } from '../clients/metadata.ts';
import type { AdieuConfig } from '../config/schema.ts';
import { sendErrorPage } from '../http/errors.ts';
import { html, page, pageCsp, SafeHtml, sendSignedOut } from '../http/html.ts';
import { pinRequestOrigin } from '../http/origin.ts';
import { CONSOLE_CLIENT_ID, CONSOLE_TOKEN_TTL_S } from '../console/client.ts';
import { MANAGEMENT_SCOPES, managementAudience, scopesForRoles } from '../management/access.ts';
import { touchInterval_s } from '../sessions/touch.ts';
import type { Storage } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';
import { accountFinder } from '../users/accounts.ts';
import { createAdapterClass, type ReplayDetected } from './adapter.ts';
import { DEFAULT_SIGNING_ALG, SIGNING_ALGS } from './keys.ts';

/**
 * Cookie names are part of Adieu's documented surface (README: "Cookies"). The prefix is
 * configurable because browsers do not separate cookies by port: two Adieu instances on one
 * host (an IdP and its upstream, say) need different names.
 */
function cookieNames(prefix: string) {
  return { session: `${prefix}_sso`, interaction: `${prefix}_interaction`, resume: `${prefix}_resume` };
}

/** Provider routes: Auth0-compatible paths are canonical; oidc-provider's defaults are aliases. */
export const PROVIDER_ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  end_session: '/oidc/logout',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
} as const;

export const ROUTE_ALIASES: Record<string, string> = {
  '/auth': PROVIDER_ROUTES.authorization,
  '/token': PROVIDER_ROUTES.token,
  '/me': PROVIDER_ROUTES.userinfo,
  '/jwks': PROVIDER_ROUTES.jwks,
  '/session/end': PROVIDER_ROUTES.end_session,
  '/token/revocation': PROVIDER_ROUTES.revocation,
  '/token/introspection': PROVIDER_ROUTES.introspection,
};

const INTERACTION_TTL_S = 3600;

export interface ProviderOptions {
  config: AdieuConfig;
  storage: Storage;
  signingKeys: JWK[];
  cookieKeys: string[];
  /** A code or refresh token used twice: its grant (the token family) has been revoked. */
  onReplay?: (replay: ReplayDetected) => void;
}

/** Whose token is being made: the signed-in session's account, or the code's or refresh token's. */
function accountOf(ctx: KoaContextWithOIDC): string | undefined {
  const { session, entities } = ctx.oidc;
  return session?.accountId ?? entities.AuthorizationCode?.accountId ?? entities.RefreshToken?.accountId;
}

function errorPage(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) {
  // oidc-provider renders its protocol errors itself (status already set): same page as Adieu's
  sendErrorPage(ctx, {
    status: ctx.status, title: 'Sign-in error', heading: 'Something went wrong',
    message: html`<strong>${out.error}</strong>${out.error_description ? html`: ${out.error_description}` : ''}`,
    advice: 'Go back to the application and try again. If this keeps happening, tell your administrator the error above.',
  });
}

/** What a grant holds, comparable: scopes, claims and resources granted. */
function grantedSoFar(grant: InstanceType<Provider['Grant']>): string {
  return JSON.stringify([grant.openid, grant.resources, grant.rejected]);
}

export function createProvider({ config, storage, signingKeys, cookieKeys, onReplay }: ProviderOptions): Provider {
  const policy = interactionPolicy.base();
  // A client not enabled for SSO never rides on an existing session (Auth0's "Log Users Out of Applications":
  // "All applications ... need to be enabled for SSO").
  policy.get('login')!.checks.push(new interactionPolicy.Check(
    'client_not_sso',
    'this application does not share the single sign-on session',
    'login_required',
    (ctx) => ctx.oidc.client?.['sso'] === false && !ctx.oidc.result?.login,
  ));

  const { idle_ttl_seconds: idle, absolute_ttl_seconds: absolute } = config.session;
  // A session lives idle_ttl_seconds past its last use (each save renews it), never past
  // absolute_ttl_seconds after the login.
  const sessionTtl = (_ctx: unknown, session: { loginTs?: number; accountId?: string }) => {
    // a session nobody signed in to (an end-session form's state) lives as long as an interaction
    if (!session.accountId) return INTERACTION_TTL_S;
    const age = session.loginTs ? epochSeconds() - session.loginTs : 0;
    return Math.max(1, Math.min(idle, absolute - age));
  };
  const management = managementAudience(config);
  const configuration: Configuration = {
    adapter: createAdapterClass(storage, (m) => providerClientView(m, config.base_url), { sessionTouch_s: touchInterval_s(idle), onReplay }),
    clients: [],
    findAccount: accountFinder(storage) as Configuration['findAccount'],
    jwks: { keys: signingKeys as any },
    cookies: {
      keys: cookieKeys,
      names: cookieNames(config.cookie_prefix),
      // SameSite=None so /user/ssodata and logout iframes see the SSO cookie from the apps' origins
      long: { httpOnly: true, sameSite: 'none', secure: true, signed: true },
      short: { httpOnly: true, sameSite: 'lax', secure: true, signed: true },
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    // Auth0 puts the claims of the scopes asked for in the ID token too, and its SDKs read the
    // profile from there (auth0-spa-js getUser()); OIDC Core §5.4 keeps them for userinfo when an
    // access token is issued, which is oidc-provider's default
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      // machine clients (grant_types client_credentials), e.g. scripts calling the management API
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      // a client that registers userinfo_signed_response_alg gets /userinfo as a signed JWT
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          const client = ctx.oidc.client;
          // A valid id_token_hint naming this session's user is a request from an application
          // the user is signed in to (no forged logout): sign out everywhere without a click.
          const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sub?: string } } | undefined;
          const confirmed = !!hint?.payload?.sub && hint.payload.sub === ctx.oidc.session?.accountId;
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', pageCsp({ scripts: confirmed }));
          // oidc-provider's form carries the xsrf token; the buttons submit it
          ctx.body = page('Sign out', html`
            <h1>Sign out of ${config.tenant.name}?</h1>
            ${client ? html`<p>${client.clientName ?? client.clientId} asked to sign you out.</p>` : ''}
            ${new SafeHtml(form)}
            <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out everywhere</button>
            ${client ? html`<button type="submit" form="op.logoutForm" class="secondary">Only sign out of ${client.clientName ?? client.clientId}</button>` : ''}
            ${confirmed ? html`<script src="/assets/confirm-logout.js"></script>` : ''}`);
        },
        async postLogoutSuccessSource(ctx) {
          sendSignedOut(ctx);
        },
      },
      // Adieu delivers back-channel logout itself (durable, retried); see src/logout.
      backchannelLogout: { enabled: false },
      // auth0-js checkSession and auth0-spa-js getTokenSilently (iframe) answer through a hidden
      // frame that posts the response to the app's origin (only a client's web_origins:
      // auth0-authorize.ts). oidc-provider marks it experimental, hence the acknowledged draft.
      webMessageResponseMode: { enabled: true, ack: 'individual-draft-01' },
      // Auth0's `audience` (auth0-authorize.ts makes it `resource`): JWT access tokens for the APIs in config
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined as unknown as string, // no audience: a token for userinfo, as before
        useGrantedResource: async () => true, // the token endpoint issues for what was authorized
        async getResourceServerInfo(ctx, indicator, client) {
          if (indicator === management) {
            // the console, for as much as the signed-in person's roles allow (before the sign-in:
            // all it may ask for), and machine clients registered with management_scopes. Opaque
            // tokens: stored, so they die with the session (or the client), and the API checks
            // the roles and registration of now on each call (management/access.ts)
            const console = client.clientId === CONSOLE_CLIENT_ID;
            const accountId = console ? accountOf(ctx) : undefined;
            const scopes = !console ? ((client['management_scopes'] as string[] | undefined) ?? [])
              : accountId ? [...scopesForRoles((await storage.getUser(accountId))?.roles ?? [])] : [...MANAGEMENT_SCOPES];
            if (!console && !scopes.length) throw new errors.InvalidTarget('this client may not call the management API (it has no management_scopes)');
            return { scope: scopes.join(' '), audience: management, accessTokenTTL: console ? CONSOLE_TOKEN_TTL_S : 3600, accessTokenFormat: 'opaque' };
          }
          const api = config.apis.find((a) => a.identifier === indicator);
          if (!api) throw new errors.InvalidTarget(`unknown audience ${indicator}: no API is registered with this identifier`);
          return {
            scope: api.scopes.join(' '),
            audience: api.identifier,
            accessTokenTTL: api.token_lifetime_s,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: api.signing_alg } },
          };
        },
      },
    },
    extraClientMetadata: { properties: [...ADIEU_CLIENT_FIELDS] },
    // Auth0-style ?connection=NAME picks the connection on the login page
    extraParams: ['connection'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: DEFAULT_SIGNING_ALG,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      // only algorithms Adieu holds a key for (keys.ts)
      idTokenSigningAlgValues: [...SIGNING_ALGS],
      userinfoSigningAlgValues: [...SIGNING_ALGS],
    },
    discovery: {
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
    } as any,
    pkce: { required: () => true },
    // Discovery lists only what works. Code + PKCE, and an ID token alone posted to the client
    // (form_post: express-openid-connect's default; web_message: auth0-js checkSession); no access
    // token from the authorization endpoint and no token in a URL, which is what the OAuth 2.0
    // Security BCP (RFC 9700 §2.1.2) retires (auth0-authorize.ts refuses it, saying so).
    responseTypes: ['code', 'id_token'],
    // the authentication methods a client can register (clients/metadata.ts)
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    routes: PROVIDER_ROUTES,
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // First-party SSO: the tenant admin registered the client, so consent is implied. A grant
    // covering what was asked is created (or extended) here instead of showing a consent page.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const accountId = oidc.session!.accountId!;
      const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (grant && (grant.accountId !== accountId || grant.clientId !== oidc.client!.clientId)) grant = undefined;
      const stored = grant && grantedSoFar(grant);
      grant ??= new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId });
      const scope = [...(oidc.requestParamScopes ?? [])].join(' ');
      if (scope) grant.addOIDCScope(scope);
      // an API's scopes asked for (with audience/resource) and registered for it are granted too
      for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
        const allowed = new Set((server.scope ?? '').split(' '));
        grant.addResourceScope(indicator, [...(oidc.requestParamScopes ?? [])].filter((s) => allowed.has(s)).join(' '));
      }
      const claims = oidc.requestParamClaims ? [...oidc.requestParamClaims] : [];
      if (claims.length) grant.addOIDCClaims(claims);
      // a silent sign-in asks for what was granted before: nothing to write
      if (grantedSoFar(grant) !== stored) await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Public clients cannot keep a refresh token secret: each use returns a new one and the old
    // one dies, so a stolen copy shows itself on the next use (the adapter revokes the family).
    // Confidential clients rotate with refresh_token_rotation: all_clients, else once 70% of the
    // token's lifetime has passed (oidc-provider's rule).
    rotateRefreshToken(ctx) {
      const token = ctx.oidc.entities.RefreshToken!;
      return config.refresh_token_rotation === 'all_clients'
        || ctx.oidc.client!.clientAuthMethod === 'none'
        || token.ttlPercentagePassed() >= 70;
    },
    // Tokens die with the session (and logout revokes them) unless the client opted into offline
    // access surviving logout and was granted offline_access; oidc-provider then marks the
    // session's authorization persistsLogout, which the session's end respects.
    expiresWithSession: async (ctx, code) => !(ctx.oidc.client?.['offline_access_survives_logout'] === true && code.scopes.has('offline_access')),
    ttl: {
      Session: sessionTtl as any,
      Grant: absolute,
      Interaction: INTERACTION_TTL_S,
      AuthorizationCode: 60,
      // an API's own token lifetime (config apis), else an hour
      AccessToken: ((_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 3600) as any,
      IdToken: 3600,
      RefreshToken: absolute,
    },
    clientBasedCORS(_ctx, origin, client) {
      if (origin === 'null') return false;
      const webOrigins = (client['web_origins'] as string[] | undefined) ?? [];
      return webOrigins.includes(origin) || client.redirectUris!.some((uri) => URL.parse(uri)?.origin === origin);
    },
    async renderError(ctx, out) {
      errorPage(ctx, out);
    },
  };

  const provider = new Provider(config.issuer, configuration);
  // URLs come from the issuer, not from Host/X-Forwarded-Host. The issuer is validated to be https
  // or http://localhost (a secure context for browsers): cookies are always Secure, also behind a
  // TLS-terminating proxy and on localhost.
  pinRequestOrigin(provider.request, config.issuer);
  provider.proxy = config.trust_proxy;
  // Every ID token carries sid: it is what lets an application match a front- or back-channel
  // logout to its local session, and Adieu's own logout channels do not live in oidc-provider.
  provider.Client.prototype.includeSid = () => true;
  return provider;
}
