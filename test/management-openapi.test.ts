import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { consoleSession } from '../harness/console.ts';
import { apiFetch, freePort, PASSWORD, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';
import { managementRoutes } from '../src/management/router.ts';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

/** The router's routes as OpenAPI operations: method and path with {params}. */
function routerOperations(idp: TestIdp): string[] {
  const { config, provider, storage, ender, propagation } = idp.adieu;
  return managementRoutes({ config, provider, storage, ender, propagation }).stack
    .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${String(layer.path).replace(/^\/api\/v1/, '').replace(/:(\w+)/g, '{$1}')}`))
    .sort();
}

describe('the management API\'s OpenAPI document', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  let doc: Doc;
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
  (addFormats as unknown as typeof addFormats.default)(ajv);
  const checked: string[] = [];

  before(async () => {
    const port = await freePort();
    receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
    receiver.behaviours.set('down', { kind: 'error', status: 400, body: 'no' });
    idp = await startIdp({
      port,
      users: [
        { username: 'mary@fabrikamcorp.com', email: 'mary@fabrikamcorp.com', password: PASSWORD },
        { username: 'ada', password: PASSWORD, roles: ['admin'] },
        { username: 'otto', password: PASSWORD, roles: ['auditor'] },
      ],
      clients: [testClient('up', { backchannel_logout_uri: receiver.url('up') }), testClient('down', { backchannel_logout_uri: receiver.url('down') })],
    });
    doc = await (await fetch(`${idp.issuer}/api/v1/openapi.json`)).json() as Doc;
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  /** A call whose answer must match the document's schema for its operation and status. */
  async function call(method: string, path: string, operation: string, json?: unknown) {
    const res = await apiFetch(idp.issuer, path, { method, json });
    const text = await res.text();
    const spec = doc.paths[operation]?.[method.toLowerCase()];
    assert.ok(spec, `${method} ${operation} is documented`);
    const response = spec.responses[String(res.status)] ?? spec.responses.default!;
    const schema = response.content && Object.values(response.content)[0]!.schema;
    if (schema) {
      const validate = ajv.compile(schema);
      const body = JSON.parse(text);
      assert.ok(validate(body), `${method} ${path} (${res.status}) matches the document: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 400)}`);
    } else {
      assert.equal(text, '', `${method} ${path}: no body documented`);
    }
    checked.push(`${method.toLowerCase()} ${operation}`);
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('documents every route of the management API, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
    assert.deepEqual(documented, routerOperations(idp));
  });

  it('describes the real responses of every operation', async () => {
    const ua = new UserAgent();
    const mary = (await signIn(ua, idp.issuer, testClient('up'))).claims.sub as string;
    await signIn(ua, idp.issuer, testClient('down'));
    const session = (await call('GET', `/users/${mary}/sessions`, '/users/{id}/sessions')).body.sessions[0].id;
    await call('GET', `/sessions/${session}`, '/sessions/{uid}');
    await call('GET', `/sessions/${session}/logout-preview`, '/sessions/{uid}/logout-preview');
    await call('GET', `/users/${mary}/logout-preview?browser=true`, '/users/{id}/logout-preview');
    await call('GET', '/users?q=mary', '/users');
    await call('GET', `/users/${mary}`, '/users/{id}');
    const created = (await call('POST', '/users', '/users', { username: 'new-user', password: 'long-enough-pw', roles: ['auditor'] })).body;
    await call('PATCH', `/users/${created.id}`, '/users/{id}', { name: 'New' });
    await call('POST', '/users', '/users', { username: 'bad', password: 'short' }); // a problem
    await call('DELETE', `/users/${created.id}`, '/users/{id}');
    await call('GET', '/clients', '/clients');
    await call('POST', '/clients', '/clients', testClient('made'));
    await call('GET', '/clients/made', '/clients/{id}');
    await call('PUT', '/clients/made', '/clients/{id}', testClient('made', { client_name: 'Made' }));
    await call('PATCH', '/clients/made', '/clients/{id}', { client_name: 'Made again' });
    await call('POST', '/clients/up/probe', '/clients/{id}/probe');
    await call('DELETE', '/clients/made', '/clients/{id}');
    const ended = (await call('DELETE', `/users/${mary}/sessions`, '/users/{id}/sessions')).body.ended;
    const logout = await waitFor(async () => {
      const l = (await call('GET', `/logouts/${ended[0].logout_id}`, '/logouts/{id}')).body;
      return l.status !== 'in_progress' && l;
    });
    const down = logout.deliveries.find((d: any) => d.client_id === 'down');
    assert.equal(down.status, 'rejected');
    await call('POST', `/logouts/${logout.id}/deliveries/${down.id}/retry`, '/logouts/{id}/deliveries/{delivery_id}/retry');
    await call('POST', `/logouts/${logout.id}/deliveries/${down.id}/cancel`, '/logouts/{id}/deliveries/{delivery_id}/cancel');
    await call('GET', `/logouts?session_id=${session}`, '/logouts');
    await call('GET', '/clients/up/logout-health', '/clients/{id}/logout-health');
    await call('GET', '/applications', '/applications');
    await call('GET', '/overview', '/overview');
    await call('GET', '/audit?limit=3', '/audit');
    await signIn(ua, idp.issuer, testClient('up'));
    const again = (await call('GET', `/users/${mary}/sessions`, '/users/{id}/sessions')).body.sessions[0].id;
    await call('DELETE', `/sessions/${again}`, '/sessions/{uid}');
    assert.deepEqual([...new Set(checked)].sort(), routerOperations(idp), 'every operation was called');
  });

  it('refuses every state-changing operation without the console\'s CSRF token, and to an auditor', async () => {
    const admin = await consoleSession(idp.issuer, 'ada');
    const auditor = await consoleSession(idp.issuer, 'otto');
    assert.ok(admin.csrf && auditor.csrf, 'both have a console session');
    assert.equal((await auditor.call('GET', '/users')).status, 200, 'an auditor reads');
    const writes = routerOperations(idp).filter((op) => !op.startsWith('get '));
    assert.ok(writes.length >= 12);
    for (const op of writes) {
      const [method, path] = op.split(' ') as [string, string];
      const concrete = path.replace(/\{(\w+)\}/g, 'x');
      const noCsrf = await admin.call(method.toUpperCase(), concrete, { csrf: false, json: {} });
      assert.equal(noCsrf.status, 403, `${op} without CSRF token`);
      assert.match(((await noCsrf.json()) as any).detail, /CSRF/);
      const asAuditor = await auditor.call(method.toUpperCase(), concrete, { json: {} });
      assert.equal(asAuditor.status, 403, `${op} as an auditor`);
      assert.match(((await asAuditor.json()) as any).detail, /write:management/);
    }
    // the CSRF check is not the only thing between a page and a change: the admin's own token works
    assert.equal((await admin.call('POST', '/users', { json: { username: 'via-console', password: 'long-enough-pw' } })).status, 201);
  });
});
