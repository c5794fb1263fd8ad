import Router from '@koa/router';
import { z } from 'zod';
import { clientMetadataSchema } from '../clients/metadata.ts';
import type { AdieuConfig } from '../config/schema.ts';
import { MANAGEMENT_SCOPES, managementAudience, READ, WRITE } from './access.ts';
import { newUserSchema, userPatchSchema } from './users.ts';

// The management API described for its users (OpenAPI 3.1, served at /api/v1/openapi.json).
// Response schemas are strict: test/management-openapi.test.ts validates real responses against
// this document, so an undocumented field fails a test.

const time = z.string().describe('ISO 8601 UTC, milliseconds');
const nullableTime = time.nullable();

const user = z.object({
  id: z.string(), connection: z.string(), username: z.string(), email: z.string().nullable(), profile: z.record(z.string(), z.unknown()),
  roles: z.array(z.string()), has_password: z.boolean(), created_at: time, updated_at: time,
}).strict();

const client = z.looseObject({ client_id: z.string(), has_client_secret: z.boolean(), source: z.enum(['config', 'api']), created_at: time, updated_at: time })
  .describe('The registration (every field of ClientInput but client_secret) and these');

const session = z.object({
  id: z.string(), user_id: z.string(), username: z.string(), connection: z.object({ name: z.string(), strategy: z.string() }).strict(),
  clients: z.array(z.object({
    client_id: z.string(), client_name: z.string().nullable(), sid: z.string().nullable(), first_at: time, last_at: time,
    name_id: z.object({ value: z.string(), format: z.string() }).strict().optional(),
  }).strict()),
  last_used_client_id: z.string().nullable(), federated: z.boolean(), created_at: time, updated_at: time, expires_at: time,
}).strict();

const logoutRecord = z.object({
  id: z.string(), trigger: z.string(), actor: z.string().nullable(), user_id: z.string().nullable(), username: z.string().nullable(), session_id: z.string(),
  status: z.enum(['in_progress', 'completed', 'completed_with_failures']), created_at: time, completed_at: nullableTime,
}).strict();

const delivery = z.object({
  id: z.string(), client_id: z.string(), client_name: z.string(), channel: z.string(), status: z.string(), status_text: z.string(),
  tone: z.enum(['ok', 'bad', 'wait']), attempts: z.number().int(), final: z.boolean(), last_error: z.string().nullable(), target: z.string().nullable(),
  sid: z.string().nullable(), latency_ms: z.number().nullable(), next_attempt_at: nullableTime, deadline_at: time, created_at: time, completed_at: nullableTime,
  events: z.array(z.object({ at: time, event: z.enum(['attempt', 'retry', 'cancel']), status: z.string().nullable(), detail: z.string().nullable() }).strict())
    .describe('its history: each attempt Adieu made and its result, and admins\' retries and cancellations (in GET /logouts/{id}; empty elsewhere)'),
}).strict();

const planned = z.object({ client_id: z.string(), client_name: z.string().nullable(), channel: z.string(), target: z.string().nullable(), reached: z.boolean(), reason: z.string().nullable() }).strict();
const previewSession = z.object({ session_id: z.string(), deliveries: z.array(planned), unreached: z.number().int() }).strict();

const health = z.object({
  final: z.number().int(), ok: z.number().int(), success_rate: z.number().nullable(), p50_ms: z.number().nullable(), p99_ms: z.number().nullable(),
  last_failure: z.object({ completed_at: time, status: z.string(), error: z.string().nullable(), logout_id: z.string() }).strict().nullable(),
}).strict();
const application = z.object({
  client_id: z.string(), client_name: z.string().nullable(), kind: z.enum(['oidc', 'saml', 'machine', 'console']),
  coverage: z.array(z.object({ trigger: z.string(), label: z.string(), browser: z.boolean(), channels: z.array(z.string()), unreached: z.string().nullable() }).strict()),
  health, circuits: z.array(z.object({ target: z.string(), state: z.enum(['closed', 'open', 'half_open']) }).strict()),
}).strict();

