import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newMessageId } from './messages.ts';
import { el, renderCanonical, renderParts, template } from './xml-writer.ts';
import { memoisedGrammar, parseXml } from './xml.ts';

describe('writing and reading XML fast, the same as before', () => {
  const build = ({ reference, digest }: { reference: string; digest: string }) => el('ds:Reference', { URI: reference }, [el('ds:DigestValue', {}, [digest])]);
  const filled = template(['reference', 'digest'], build);

  test('a template filled in gives exactly what rendering the element gives', () => {
    const values = { reference: '#_abc', digest: 'q1w2e3=' };
    assert.equal(filled(values), renderCanonical(build(values)));
  });

  test('a template renders instead where a value needs escaping or an ancestor declares its prefix', () => {
    const escaped = { reference: '#a&b', digest: 'x<y' };
    assert.equal(filled(escaped), renderCanonical(build(escaped)));
    assert.match(filled(escaped), /URI="#a&amp;b".*x&lt;y/);
    assert.equal(filled({ reference: '#\ue001', digest: 'd' }), renderCanonical(build({ reference: '#\ue001', digest: 'd' }))); // a marker's character in a value
    const { scope } = renderParts(el('ds:Signature'));
    const plain = { reference: '#_abc', digest: 'd' };
    assert.equal(filled(plain, scope), renderCanonical(build(plain), scope));
    assert.doesNotMatch(filled(plain, scope), /xmlns:ds/);
  });

  test('a template places its values where the element has them, in any order, each exactly once', () => {
    const reversed = template(['a', 'b'], ({ a, b }) => el('ds:Reference', { URI: b }, [a]));
    assert.equal(reversed({ a: 'text', b: 'uri' }), '<ds:Reference xmlns:ds="http://www.w3.org/2000/09/xmldsig#" URI="uri">text</ds:Reference>');
    assert.throws(() => template(['a', 'b'], ({ a }) => el('ds:Reference', {}, [a])), /exactly once/);
    assert.throws(() => template(['a'], ({ a }) => el('ds:Reference', { URI: a }, [a])), /exactly once/);
  });

  test('xmldom compiles each end-tag expression once, and parses as before', () => {
    assert.equal(memoisedGrammar(), true);
    const doc = parseXml('<a:x xmlns:a="urn:a"><a:y>1</a:y><a:y >2</a:y ></a:x>');
    assert.equal(doc.documentElement!.getElementsByTagNameNS('urn:a', 'y').length, 2);
    assert.throws(() => parseXml('<a><b></c></a>'), /well-formed/);
    assert.throws(() => parseXml('<a></a b>'), /well-formed/);
  });

  test('message IDs are 160 random bits, never repeated', () => {
    const ids = new Set(Array.from({ length: 2_000 }, newMessageId)); // several refills of the pool
    assert.equal(ids.size, 2_000);
    for (const id of ids) assert.match(id, /^_[0-9a-f]{40}$/);
  });
});
