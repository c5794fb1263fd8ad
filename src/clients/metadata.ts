import { z } from 'zod';
import { normalizeCertificate } from '../saml/signature.ts';
import { importSpMetadata, METADATA_IDENTITY_FIELDS } from '../saml/sp-metadata.ts';
import { samlUrls } from '../saml/urls.ts';

// Client metadata as Adieu accepts it: the standard OIDC registration names plus Adieu's own
// (`sso`, `web_origins`, `allowed_logout_urls`, `logout_url`), or for a SAML service provider a
// `saml` object named after SAML 2.0 metadata's elements. Unknown fields are rejected, so a typo
// never silently disables a logout channel.

/**
 * An http(s) origin whose serialisation is safe to put in a header such as a CSP source list:
 * a DNS name or IP literal, no `;`, `,`, quotes or spaces (WHATWG URL parsing lets `;` into
 * host names, which would end a CSP directive and start another).
 */
export function isSafeOrigin(origin: string): boolean {
  return /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(origin);
}

const httpUrl = z.string().max(2048).refine((value) => {
  const url = URL.parse(value);
  return !!url && (url.protocol === 'https:' || url.protocol === 'http:') && !url.hash && isSafeOrigin(url.origin)
    && !/[\s"'<>\\^`{|}]/.test(value);
}, { message: 'must be an absolute http(s) URL without a fragment, with a plain host name (no spaces, quotes or ;)' });

const origin = z.string().max(2048).refine((value) => {
  const url = URL.parse(value);
  return !!url && (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value && isSafeOrigin(value);
}, { message: 'must be an origin: scheme://host[:port] with no path' });

const certificate = z.string().max(16_384).refine((value) => {
  try {
    normalizeCertificate(value);
    return true;
  } catch {
    return false;
  }
}, { message: 'must be an X.509 certificate (PEM, or its base64 body)' });

/** SAML 2.0 metadata (saml-metadata-2.0-os §2.4.4), one field per element an IdP acts on. */
const samlFields = z.object({
  /** EntityDescriptor@entityID: the SP's Issuer and the assertions' Audience. */
  entity_id: z.string().min(1).max(1024),
  /** AssertionConsumerService elements, in preference order (the default is the first, unless one is_default). */
  assertion_consumer_services: z.array(z.object({
    binding: z.enum(['HTTP-POST', 'HTTP-Redirect']),
    location: httpUrl,
    index: z.number().int().min(0).max(65_535).optional(),
    is_default: z.boolean().optional(),
  }).strict()).min(1).max(20),
  /** SingleLogoutService elements: SOAP is sent from the outbox, Redirect/POST by the browser. */
  single_logout_services: z.array(z.object({
    binding: z.enum(['SOAP', 'HTTP-Redirect', 'HTTP-POST']),
    location: httpUrl,
    response_location: httpUrl.optional(),
  }).strict()).max(10).optional(),
  /** KeyDescriptor use="signing": verifies the SP's requests and responses (several: key rollover). */
  signing_certificates: z.array(certificate).max(5).optional(),
  /** KeyDescriptor use="encryption": assertions are encrypted for the first (AES-256-GCM, RSA-OAEP). */
  encryption_certificates: z.array(certificate).max(5).optional(),
  /** AuthnRequestsSigned, extended to logout messages: refuse what is unsigned. Default true. */
  want_requests_signed: z.boolean().optional(),
  name_id_format: z.enum(['email', 'persistent', 'transient', 'unspecified']).optional(),
  /** SAML attribute name → the user property it carries. */
  attributes: z.record(z.string().min(1).max(256), z.enum(['user_id', 'username', 'email', 'email_verified', 'name', 'preferred_username'])).optional(),
  /** How a logout that did not reach everyone is reported: Success or Responder, with sub-status PartialLogout. */
  partial_logout_status: z.enum(['Success', 'Responder']).optional(),
  /**
   * Where its front-channel logout runs: in a frame of the logout page (default), or — for an SP
   * whose session cookie a frame cannot see (SameSite, third-party cookies blocked) — as a
   * top-level navigation in a window the logout page opens and watches (HTTP-Redirect only).
   */
  frontchannel_mode: z.enum(['frame', 'top_level']).optional(),
  /** Where the SP's metadata was read from (management API: fetched when the client is written). */
  metadata_url: httpUrl.optional(),
}).strict();

/**
 * A SAML SP registration: its fields, or `metadata_xml` (the SP's EntityDescriptor) that fills
 * them; fields given beside it win.
 */
export const samlServiceProviderSchema = z.preprocess((input, ctx) => {
  if (!input || typeof input !== 'object' || !('metadata_xml' in input)) return input;
  const { metadata_xml, ...fields } = input as { metadata_xml: unknown };
  if (typeof metadata_xml !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['metadata_xml'], message: 'must be the SP metadata XML as a string', input });
    return fields;
  }
  try {
    return { ...importSpMetadata(metadata_xml), ...fields };
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['metadata_xml'], message: (err as Error).message, input });
    return fields;
  }
}, samlFields.superRefine((sp, ctx) => {
  if ((sp.want_requests_signed ?? true) && !sp.signing_certificates?.length) {
    ctx.addIssue({ code: 'custom', path: ['signing_certificates'], message: 'is required while want_requests_signed is true (the default): requests are verified with it' });
  }
  const defaults = sp.assertion_consumer_services.filter((a) => a.is_default).length;
  if (defaults > 1) ctx.addIssue({ code: 'custom', path: ['assertion_consumer_services'], message: 'at most one may be is_default' });
  const indexes = sp.assertion_consumer_services.map((a) => a.index).filter((i) => i !== undefined);
  if (new Set(indexes).size !== indexes.length) ctx.addIssue({ code: 'custom', path: ['assertion_consumer_services'], message: 'index values must be unique' });
}));

