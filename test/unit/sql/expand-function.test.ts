import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandSqlFunction } from '../../../src/sql/expand-function.js';
import { initParser } from '../../../src/sql/parser.js';

before(() => initParser());

describe('expandSqlFunction', () => {
  it('substitutes named parameters (the seed predict_clickbait)', () => {
    const fn = {
      name: 'predict_clickbait',
      params: ['input_string'],
      body: `
    SELECT pgml.predict('clickbait_classifier', pgml.embed('intfloat/e5-small-v2', input_string));
  `,
    };
    assert.deepEqual(expandSqlFunction(fn, ["'Ten tricks'"]), {
      sql: "(SELECT pgml.predict('clickbait_classifier', pgml.embed('intfloat/e5-small-v2', ('Ten tricks'))))",
      hasFrom: false,
      singleRow: true,
      uses: [1],
    });
  });

  it('substitutes $n and function-qualified names; leaves other columns alone', () => {
    const fn = { name: 'f', params: ['a', 'b'], body: 'SELECT pgml.predict($1, ARRAY[f.b, b * 2]) + 1' };
    const expanded = expandSqlFunction(fn, ["'p'", 't.x']);
    assert.ok(typeof expanded !== 'string');
    assert.equal(expanded.sql, "(SELECT pgml.predict(('p'), ARRAY[(t.x), (t.x) * 2]) + 1)");
    assert.deepEqual(expanded.uses, [1, 2]);
  });

  it('says why a body cannot be inlined faithfully', () => {
    assert.match(expandSqlFunction({ name: 'f', params: ['a'], body: 'SELECT a FROM t' }, ['1']) as string, /bare name/);
    assert.match(expandSqlFunction({ name: 'f', params: ['a'], body: 'SELECT 1; SELECT $1' }, ['1']) as string, /exactly one SELECT/);
    assert.match(expandSqlFunction({ name: 'f', params: ['a'], body: 'INSERT INTO t VALUES ($1)' }, ['1']) as string, /exactly one SELECT/);
    const withFrom = expandSqlFunction({ name: 'f', params: ['a'], body: 'SELECT $1 + x FROM t' }, ['1']);
    assert.ok(typeof withFrom !== 'string');
    assert.equal(withFrom.sql, '(SELECT (1) + x FROM t)');
    assert.equal(withFrom.hasFrom, true);
    assert.equal(withFrom.singleRow, false);
  });
});