const overview = z.object({
  generated_at: time, window: z.object({ since: time, until: time, bucket_minutes: z.number() }).strict(), live_sessions: z.number().int(),
  logouts_by_trigger: z.record(z.string(), z.number().int()),
  deliveries_by_channel: z.record(z.string(), z.object({ ok: z.number().int(), failed: z.number().int() }).strict()),
  latency_ms: z.object({ p50: z.number().nullable(), p99: z.number().nullable(), count: z.number().int() }).strict(),
  queue: z.object({ pending: z.number().int(), retrying: z.number().int(), delivering: z.number().int() }).strict(),
  open_circuits: z.number().int(),
  failing_applications: z.array(z.object({ client_id: z.string(), client_name: z.string().nullable(), failed: z.number().int(), final: z.number().int(), last_failure: health.shape.last_failure.unwrap() }).strict()),
  series: z.array(z.object({ start: time, ok: z.number().int(), failed: z.number().int(), p50_ms: z.number().nullable(), p99_ms: z.number().nullable() }).strict()),
}).strict();

const problem = z.looseObject({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional() }).describe('RFC 9457 problem details');

const page = { limit: z.number().int(), offset: z.number().int() };

/** Every operation: method, path (OpenAPI form), what it does, its inputs and its success response. */
const OPERATIONS: {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'; path: string; summary: string; body?: z.ZodType; query?: string[];
  status: number; response?: z.ZodType;
}[] = [
  { method: 'get', path: '/clients', summary: 'List clients', status: 200, response: z.object({ clients: z.array(client) }).strict() },
  { method: 'post', path: '/clients', summary: 'Register a client (OIDC, SAML SP or machine)', body: clientMetadataSchema, status: 201, response: client },
  { method: 'get', path: '/clients/{id}', summary: 'Read a client', status: 200, response: client },
  { method: 'put', path: '/clients/{id}', summary: 'Replace a client', body: clientMetadataSchema, status: 200, response: client },
  { method: 'patch', path: '/clients/{id}', summary: 'Change a client (JSON merge patch: null removes a field)', body: z.record(z.string(), z.unknown()), status: 200, response: client },
  { method: 'delete', path: '/clients/{id}', summary: 'Delete a client', status: 204 },
  { method: 'get', path: '/clients/{id}/logout-health', summary: "A client's sign-out health over 24 h (read now), coverage and circuits", status: 200, response: z.object({ window: z.object({ hours: z.number() }).strict(), ...application.shape }).strict() },
  { method: 'post', path: '/clients/{id}/probe', summary: "Send a test logout to the client's logout URLs", status: 200, response: z.object({ client_id: z.string(), probed_at: time, results: z.array(z.object({ channel: z.string(), label: z.string(), target: z.string(), sent: z.boolean(), ok: z.boolean(), answered: z.boolean(), error: z.string().nullable(), latency_ms: z.number().nullable() }).strict()) }).strict() },
  { method: 'get', path: '/applications', summary: 'Every client with its coverage matrix, 24 h sign-out health and circuits', status: 200, response: z.object({ window: z.object({ hours: z.number() }).strict(), applications: z.array(application) }).strict() },
  { method: 'get', path: '/users', summary: 'List users, or search them (q: an id, or the start of a username or email)', query: ['limit', 'offset', 'connection', 'q'], status: 200, response: z.object({ users: z.array(user), ...page }).strict() },
  { method: 'post', path: '/users', summary: 'Create a user', body: newUserSchema, status: 201, response: user },
  { method: 'get', path: '/users/{id}', summary: 'Read a user', status: 200, response: user },
  { method: 'patch', path: '/users/{id}', summary: 'Change a user (a new password ends every session)', body: userPatchSchema, status: 200, response: user },
  { method: 'delete', path: '/users/{id}', summary: 'Delete a user (ends every session first)', status: 204 },
  { method: 'get', path: '/users/{id}/sessions', summary: "A user's live sessions", status: 200, response: z.object({ sessions: z.array(session) }).strict() },
  { method: 'delete', path: '/users/{id}/sessions', summary: 'Sign the user out everywhere', status: 200, response: z.object({ ended: z.array(z.object({ id: z.string(), clients: z.array(z.string()), revoked_grants: z.number().int(), logout_id: z.string().nullable() }).strict()) }).strict() },
  { method: 'get', path: '/users/{id}/logout-preview', summary: 'What signing the user out everywhere would reach (browser=true: their own sign-out)', query: ['browser'], status: 200, response: z.object({ sessions: z.array(previewSession), applications: z.number().int(), unreached: z.number().int() }).strict() },
  { method: 'get', path: '/sessions/{uid}', summary: 'Read a live session', status: 200, response: session },
  { method: 'delete', path: '/sessions/{uid}', summary: 'End a session (its logout: GET /logouts?session_id=)', status: 204 },
  { method: 'get', path: '/sessions/{uid}/logout-preview', summary: 'What ending the session would reach', query: ['browser'], status: 200, response: previewSession },
  { method: 'get', path: '/logouts', summary: 'Logout records, newest first', query: ['limit', 'offset', 'before', 'status', 'user_id', 'session_id'], status: 200, response: z.object({ logouts: z.array(logoutRecord), ...page, next_before: z.string().nullable() }).strict() },
  { method: 'get', path: '/logouts/{id}', summary: 'A logout and every delivery', status: 200, response: z.object({ ...logoutRecord.shape, summary: z.object({ applications: z.number().int(), signed_out: z.number().int(), failed: z.number().int(), in_progress: z.number().int() }).strict(), deliveries: z.array(delivery) }).strict() },
  { method: 'post', path: '/logouts/{id}/deliveries/{delivery_id}/retry', summary: 'Send a failed delivery again now (audited)', status: 202, response: delivery },
  { method: 'post', path: '/logouts/{id}/deliveries/{delivery_id}/cancel', summary: 'Stop a delivery that is not final (audited)', status: 200, response: delivery },
  { method: 'get', path: '/overview', summary: 'The last 24 hours of sign-out, and now', status: 200, response: overview },
  { method: 'get', path: '/audit', summary: 'Admin actions, newest first (next_before pages)', query: ['actor', 'action', 'before', 'limit'], status: 200, response: z.object({ entries: z.array(z.object({ id: z.string(), at: time, actor: z.string(), action: z.string(), target: z.string().nullable(), status: z.number().int(), detail: z.unknown() }).strict()), next_before: z.string().nullable() }).strict() },
];

