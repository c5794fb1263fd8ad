import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizedExcerpt } from './excerpt.ts';

describe('sanitizedExcerpt', () => {
  it('redacts secret-looking fields and opaque strings', () => {
    assert.equal(sanitizedExcerpt('Internal error: db-password=hunter2 user=app'), 'Internal error: db-password=[redacted] user=app');
    assert.equal(sanitizedExcerpt('{"api_key": "abc", "ok": 1}'), '{"api_key": [redacted], "ok": 1}');
    assert.equal(sanitizedExcerpt('Authorization: Bearer x'), 'Authorization: [redacted] x');
    assert.equal(sanitizedExcerpt('session 3q2+7w9vZk1mN8xYp4LrT6uQsW0= expired'), 'session [redacted] expired');
  });

  it('folds control characters and keeps at most 120 characters', () => {
    assert.equal(sanitizedExcerpt('line one\r\n\tline two\u0007'), 'line one line two');
    const long = sanitizedExcerpt('word '.repeat(100));
    assert.equal(long.length, 120);
    assert.ok(long.endsWith('…'));
  });

  it('leaves an ordinary answer as it is', () => {
    assert.equal(sanitizedExcerpt('try later'), 'try later');
  });
});
