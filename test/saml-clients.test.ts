import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { api, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { nodeSamlSp, type NodeSamlSp } from '../harness/saml-sp.ts';
import { verifyEnveloped } from '../src/saml/signature.ts';
import { parseXml } from '../src/saml/xml.ts';
import { certificateBody } from '../src/saml/signature.ts';

describe('SAML service providers as clients (management API)', () => {
  let idp: TestIdp;
  let sp: NodeSamlSp;
  before(async () => {
    sp = await nodeSamlSp('wiki');
    idp = await startIdp({ logout: { backchannel: { denied_hosts: ['denied.example'] } } });
  });
  after(() => idp.close());

  const spMetadata = () => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${sp.entity_id}">
  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(sp.credentials.certificate_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(sp.credentials.certificate_pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="http://localhost:9/wiki/soap"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sp.slo}"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="http://localhost:9/wiki/artifact" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sp.acs}" index="1" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`;

  it('registers an SP from its metadata XML, and serves the IdP metadata for it, signed', async () => {
    const created = await api(idp.issuer, '/clients', { method: 'POST', json: { client_id: 'wiki', client_name: 'Wiki', saml: { metadata_xml: spMetadata() } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const saml = created.body.saml;
    assert.equal(saml.entity_id, sp.entity_id);
    assert.deepEqual(saml.assertion_consumer_services, [{ binding: 'HTTP-POST', location: sp.acs, index: 1, is_default: true }], 'Artifact is not spoken: left out');
    assert.deepEqual(saml.single_logout_services.map((s: any) => s.binding), ['SOAP', 'HTTP-Redirect']);
    assert.equal(saml.name_id_format, 'transient');
    assert.equal(saml.signing_certificates.length, 1, 'the signing key');
    assert.equal(saml.encryption_certificates.length, 1, 'the encryption key');
    assert.equal(saml.want_requests_signed, true);
    assert.equal(saml.metadata_xml, undefined, 'the XML is read into fields, not kept');

    const res = await fetch(`${idp.issuer}/samlp/metadata/wiki`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /samlmetadata\+xml/);
    const text = await res.text();
    const doc = parseXml(text);
    const cert = /<ds:X509Certificate>([^<]+)</.exec(text)![1]!;
    const signed = verifyEnveloped(doc, text, [`-----BEGIN CERTIFICATE-----\n${cert}\n-----END CERTIFICATE-----\n`]);
    assert.equal(signed.getAttribute('entityID'), `urn:${new URL(idp.issuer).host}`);
    assert.match(text, new RegExp(`SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idp.issuer}/samlp/wiki"`));
    assert.match(text, new RegExp(`SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idp.issuer}/samlp/wiki/logout"`));
  });

  it('registers an SP from its metadata URL, and says why when the URL does not serve metadata', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(spMetadata());
      else res.writeHead(404).end('no');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const created = await api(idp.issuer, '/clients', { method: 'POST', json: { client_id: 'wiki-by-url', saml: { metadata_url: `${base}/metadata` } } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.saml.entity_id, sp.entity_id);
      assert.equal(created.body.saml.metadata_url, `${base}/metadata`);
      const missing = await api(idp.issuer, '/clients', { method: 'POST', json: { client_id: 'x', saml: { metadata_url: `${base}/nothing` } } });
      assert.equal(missing.status, 400);
      assert.match(missing.body.detail, /saml\.metadata_url: answered HTTP 404/);
      const denied = await api(idp.issuer, '/clients', { method: 'POST', json: { client_id: 'x', saml: { metadata_url: 'http://denied.example/metadata' } } });
      assert.match(denied.body.detail, /saml\.metadata_url: .*denied/);
    } finally {
      server.close();
    }
  });

  it('refuses bad registrations, naming the field', async () => {
    const valid = sp.registration().saml as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [{ client_id: 'x', saml: { ...valid, entity_id: undefined } }, /saml\.entity_id/],
      [{ client_id: 'x', saml: { ...valid, assertion_consumer_services: [{ binding: 'HTTP-POST', location: 'javascript:alert(1)' }] } }, /saml\.assertion_consumer_services\.0\.location/],
      [{ client_id: 'x', saml: { ...valid, assertion_consumer_services: [{ binding: 'HTTP-Artifact', location: sp.acs }] } }, /saml\.assertion_consumer_services\.0\.binding/],
      [{ client_id: 'x', saml: { ...valid, signing_certificates: undefined } }, /saml\.signing_certificates: is required while want_requests_signed/],
      [{ client_id: 'x', saml: { ...valid, signing_certificates: ['not a certificate'] } }, /saml\.signing_certificates\.0: must be an X\.509 certificate/],
      [{ client_id: 'x', saml: { ...valid, encryption_certificates: ['MIIBogus'] } }, /saml\.encryption_certificates\.0: must be an X\.509 certificate/],
      [{ client_id: 'x', saml: { ...valid, name_id_format: 'kerberos' } }, /saml\.name_id_format/],
      [{ client_id: 'x', saml: { ...valid, single_logout_services: [{ binding: 'SOAP', location: 'http://denied.example/soap' }] } }, /saml\.single_logout_services\.0\.location: .*denied/],
      [{ client_id: 'x', saml: { metadata_xml: '<html>' } }, /saml\.metadata_xml/],
      [{ client_id: 'x', saml: { metadata_xml: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x/>' } }, /saml\.metadata_xml: .*DTD/],
      [{ client_id: 'x', redirect_uris: ['http://localhost:9/cb'], saml: valid }, /redirect_uris: is an OpenID Connect field/],
      [{ client_id: 'x', saml: { ...valid, colour: 'blue' } }, /saml\.colour: unknown field/],
    ];
    for (const [body, pattern] of cases) {
      const res = await api(idp.issuer, '/clients', { method: 'POST', json: body });
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 200));
      assert.match(res.body.detail, pattern, JSON.stringify(body).slice(0, 200));
    }
    assert.equal((await api(idp.issuer, '/clients/x')).status, 404, 'nothing was created');
  });

  it('a SAML endpoint for an unknown application, or an OIDC client, is a clear 404 page', async () => {
    for (const path of ['/samlp/nope', '/samlp/metadata/nope', `/samlp/${testClient('app1').client_id}`]) {
      const res = await fetch(`${idp.issuer}${path}`);
      assert.equal(res.status, 404, path);
      assert.match(await res.text(), /No SAML application/);
    }
  });
});