export type SamlServiceProvider = z.infer<typeof samlServiceProviderSchema>;

/** Fields only an OpenID Connect client has; a SAML service provider is refused them. */
const OIDC_ONLY_FIELDS = [
  'client_secret', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method',
  'scope', 'application_type', 'id_token_signed_response_alg', 'userinfo_signed_response_alg', 'backchannel_logout_uri', 'backchannel_logout_session_required', 'frontchannel_logout_uri',
  'frontchannel_logout_session_required', 'web_origins', 'allowed_logout_urls', 'logout_url', 'offline_access_survives_logout',
  'management_scopes',
] as const;

/** A machine client: client credentials only, it signs nobody in (no redirect URIs, no sessions). */
export const isMachineClient = (m: { grant_types?: readonly string[] }) => !!m.grant_types?.length && m.grant_types.every((g) => g === 'client_credentials');

const clientFields = z.object({
  client_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._~-]+$/, 'may contain only letters, digits and . _ ~ -'),
  client_secret: z.string().min(16).max(512).optional(),
  client_name: z.string().min(1).max(200).optional(),
  redirect_uris: z.array(httpUrl).min(1).max(100).optional(),
  post_logout_redirect_uris: z.array(httpUrl).max(100).optional(),
  /** client_credentials: a machine client (no sign-in, no redirect URIs), e.g. for the management API. */
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'implicit', 'client_credentials'])).min(1).optional(),
  /** `id_token`: an ID token alone, posted (response_mode form_post or web_message only; needs the implicit grant). */
  response_types: z.array(z.enum(['code', 'id_token'])).optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).optional(),
  scope: z.string().max(1000).optional(),
  application_type: z.enum(['web', 'native']).optional(),
  /** RS256 (the default, as Auth0's) or ES256; logout tokens to the client are signed the same way. */
  id_token_signed_response_alg: z.enum(['RS256', 'ES256']).optional(),
  /** /userinfo answers this client with a JWT signed so (OIDC Core §5.3.2); default: plain JSON. */
  userinfo_signed_response_alg: z.enum(['RS256', 'ES256']).optional(),
  backchannel_logout_uri: httpUrl.optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  frontchannel_logout_uri: httpUrl.optional(),
  frontchannel_logout_session_required: z.boolean().optional(),
  sso: z.boolean().optional(),
  web_origins: z.array(origin).max(100).optional(),
  allowed_logout_urls: z.array(httpUrl).max(100).optional(),
  logout_url: httpUrl.optional(),
  /** Refresh tokens granted with offline_access (prompt=consent) outlive logout; default: revoked. */
  offline_access_survives_logout: z.boolean().optional(),
  /**
   * What a machine client may do with the management API: client-credentials tokens for
   * audience <issuer>/api/v1/ carry these scopes (Auth0's "client grant").
   */
  management_scopes: z.array(z.enum(['read:management', 'write:management'])).max(2).optional(),
  /** A SAML 2.0 service provider instead of an OpenID Connect client. */
  saml: samlServiceProviderSchema.optional(),
});

function refineClient(m: { saml?: unknown } & Partial<Record<(typeof OIDC_ONLY_FIELDS)[number], unknown>> & z.infer<typeof clientFields>, ctx: z.RefinementCtx) {
  if (m.saml) {
    for (const field of OIDC_ONLY_FIELDS) {
      if (m[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is an OpenID Connect field; a SAML service provider (saml) does not take it' });
    }
    return;
  }
  if (!m.redirect_uris && !isMachineClient(m)) ctx.addIssue({ code: 'custom', path: ['redirect_uris'], message: 'is required' });
  if (m.management_scopes?.length && !m.grant_types?.includes('client_credentials')) {
    ctx.addIssue({ code: 'custom', path: ['management_scopes'], message: 'needs grant_types to include client_credentials' });
  }
  if (m.grant_types?.includes('client_credentials') && !m.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'is required for the client_credentials grant (a confidential client)' });
  }
  if (m.response_types?.includes('id_token') && m.grant_types && !m.grant_types.includes('implicit')) {
    ctx.addIssue({ code: 'custom', path: ['grant_types'], message: 'must include implicit for response_types id_token' });
  }
  const method = m.token_endpoint_auth_method ?? (m.client_secret ? 'client_secret_basic' : 'none');
  if (method !== 'none' && !m.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `is required for token_endpoint_auth_method ${method}` });
  }
  if (method === 'none' && m.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'must not be set for a public client (token_endpoint_auth_method none)' });
  }
}

