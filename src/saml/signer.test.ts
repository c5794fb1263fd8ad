import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { SignedXml, ExclusiveCanonicalization } from 'xml-crypto';
import { generateSigningCredentials } from './idp-credentials.ts';
import { buildLogoutRequest, buildResponse, signedLogoutRequests, soapEnvelope, type LogoutRequestInput } from './messages.ts';
import type { SigningCredentials } from './signature.ts';
import { XmlSigner } from './signer.ts';
import { NS, parseXml } from './xml.ts';
import { el, renderCanonical } from './xml-writer.ts';

// Adieu signs the text it writes, trusting that it is already canonical: checked here against
// xml-crypto, an independent canonicalizer and verifier.

let credentials: SigningCredentials;
let signer: XmlSigner;
before(async () => {
  credentials = await generateSigningCredentials('idp');
  signer = new XmlSigner(credentials);
});

const tricky = 'Ann & <Bob> "quoted" \'single\'\ttab\nline\rcr é 🙂';

async function response() {
  const now_ms = Date.now();
  return buildResponse({
    issuer: 'urn:idp', destination: 'https://sp/acs?x=1&y=2', inResponseTo: '_req', now_ms,
    assertion: {
      issuer: 'urn:idp', audience: 'https://sp', recipient: 'https://sp/acs?x=1&y=2', inResponseTo: '_req',
      nameId: { value: tricky, format: 'persistent', sp_name_qualifier: 'https://sp' }, sessionIndex: 's1',
      authnInstant_ms: now_ms, now_ms, lifetime_s: 300, attributes: [{ name: 'display "name"', values: [tricky] }],
    },
  }, signer);
}

describe('the canonical writer and signer', () => {
  test('what Adieu writes is its own exclusive canonical form', async () => {
    const text = renderCanonical(await response());
    const doc = parseXml(text);
    assert.equal(new ExclusiveCanonicalization().process(doc.documentElement as unknown as Element, {}).toString(), text);
    const assertion = doc.getElementsByTagNameNS(NS.saml, 'Assertion')[0]!;
    assert.equal(new ExclusiveCanonicalization().process(assertion as unknown as Element, {}).toString(), text.slice(text.indexOf('<saml:Assertion'), text.indexOf('</saml:Assertion>') + '</saml:Assertion>'.length));
  });

  test('both signatures of a Response verify with xml-crypto, and a changed value breaks them', async () => {
    const text = renderCanonical(await response());
    const doc = parseXml(text);
    const verify = (xml: string, which: 'Response' | 'Assertion') => {
      const d = parseXml(xml);
      const parent = d.getElementsByTagNameNS(which === 'Response' ? NS.samlp : NS.saml, which)[0]!;
      const signature = [...d.getElementsByTagNameNS(NS.ds, 'Signature')].find((s) => s.parentNode === parent)!;
      const sig = new SignedXml({ publicCert: credentials.certificate_pem, getCertFromKeyInfo: () => null });
      sig.loadSignature(signature as unknown as Node);
      try {
        return sig.checkSignature(xml);
      } catch {
        return false;
      }
    };
    assert.ok(doc.documentElement);
    assert.equal(verify(text, 'Response'), true);
    assert.equal(verify(text, 'Assertion'), true);
    const changed = text.replace('<saml:Audience>https://sp</saml:Audience>', '<saml:Audience>https://evil</saml:Audience>');
    assert.equal(verify(changed, 'Response'), false);
    assert.equal(verify(changed, 'Assertion'), false);
  });

  test('signed LogoutRequests from the template are exactly what building, signing and rendering gives, of every shape', async () => {
    const write = signedLogoutRequests(signer);
    const now_ms = Date.now();
    const requests: LogoutRequestInput[] = [
      { id: '_lr1', issuer: 'urn:idp', destination: 'https://sp/slo', now_ms, lifetime_s: 60, nameId: { value: 'mary@fabrikam.com', format: 'email' }, sessionIndex: 's1' },
      { id: '_lr2', issuer: 'urn:idp', destination: 'https://sp/slo', now_ms, lifetime_s: 60, nameId: { value: 'p-42', format: 'persistent', sp_name_qualifier: 'https://sp' }, sessionIndex: null, reason: 'urn:oasis:names:tc:SAML:2.0:logout:admin' },
      { id: '_lr3', issuer: 'urn:idp', destination: 'https://sp/slo?a=1&b=2', now_ms, lifetime_s: 60, nameId: { value: tricky, format: 'persistent', sp_name_qualifier: 'https://sp' }, sessionIndex: 's1' },
      { id: '_lr4', issuer: 'urn:idp', destination: 'https://sp/slo', now_ms, lifetime_s: 60, nameId: { value: 'mary@fabrikam.com', format: 'email' }, sessionIndex: 's2' }, // the first shape again
    ];
    for (const r of requests) assert.equal(await write(r), renderCanonical(await signer.sign(buildLogoutRequest(r))), r.id);
  });

  test('a signed LogoutRequest written into a SOAP envelope is still its own canonical form, and its signature verifies', async () => {
    const write = signedLogoutRequests(signer);
    for (const value of ['mary@fabrikam.com', tricky]) {
      const request = await write({
        id: '_lr1', issuer: 'urn:idp', destination: 'https://sp/slo?a=1&b=2', now_ms: Date.now(), lifetime_s: 60,
        nameId: { value, format: 'persistent', sp_name_qualifier: 'https://sp' }, sessionIndex: 's1',
      });
      const envelope = parseXml(soapEnvelope(request));
      assert.equal(envelope.documentElement!.localName, 'Envelope');
      const message = envelope.getElementsByTagNameNS(NS.samlp, 'LogoutRequest')[0]!;
      const canonical = new ExclusiveCanonicalization().process(message as unknown as Element, {}).toString();
      assert.equal(request, canonical);
      const verify = (xml: string) => {
        const sig = new SignedXml({ publicCert: credentials.certificate_pem, getCertFromKeyInfo: () => null });
        sig.loadSignature(parseXml(xml).getElementsByTagNameNS(NS.ds, 'Signature')[0] as unknown as Node);
        try { return sig.checkSignature(xml); } catch { return false; }
      };
      assert.equal(verify(canonical), true);
      assert.equal(verify(canonical.replace('s1</samlp:SessionIndex>', 's2</samlp:SessionIndex>')), false);
    }
  });

  test('a template must take the ID it signs as one of its values', () => {
    assert.throws(() => signer.signedTemplate(['issuer'], ({ issuer }) => el('samlp:LogoutRequest', { ID: '_fixed' }, [el('saml:Issuer', {}, [issuer])])), /ID must be one/);
  });
});
