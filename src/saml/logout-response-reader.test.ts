import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSigningCredentials } from './idp-credentials.ts';
import { LogoutResponseReader } from './logout-response-reader.ts';
import { buildLogoutResponse, soapEnvelope } from './messages.ts';
import type { MessageSigner } from './signature.ts';
import { XmlSigner } from './signer.ts';
import { SamlError, STATUS } from './xml.ts';
import { renderCanonical, type XmlElement } from './xml-writer.ts';

// The SOAP answers of a logout are read on a worker thread: the same rules as on the event loop.

let signer: XmlSigner;
let sp: MessageSigner;
const reader = new LogoutResponseReader();
before(async () => {
  const credentials = await generateSigningCredentials('sp');
  signer = new XmlSigner(credentials);
  sp = { client_id: 'helpdesk', sp: { signing_certificates: [credentials.certificate_pem], want_requests_signed: true } };
});
after(() => reader.close());

const envelope = (message: XmlElement) => soapEnvelope(renderCanonical(message));
const answer = (inResponseTo: string, code: string = STATUS.success) =>
  buildLogoutResponse({ issuer: 'urn:helpdesk', destination: 'https://idp/slo', inResponseTo, now_ms: Date.now(), status: { code } });

describe('reading SOAP LogoutResponses off the event loop', () => {
  test('a signed answer is read once its signature verifies with the SP’s certificate', async () => {
    const response = await reader.read(envelope(await signer.sign(answer('_req1'))), sp);
    assert.equal(response.inResponseTo, '_req1');
    assert.equal(response.issuer, 'urn:helpdesk');
    assert.equal(response.status, STATUS.success);
  });

  test('answers read together each get their own result, in any mix of good and refused', async () => {
    const signed = await Promise.all(['_a', '_b', '_c'].map(async (id) => envelope(await signer.sign(answer(id, id === '_b' ? STATUS.responder : STATUS.success)))));
    const results = await Promise.allSettled([...signed.map((text) => reader.read(text, sp)), reader.read(envelope(answer('_d')), sp)]);
    assert.deepEqual(results.slice(0, 3).map((r) => r.status === 'fulfilled' && [r.value.inResponseTo, r.value.status]), [['_a', STATUS.success], ['_b', STATUS.responder], ['_c', STATUS.success]]);
    const unsigned = results[3]!;
    assert.ok(unsigned.status === 'rejected' && unsigned.reason instanceof SamlError && /must sign/.test(unsigned.reason.message));
  });

  test('a tampered answer is refused as a SamlError (its signature no longer verifies)', async () => {
    const text = envelope(await signer.sign(answer('_req2'))).replace('urn:helpdesk', 'urn:helpdesk2');
    await assert.rejects(reader.read(text, sp), (err: Error) => err instanceof SamlError && /signature|Issuer|digest/i.test(err.message));
  });

  test('a SOAP Fault comes back with the Responder status it is read with (so it is retried)', async () => {
    const fault = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>busy</faultstring></soap:Fault></soap:Body></soap:Envelope>';
    await assert.rejects(reader.read(fault, sp), (err: Error) => err instanceof SamlError && err.status === STATUS.responder && /busy/.test(err.message));
  });

  test('a DTD is refused before anything is read', async () => {
    const text = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>${envelope(answer('_req3'))}`;
    await assert.rejects(reader.read(text, sp), (err: Error) => err instanceof SamlError && /DTD/.test(err.message));
  });

  test('a reader whose worker died fails what it held and starts another for the next answer', async () => {
    const dying = new LogoutResponseReader();
    const text = envelope(await signer.sign(answer('_req4')));
    assert.equal((await dying.read(text, sp)).inResponseTo, '_req4');
    const held = dying.read(text, sp);
    await new Promise((r) => setImmediate(r)); // posted
    await (dying as unknown as { close(): Promise<void> }).close();
    await assert.rejects(held, /exited/);
    assert.equal((await dying.read(text, sp)).inResponseTo, '_req4');
    await dying.close();
  });
});
