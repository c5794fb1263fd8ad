import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildLogoutRequest } from './messages.ts';
import { SchemaValidator } from './schema.ts';
import { renderCanonical } from './xml-writer.ts';

describe('SAML 2.0 schema validation', () => {
  const schema = new SchemaValidator();
  after(() => schema.close());
  const request = renderCanonical(buildLogoutRequest({ id: '_r1', issuer: 'https://sp', destination: 'https://idp/slo', nameId: { value: 'mary', format: 'email' }, sessionIndex: 's', now_ms: Date.now(), lifetime_s: 60 }));

  test('accepts a LogoutRequest that follows the schema', async () => {
    await schema.validate(request);
  });

  test('refuses an element the schema does not allow there, naming it', async () => {
    await assert.rejects(schema.validate(request.replace('<samlp:SessionIndex>', '<saml:Audience>x</saml:Audience><samlp:SessionIndex>')), /does not follow the SAML 2\.0 schema: .*Audience/);
  });

  test('refuses a missing required attribute and a bad dateTime', async () => {
    await assert.rejects(schema.validate(request.replace(' Version="2.0"', '')), /Version/);
    await assert.rejects(schema.validate(request.replace(/IssueInstant="[^"]+"/, 'IssueInstant="yesterday"')), /IssueInstant/);
  });

  test('validations run concurrently on one worker', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => schema.validate(i % 2 ? request : request.replace('Version="2.0"', ''))));
    assert.deepEqual(results.map((r) => r.status), Array.from({ length: 10 }, (_, i) => (i % 2 ? 'fulfilled' : 'rejected')));
  });
});
