import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newMessageId } from './messages.ts';
import { el, renderCanonical, renderParts, template } from './xml-writer.ts';
import { memoisedGrammar, parseXml } from './xml.ts';

describe('writing and reading XML fast, the same as before', () => {
  const build = (reference: string, digest: string) => el('ds:Reference', { URI: reference }, [el('ds:DigestValue', {}, [digest])]);
  const filled = template(build, 2);

  test('a template filled in gives exactly what rendering the element gives', () => {
    assert.equal(filled(['#_abc', 'q1w2e3=']), renderCanonical(build('#_abc', 'q1w2e3=')));
  });

  test('a template renders instead where a value needs escaping or an ancestor declares its prefix', () => {
    assert.equal(filled(['#a&b', 'x<y']), renderCanonical(build('#a&b', 'x<y')));
    assert.match(filled(['#a&b', 'x<y']), /URI="#a&amp;b".*x&lt;y/);
    const { scope } = renderParts(el('ds:Signature'));
    assert.equal(filled(['#_abc', 'd'], scope), renderCanonical(build('#_abc', 'd'), scope));
    assert.doesNotMatch(filled(['#_abc', 'd'], scope), /xmlns:ds/);
  });

  test('a template must place each value once, in order', () => {
    assert.throws(() => template((a, b) => el('ds:Reference', { URI: b }, [a!]), 2), /once, in order/);
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
