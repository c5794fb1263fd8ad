import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { api, startIdp, type TestIdp } from '../harness/idp.ts';
import { parseConfig } from '../src/config/load.ts';
import { generateSigningCredentials } from '../src/saml/idp-credentials.ts';
import { certificateBody, normalizeCertificate } from '../src/saml/signature.ts';

/** An SP's metadata, as a web server serves it; `serve` changes what it serves (or makes it fail). */
async function metadataServer() {
  let answer: { status: number; body: string } = { status: 404, body: 'no' };
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    res.writeHead(answer.status, { 'content-type': 'application/samlmetadata+xml' }).end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/metadata`,
    serve(status: number, body: string) { answer = { status, body }; },
    get requests() { return requests; },
    close: () => server.close(),
  };
}

const metadata = (entityId: string, certificatePem: string, acs: string) => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SAML SPs registered by their metadata URL (config file and management API), refreshed', () => {
  let md: Awaited<ReturnType<typeof metadataServer>>;
  let idp: TestIdp;
  let first: string;
  let second: string;
  const entityId = 'https://helpdesk.example/saml';
  before(async () => {
    [first, second] = await Promise.all([generateSigningCredentials('sp one'), generateSigningCredentials('sp two')].map(async (c) => (await c).certificate_pem));
    md = await metadataServer();
    md.serve(200, metadata(entityId, first, 'http://localhost:9/helpdesk/acs'));
    idp = await startIdp({
      saml: { metadata_refresh_s: 1 },
      clients: [{ client_id: 'helpdesk', client_name: 'Helpdesk', saml: { metadata_url: md.url, attributes: { email: 'email' }, name_id_format: 'email' } }],
    });
  });
  after(async () => {
    await idp?.close();
    md.close();
  });

  it('registers an SP of the config file from the metadata its URL serves at start, with the settings given beside it', async () => {
    const { body } = await api(idp.issuer, '/clients/helpdesk');
    assert.equal(body.saml.entity_id, entityId);
    assert.deepEqual(body.saml.assertion_consumer_services, [{ binding: 'HTTP-POST', location: 'http://localhost:9/helpdesk/acs', index: 0 }]);
    assert.deepEqual(body.saml.signing_certificates, [normalizeCertificate(first)]);
    assert.equal(body.saml.name_id_format, 'email', 'the admin\'s NameID format, not the metadata\'s');
    assert.deepEqual(body.saml.attributes, { email: 'email' });
    assert.equal(body.saml.metadata_url, md.url);
  });

  it('takes up a rolled-over certificate and a moved endpoint at the next refresh, and keeps the admin\'s settings', async () => {
    md.serve(200, metadata(entityId, second, 'https://helpdesk.example/acs'));
    const body = await until('the refreshed registration', async () => {
      const { body } = await api(idp.issuer, '/clients/helpdesk');
      return body.saml.signing_certificates[0] === normalizeCertificate(second) ? body : undefined;
    });
    assert.equal(body.saml.assertion_consumer_services[0].location, 'https://helpdesk.example/acs');
    assert.equal(body.saml.name_id_format, 'email');
    assert.deepEqual(body.saml.attributes, { email: 'email' });
    assert.equal(body.source, 'config', 'still the config file\'s');
    // metadata that did not change is not written again
    const seen = md.requests;
    await until('two more refreshes', async () => (md.requests >= seen + 2 ? true : undefined));
    assert.equal((await api(idp.issuer, '/clients/helpdesk')).body.updated_at, body.updated_at);
  });

  it('keeps the last good registration while the metadata URL fails or serves something that is not metadata', async () => {
    const before = (await api(idp.issuer, '/clients/helpdesk')).body;
    for (const [status, text] of [[500, 'down'], [200, '<html>maintenance</html>']] as const) {
      md.serve(status, text);
      const seen = md.requests;
      await until('two more refreshes', async () => (md.requests >= seen + 2 ? true : undefined));
      assert.deepEqual((await api(idp.issuer, '/clients/helpdesk')).body, before);
    }
  });

  it('refreshes an SP the management API registered by URL, keeping what the admin set', async () => {
    const other = await metadataServer();
    try {
      other.serve(200, metadata('https://wiki.example/saml', first, 'https://wiki.example/acs'));
      const created = await api(idp.issuer, '/clients', { method: 'POST', json: { client_id: 'wiki', saml: { metadata_url: other.url, partial_logout_status: 'Responder' } } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.saml.name_id_format, 'persistent', 'from the metadata when not given');
      other.serve(200, metadata('https://wiki.example/saml', second, 'https://wiki.example/acs'));
      const body = await until('the refreshed registration', async () => {
        const { body } = await api(idp.issuer, '/clients/wiki');
        return body.saml.signing_certificates[0] === normalizeCertificate(second) ? body : undefined;
      });
      assert.equal(body.saml.partial_logout_status, 'Responder');
      assert.equal(body.source, 'api');
    } finally {
      other.close();
    }
  });

  it('starts with the registration stored before when the metadata URL is down, and refuses to start without one', async () => {
    md.serve(503, 'down');
    idp = await idp.restart();
    assert.equal((await api(idp.issuer, '/clients/helpdesk')).body.saml.entity_id, entityId, 'the stored registration is used');
    await assert.rejects(startIdp({ clients: [{ client_id: 'fresh', saml: { metadata_url: md.url } }] }), /config clients\[fresh\]: saml\.metadata_url: answered HTTP 503/);
  });

  it('refuses, in the config file, what the metadata describes beside its URL', () => {
    assert.throws(() => parseConfig({ issuer: 'http://localhost:3000', clients: [{ client_id: 'x', saml: { metadata_url: md.url, entity_id: 'urn:x' } }] }, {}),
      /clients\.0\.saml\.entity_id: comes from saml\.metadata_url/);
  });
});
