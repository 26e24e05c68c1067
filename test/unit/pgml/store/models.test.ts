import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { partChecksum, splitParts } from '../../../../src/pgml/store/models.js';
import { splitRelationName } from '../../../../src/pgml/store/relations.js';

describe('estimator parts', () => {
  it('splits into ordered parts that reassemble to the original bytes', () => {
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => i);
    const parts = splitParts(bytes, 4);
    assert.deepEqual(parts.map((p) => p.length), [4, 4, 2]);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(bytes));
  });

  it('keeps one (empty) part for empty bytes, so a model always has a file row', () => {
    assert.equal(splitParts(new Uint8Array(0)).length, 1);
  });

  it('checksums are sha256 of the part', () => {
    const part = Buffer.from('model bytes');
    assert.deepEqual(partChecksum(part), createHash('sha256').update(part).digest());
  });
});

describe('relation names (PostgresML resolution)', () => {
  it('puts unqualified names in public and keeps names as written', () => {
    assert.deepEqual(splitRelationName('click_train_array'), { schema: 'public', name: 'click_train_array' });
    assert.deepEqual(splitRelationName('pgml.Digits'), { schema: 'pgml', name: 'Digits' });
  });

  it('refuses more than two parts with 22023', () => {
    assert.throws(() => splitRelationName('a.b.c'), { code: '22023', message: /not parsable/ });
  });
});
