import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { embedWords, parseWordVectors, wordIds } from '../../../../src/pgml/embeddings/wink.js';

// The package's layout, in miniature: each vector is followed by its L2 norm and word index.
const FILE = JSON.stringify({
  precision: 8,
  l2NormIndex: 2,
  wordIndex: 3,
  size: 4,
  dimensions: 2,
  words: ['cat', '"', 'e-mail', 'dog'],
  vectors: { cat: [1, 0, 1, 0], '"': [5, 5, 7.07, 1], 'e-mail': [-2.5e-1, 1.5, 1.52, 2], dog: [0, 3, 3, 3] },
  unkVector: [0, 0, -1],
});

describe('wink word vectors', () => {
  const model = parseWordVectors(Buffer.from(FILE));

  it('reads the vectors, escaped keys and exponents', () => {
    assert.equal(model.dimensions, 2);
    assert.deepEqual([...model.vectors], [1, 0, 5, 5, -0.25, 1.5, 0, 3]);
    assert.equal(model.index.get('"'), 1);
  });

  it('tokenizes to known lowercase words, splitting unknown compounds into known parts', () => {
    assert.deepEqual(wordIds(model, 'Cat, DOG! "e-mail" cat-dog unknown'), [0, 3, 2, 0, 3]);
  });

  it('averages then L2-normalizes; no known word gives the zero vector', () => {
    assert.deepEqual([...embedWords(model, 'cat dog')], [Math.fround(1 / Math.sqrt(10)), Math.fround(3 / Math.sqrt(10))]);
    assert.deepEqual([...embedWords(model, 'cat dog', false)], [0.5, 1.5]);
    assert.deepEqual([...embedWords(model, 'zebra')], [0, 0]);
  });
});
