import { z } from 'zod';
import { configClientSchema } from '../clients/metadata.ts';
import { CONSOLE_CLIENT_ID } from '../console/client.ts';
import { invalidHostPattern } from '../logout/host-policy.ts';
import { ROLE_NAMES } from '../management/access.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Browsers treat https and http://localhost as secure contexts; SameSite=None cookies need one. */
function isSecureContextUrl(value: string): boolean {
  const url = URL.parse(value);
  return !!url && (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)));
}

const hostPattern = z.string().min(1).max(300).superRefine((value, ctx) => {
  const problem = invalidHostPattern(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const connectionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('database'),
    name: z.string().min(1).max(128),
    strategy: z.string().min(1).max(64).default('auth0'),
  }).strict(),
  z.object({
    type: z.literal('oidc'),
    name: z.string().min(1).max(128),
    strategy: z.string().min(1).max(64).default('oidc'),
    issuer: z.url(),
    client_id: z.string().min(1),
    client_secret: z.string().min(1).optional(),
    scope: z.string().default('openid email profile'),
    display_name: z.string().optional(),
    /**
     * Link a first sign-in from this connection to the one existing account with the same email,
     * when the upstream says email_verified. Off: every upstream identity is its own user.
     */
    link_verified_email: z.boolean().default(false),
  }).strict(),
]);

const userSchema = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(8).max(1024),
  email: z.email().optional(),
  name: z.string().max(256).optional(),
  connection: z.string().optional(),
  /** Console roles (admin: read and act; auditor: read). Set here, they are applied at every start. */
  roles: z.array(z.enum(ROLE_NAMES)).optional(),
}).strict();