export const clientMetadataSchema = clientFields.strict().superRefine(refineClient);

export type ClientMetadata = z.infer<typeof clientMetadataSchema>;

/**
 * A SAML SP in the config file by its `metadata_url` alone (fetched at start, then refreshed):
 * the SP's own settings beside it, and none of what the metadata describes.
 */
const samlByMetadataUrl = samlFields.extend({
  metadata_url: httpUrl,
  ...Object.fromEntries(METADATA_IDENTITY_FIELDS.map((f) => [f, z.never({ error: 'comes from saml.metadata_url (read at start and refreshed); give one or the other' }).optional()])),
}).strict();
const clientByMetadataUrl = clientFields.extend({ saml: samlByMetadataUrl }).strict().superRefine((m, ctx) => refineClient(m as never, ctx));
export type ClientByMetadataUrl = z.infer<typeof clientByMetadataUrl>;

const byMetadataUrl = (input: unknown) => {
  const saml = (input as { saml?: Record<string, unknown> } | null)?.saml;
  return !!saml && typeof saml === 'object' && saml.metadata_url !== undefined && saml.metadata_xml === undefined;
};

/** A client in the config file: a registration, or a SAML SP by `metadata_url` whose metadata is fetched when Adieu starts. */
export const configClientSchema = z.unknown().transform((input, ctx): ClientMetadata | ClientByMetadataUrl => {
  const result = byMetadataUrl(input) ? clientByMetadataUrl.safeParse(input) : clientMetadataSchema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, input: issue.input } as never);
  return z.NEVER;
});

/** Adieu's own client fields, unknown to oidc-provider; declared to it as extraClientMetadata. */
export const ADIEU_CLIENT_FIELDS = [
  'sso', 'web_origins', 'management_scopes', 'allowed_logout_urls', 'logout_url', 'offline_access_survives_logout',
  'frontchannel_logout_uri', 'frontchannel_logout_session_required',
  // Adieu delivers back-channel logout itself (oidc-provider refuses private targets since 9.7)
  'backchannel_logout_uri', 'backchannel_logout_session_required',
] as const;

/** Fills the defaults a stored client carries explicitly. */
export function normalizeClient(m: ClientMetadata): ClientMetadata {
  if (m.saml) {
    return {
      ...m,
      sso: m.sso ?? true,
      saml: {
        ...m.saml,
        signing_certificates: m.saml.signing_certificates?.map(normalizeCertificate),
        encryption_certificates: m.saml.encryption_certificates?.map(normalizeCertificate),
        want_requests_signed: m.saml.want_requests_signed ?? true,
        name_id_format: m.saml.name_id_format ?? 'unspecified',
        partial_logout_status: m.saml.partial_logout_status ?? 'Success',
      },
    };
  }
  return {
    ...m,
    token_endpoint_auth_method: m.token_endpoint_auth_method ?? (m.client_secret ? 'client_secret_basic' : 'none'),
    grant_types: m.grant_types ?? ['authorization_code', 'refresh_token', ...(m.response_types?.includes('id_token') ? ['implicit' as const] : [])],
    // a machine client signs nobody in: no authorization endpoint responses, no redirect URIs
    response_types: m.response_types ?? (isMachineClient(m) ? [] : ['code']),
    sso: m.sso ?? true,
  };
}

/**
 * A client as oidc-provider sees it. A SAML SP signs in through /authorize like any client (one
 * SSO session, one login page); to oidc-provider it is a public client whose only redirect URI is
 * Adieu's own SAML /continue, where the code is turned into a SAML Response (saml/endpoints/sso.ts).
 */
export function providerClientView(m: ClientMetadata, issuer: string): Record<string, unknown> {
  if (!m.saml) return m;
  return {
    client_id: m.client_id,
    ...(m.client_name ? { client_name: m.client_name } : {}),
    sso: m.sso ?? true,
    redirect_uris: [samlUrls(issuer, m.client_id).continue],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
}

/** Formats zod issues as `field: problem; field2: problem`, naming the path of each. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${[path, k].filter(Boolean).join('.')}: unknown field`).join('; ');
    }
    return `${path || '(root)'}: ${issue.message}`;
  }).join('; ');
}