const jsonSchema = (s: z.ZodType) => {
  const { $schema, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  void $schema;
  return rest;
};

/** The OpenAPI 3.1 document of the management API. */
export function openApiDocument(config: AdieuConfig) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = (op.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      security: [{ bearer: [] }, { oauth2: [op.method === 'get' ? READ : WRITE] }],
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      responses: {
        [op.status]: op.response ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.response) } } } : { description: 'Done; no body' },
        default: { description: 'A problem', content: { 'application/problem+json': { schema: jsonSchema(problem) } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: `${config.tenant.name} management API`, version: '1' },
    servers: [{ url: `${config.base_url}/api/v1` }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The static admin token (secrets.admin_token), or an access token for the audience below' },
        oauth2: {
          type: 'oauth2',
          description: `Tokens for audience ${managementAudience(config)}: client credentials for machine clients with management_scopes; the console's, for people with a console role`,
          flows: { clientCredentials: { tokenUrl: `${config.base_url}/oauth/token`, scopes: Object.fromEntries(MANAGEMENT_SCOPES.map((s) => [s, s === READ ? 'read everything' : 'change anything'])) } },
        },
      },
    },
    paths,
  };
}

/** GET /api/v1/openapi.json, without credentials (it describes, it holds nothing). */
export function openApiRoutes(config: AdieuConfig): Router {
  const router = new Router();
  let doc: ReturnType<typeof openApiDocument> | undefined;
  router.get('/api/v1/openapi.json', (ctx) => {
    ctx.body = (doc ??= openApiDocument(config));
  });
  return router;
}