export const configSchema = z.object({
  issuer: z.url().refine(isSecureContextUrl, 'must be https, or http on localhost/127.0.0.1 (browsers need a secure context for the SSO cookie)')
    // Auth0's issuers end with a slash (https://TENANT.auth0.com/), and its SDKs compare `iss` with
    // one: either form is accepted and kept as the `iss`; URLs are built from base_url
    .refine((v) => ['', '/'].includes(new URL(v).pathname + new URL(v).search + new URL(v).hash), 'must be an origin, with or without a trailing slash (no path, query or fragment)'),
  port: z.number().int().min(0).max(65535).default(3000),
  host: z.string().default('127.0.0.1'),
  /**
   * Serve HTTPS itself with this key and certificate chain (PEM files; a relative path is taken
   * relative to the config file). For development and small installs — Auth0's SDKs need https;
   * behind a TLS-terminating proxy stays the recommended production setup.
   */
  tls: z.object({
    key_file: z.string().min(1),
    cert_file: z.string().min(1),
  }).strict().optional(),
  /** Set when a TLS-terminating proxy sits in front and sends X-Forwarded-* headers. */
  trust_proxy: z.boolean().default(false),
  /** Cookies are <prefix>_sso, <prefix>_interaction, <prefix>_resume. */
  cookie_prefix: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'must be a letter then up to 31 letters, digits or _').default('adieu'),
  storage: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('sqlite'), path: z.string().min(1) }).strict(),
    z.object({ kind: z.literal('postgres'), url: z.string().min(1), pool_size: z.number().int().min(1).max(200).optional() }).strict(),
  ]).default({ kind: 'sqlite', path: './data/adieu.db' }),
  secrets: z.object({
    admin_token: z.string().min(16).optional(),
    cookie_keys: z.array(z.string().min(16)).optional(),
    /** Bearer token Prometheus sends to /metrics; without it (or metrics.listen) /metrics is not served. */
    metrics_token: z.string().min(16).optional(),
  }).strict().default({}),
  metrics: z.object({
    /** Serve /metrics on this separate listener (a private interface) instead of the public one. */
    listen: z.object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
    }).strict().optional(),
    /** Queue depth is read from storage at most this often, however often /metrics is scraped. */
    queue_depth_max_age_ms: z.number().int().min(0).max(3_600_000).default(5_000),
  }).strict().prefault({}),
  session: z.object({
    /** Idle lifetime: a session unused this long ends (each sign-in to an application renews it, to within a minute: sessions/touch.ts). */
    idle_ttl_seconds: z.number().int().min(1).default(3 * 24 * 3600),
    /** Absolute lifetime from the login, whatever the activity. */
    absolute_ttl_seconds: z.number().int().min(1).default(14 * 24 * 3600),
    /** How often expired sessions are looked for (they end through the same path as a logout). */
    sweep_interval_ms: z.number().int().min(100).default(60_000),
  }).strict().prefault({}),
  logout: z.object({
    backchannel: z.object({
      /** One attempt's timeout: connect, headers and the whole body. */
      timeout_ms: z.number().int().min(100).max(120_000).default(5_000),
      /** Deliveries in flight at once, per node. */
      concurrency: z.number().int().min(1).max(10_000).default(128),
      /** Deliveries in flight at once to one logout URL, per node: a slow application holds no more. */
      per_target_concurrency: z.number().int().min(1).max(10_000).default(16),
      /** Consecutive failed attempts (timeout, refused, 5xx) that open a target's circuit. */
      circuit_failure_threshold: z.number().int().min(1).max(1_000).default(5),
      /** How long an open circuit sends nothing before one probe; doubles per failed probe up to max_backoff_ms. */
      circuit_open_ms: z.number().int().min(10).default(30_000),
      /** Retries stop this long after the logout; the delivery is then failed. */
      deadline_seconds: z.number().int().min(1).default(24 * 3600),
      initial_backoff_ms: z.number().int().min(1).default(1_000),
      max_backoff_ms: z.number().int().min(1).default(3_600_000),
      /** How often each node looks for due deliveries (a local logout also wakes it at once). */
      poll_interval_ms: z.number().int().min(10).default(500),
      /** Hosts back-channel logout may reach (names, *.suffix, IPs, CIDR ranges, loopback/private/link_local); empty = any. */
      allowed_hosts: z.array(hostPattern).default([]),
      /** Hosts it must never reach, by name or by the address a name resolves to; wins over allowed_hosts. */
      denied_hosts: z.array(hostPattern).default([]),
      /**
       * PEM certificates of private CAs trusted besides the public ones, for applications whose
       * https logout endpoints have certificates an internal CA issued (relative to the config file).
       */
      ca_file: z.string().min(1).optional(),
    }).strict().prefault({}),
    /** Completed logout records (and their deliveries) are kept this long for the admin, then deleted. */
    retention_days: z.number().int().min(1).max(3650).default(30),
    frontchannel: z.object({
      /** How long the logout page waits for each application's frame before moving on. */
      timeout_ms: z.number().int().min(500).max(60_000).default(5_000),
    }).strict().prefault({}),
  }).strict().prefault({}),
  /** Which clients get a new refresh token on every use (a reused one revokes its family): public ones always. */
  refresh_token_rotation: z.enum(['public_clients', 'all_clients']).default('public_clients'),
  /** Failed password sign-ins, counted per account name and per client address in storage (all nodes). */
  login_throttle: z.object({
    /** A key's count starts again this long after its first failure (Keycloak's failure reset time). */
    window_ms: z.number().int().min(1_000).default(12 * 3600 * 1000),
    /** The first delay after the free failures; it doubles per failure. */
    initial_delay_ms: z.number().int().min(0).default(1_000),
    /** How long a key is refused after each failure from lockout_failures on. */
    lockout_ms: z.number().int().min(0).default(15 * 60 * 1000),
    account: z.object({
      free_failures: z.number().int().min(0).default(3),
      lockout_failures: z.number().int().min(1).default(10),
    }).strict().prefault({}),
    address: z.object({
      free_failures: z.number().int().min(0).default(20),
      lockout_failures: z.number().int().min(1).default(100),
    }).strict().prefault({}),
  }).strict().prefault({}),
  tenant: z.object({
    name: z.string().default('Adieu'),
    /** returnTo URLs /v2/logout accepts when no client_id is given. */
    allowed_logout_urls: z.array(z.url()).default([]),
    /**
     * never: /v2/logout signs out whoever navigates there (Auth0's behaviour). cross_site: a sign-out
     * another site started without a client_id is confirmed by the person first.
     */
    logout_confirmation: z.enum(['never', 'cross_site']).default('never'),
  }).strict().prefault({}),
  saml: z.object({
    /** The IdP's entityID; default urn:<issuer host>, Auth0's form (urn:TENANT.auth0.com). */
    entity_id: z.string().min(1).max(1024).optional(),
    /** Clock difference tolerated on a message's IssueInstant and NotOnOrAfter. */
    clock_skew_s: z.number().int().min(0).max(600).default(120),
    /** How long an SP's request stays acceptable after its IssueInstant (its ID is remembered that long, against replay). */
    request_max_age_s: z.number().int().min(10).max(3600).default(300),
    /** How long an assertion may be presented (SubjectConfirmationData@NotOnOrAfter, Conditions). */
    assertion_lifetime_s: z.number().int().min(10).max(3600).default(300),
    /** How often SPs registered by saml.metadata_url have their metadata read again. */
    metadata_refresh_s: z.number().int().min(1).max(7 * 86_400).default(3600),
  }).strict().prefault({}),
  connections: z.array(connectionSchema).default([{ type: 'database', name: 'Username-Password-Authentication', strategy: 'auth0' }]),
  clients: z.array(configClientSchema).default([]),
  /**
   * APIs (Auth0's name; RFC 8707 resource servers) access tokens can be asked for with `audience`
   * (or `resource`): JWT access tokens with `aud` the identifier and the scopes granted of these.
   */
  apis: z.array(z.object({
    identifier: z.string().max(512).refine((v) => { const u = URL.parse(v); return !!u && !u.hash; }, 'must be an absolute URI without a fragment (RFC 8707 §2)'),
    name: z.string().min(1).max(200).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be a scope token (RFC 6749 §3.3)')).max(200).default([]),
    token_lifetime_s: z.number().int().min(60).max(30 * 24 * 3600).default(86_400),
    signing_alg: z.enum(['RS256', 'ES256']).default('RS256'),
  }).strict()).default([]),
  users: z.array(userSchema).default([]),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).strict().superRefine((c, ctx) => {
  const names = new Set<string>();
  c.connections.forEach((conn, i) => {
    if (names.has(conn.name)) ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `duplicate connection name ${conn.name}` });
    names.add(conn.name);
  });
  const firstDatabase = c.connections.find((conn) => conn.type === 'database');
  c.users.forEach((u, i) => {
    const conn = c.connections.find((x) => x.name === (u.connection ?? firstDatabase?.name));
    if (!conn || conn.type !== 'database') {
      ctx.addIssue({ code: 'custom', path: ['users', i, 'connection'], message: 'must name a database connection' });
    }
  });
  const apis = new Set<string>();
  c.apis.forEach((api, i) => {
    if (apis.has(api.identifier)) ctx.addIssue({ code: 'custom', path: ['apis', i, 'identifier'], message: `duplicate identifier ${api.identifier}` });
    apis.add(api.identifier);
  });
  const ids = new Set<string>();
  c.clients.forEach((client, i) => {
    if (client.client_id === CONSOLE_CLIENT_ID) ctx.addIssue({ code: 'custom', path: ['clients', i, 'client_id'], message: `${CONSOLE_CLIENT_ID} is the admin console's, registered by Adieu` });
    if (ids.has(client.client_id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'client_id'], message: `duplicate client_id ${client.client_id}` });
    ids.add(client.client_id);
  });
  if (c.tls && new URL(c.issuer).protocol !== 'https:') ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'must be https when Adieu serves TLS itself (tls)' });
}).transform((c) => ({
  ...c,
  /** The issuer without a trailing slash: every URL Adieu builds starts with it. */
  base_url: c.issuer.replace(/\/$/, ''),
}));

export type AdieuConfig = z.infer<typeof configSchema>;
export type ConnectionConfig = AdieuConfig['connections'][number];
