import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { generateSigningCredentials } from './idp-credentials.ts';
import { signEnveloped, signRedirectQuery } from '../../harness/xml-sign.ts';
import { buildLogoutRequest, readLogoutRequest } from './messages.ts';
import { readRedirectQuery, verifyEnveloped, verifyRedirectSignature, type SigningCredentials } from './signature.ts';
import { parseXml, SamlError } from './xml.ts';
import { renderCanonical } from './xml-writer.ts';

// The SAML failure history, as attempts against Adieu's verifier: each must be refused, and
// whatever is refused must never be read. SP messages are signed by xml-crypto (harness/xml-sign.ts).

let sp: SigningCredentials;
let attacker: SigningCredentials;
before(async () => {
  [sp, attacker] = await Promise.all([generateSigningCredentials('sp'), generateSigningCredentials('attacker')]);
});

const request = (nameId: string, id = '_req1') => renderCanonical(buildLogoutRequest({
  id, issuer: 'https://sp/metadata', destination: 'https://idp/samlp/sp/logout', nameId: { value: nameId, format: 'email' },
  sessionIndex: 'sid-1', now_ms: Date.now(), lifetime_s: 60,
}));
const verify = (text: string, certs = [sp.certificate_pem]) => readLogoutRequest(verifyEnveloped(parseXml(text), text, certs));

describe('enveloped signatures', () => {
  test('a request signed by the SP verifies, and is read from the signed bytes', () => {
    assert.equal(verify(signEnveloped(request('mary@fabrikamcorp.com'), sp)).nameId.value, 'mary@fabrikamcorp.com');
  });

  test('a changed NameID breaks the signature', () => {
    const signed = signEnveloped(request('mary@fabrikamcorp.com'), sp);
    assert.throws(() => verify(signed.replace('mary@', 'ceo@')), SamlError);
  });

  test('signature wrapping: a signed request hidden inside a forged one is refused (the forged root is not what was signed)', () => {
    const signed = signEnveloped(request('mary@fabrikamcorp.com'), sp);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    // samlify #634's shape: the attacker's message carries the captured signature, which references the original's ID
    const wrapped = request('ceo@fabrikamcorp.com', '_evil')
      .replace('</saml:Issuer>', `</saml:Issuer>${signature}<samlp:Extensions>${signed}</samlp:Extensions>`);
    assert.throws(() => verify(wrapped), /signatures|not reference|not unique/);
    // the same with the original's ID on the forged root: two elements claim it
    const sameId = wrapped.replace('ID="_evil"', 'ID="_req1"');
    assert.throws(() => verify(sameId), /signatures|not unique/);
  });

  test('a signature anywhere but on the message itself is refused', () => {
    const signed = signEnveloped(request('mary@fabrikamcorp.com'), sp);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    const moved = signed.replace(signature, '').replace('</saml:NameID>', `${signature}</saml:NameID>`);
    assert.notEqual(moved, signed);
    assert.throws(() => verify(moved), /not on the message/);
  });

  test('a key the message brings in KeyInfo is never trusted: only the registered certificate verifies', () => {
    const forged = signEnveloped(request('ceo@fabrikamcorp.com'), attacker); // carries the attacker's certificate in KeyInfo
    assert.throws(() => verify(forged), /does not verify/);
    assert.equal(verify(forged, [attacker.certificate_pem]).nameId.value, 'ceo@fabrikamcorp.com');
  });

  test('a comment inside the NameID is refused rather than read around', () => {
    const text = signEnveloped(request('ceo@fabrikamcorp.com.evil.example'), sp).replace('ceo@fabrikamcorp.com.evil.example', 'ceo@fabrikamcorp.com<!---->.evil.example');
    // the comment is not signed (exc-c14n without comments), so the signature holds; the reader refuses it
    assert.throws(() => readLogoutRequest(parseXml(text).documentElement!), /only text \(found a comment\)/);
    assert.equal(verify(text).nameId.value, 'ceo@fabrikamcorp.com.evil.example', 'the signed bytes carry no comment');
  });

  test('SHA-1 signatures and unknown algorithms are refused', () => {
    const signed = signEnveloped(request('mary@fabrikamcorp.com'), sp).replace('xmldsig-more#rsa-sha256', '#rsa-sha1').replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    assert.throws(() => verify(signed), /not allowed/);
  });

  test('an unsigned message is refused where a signature is verified', () => {
    assert.throws(() => verify(request('mary@fabrikamcorp.com')), /is not signed/);
  });
});

describe('the parser', () => {
  test('refuses a DTD: no external entities (XXE), no entity expansion', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${request('&x;')}`;
    assert.throws(() => parseXml(xxe), /DTD/);
    const bomb = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${request('&b;')}`;
    assert.throws(() => parseXml(bomb), /DTD/);
  });

  test('refuses oversize messages before parsing', () => {
    assert.throws(() => parseXml(request('x'.repeat(70_000))), /larger than/);
  });

  test('refuses what is not well-formed', () => {
    assert.throws(() => parseXml('<samlp:LogoutRequest'), /well-formed/);
  });
});

describe('Redirect-binding signatures', () => {
  test('verify over the query as received, and refuse a changed RelayState or another key', () => {
    const query = signRedirectQuery('SAMLRequest', 'ZGF0YQ==', 'back/to?x=1', sp);
    const q = readRedirectQuery(query);
    verifyRedirectSignature(q.signed!, [sp.certificate_pem]);
    assert.equal(q.relayState, 'back/to?x=1');
    const tampered = readRedirectQuery(query.replace('RelayState=back', 'RelayState=evil'));
    assert.throws(() => verifyRedirectSignature(tampered.signed!, [sp.certificate_pem]), /does not verify/);
    assert.throws(() => verifyRedirectSignature(q.signed!, [attacker.certificate_pem]), /does not verify/);
  });

  test('refuse SHA-1, a duplicated parameter, and a signature without SigAlg', () => {
    const sha1 = `SAMLRequest=ZGF0YQ%3D%3D&SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`;
    const signature = createSign('RSA-SHA1').update(sha1).sign(sp.private_key_pem, 'base64');
    assert.throws(() => verifyRedirectSignature(readRedirectQuery(`${sha1}&Signature=${encodeURIComponent(signature)}`).signed!, [sp.certificate_pem]), /not allowed/);
    assert.throws(() => readRedirectQuery('SAMLRequest=a&SAMLRequest=b'), /more than once/);
    assert.throws(() => readRedirectQuery('SAMLRequest=a&Signature=b'), /both SigAlg and Signature/);
  });
});
