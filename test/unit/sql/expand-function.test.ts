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
    assert.equal(
      expandSqlFunction(fn, ["'Ten tricks'"]),
      "(SELECT pgml.predict('clickbait_classifier', pgml.embed('intfloat/e5-small-v2', ('Ten tricks'))))",
    );
  });

  it('substitutes $n and function-qualified names; leaves other columns alone', () => {
    const fn = { name: 'f', params: ['a', 'b'], body: 'SELECT pgml.predict($1, ARRAY[f.b, b * 2]) + 1' };
    assert.equal(expandSqlFunction(fn, ["'p'", 't.x']), "(SELECT pgml.predict(('p'), ARRAY[(t.x), (t.x) * 2]) + 1)");
  });

  it('refuses bodies it cannot inline faithfully', () => {
    assert.equal(expandSqlFunction({ name: 'f', params: ['a'], body: 'SELECT a FROM t' }, ['1']), undefined);
    assert.equal(expandSqlFunction({ name: 'f', params: ['a'], body: 'SELECT 1; SELECT $1' }, ['1']), undefined);
    assert.equal(expandSqlFunction({ name: 'f', params: ['a'], body: 'SELECT $1 + x FROM t' }, ['1']), '(SELECT (1) + x FROM t)');
  });
});
