// Which statements the planner lets the proxy answer itself (src/sql/plan-local.ts), and the
// columns it describes for them; the bytes themselves are compared with the upstream's in
// test/integration/answer-locally.test.ts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionRegistry } from '../../../src/functions/index.js';
import { registerPgmlFunctions } from '../../../src/pgml/api/index.js';
import { analyzeQuery, initParser } from '../../../src/sql/index.js';
import { planStatement, type Protocol } from '../../../src/sql/plan.js';
import { canAnswerType } from '../../../src/proxy/local-answer.js';

const registry = new FunctionRegistry();
registerPgmlFunctions(registry);
before(() => initParser());

const options = { canPlaceType: () => true, canAnswerType };

function columns(sql: string, protocol: Protocol = 'simple'): [string, string][] | undefined {
  const local = planStatement(sql, analyzeQuery(sql, registry).statements[0]!, protocol, options).local;
  return local?.columns.map((c) => [c.name, c.type]);
}

describe('local answers', () => {
  it('constant calls, their own casts, real widened to double precision, aliases', () => {
    assert.deepEqual(columns(`SELECT pgml.predict('p', ARRAY[1, 2, 3])`), [['predict', 'real']]);
    assert.deepEqual(columns(`select PGML.PREDICT('p', '{1,2}'::real[]) AS "Y", pgml.predict_proba('c', ARRAY[1])::float8[] w`), [
      ['Y', 'real'],
      ['w', 'double precision[]'],
    ]);
    assert.deepEqual(columns(`SELECT pgml.embed('m', 'a sentence')::real[], pgml.predict(7, ARRAY[0]::real[])::double precision AS d`), [
      ['embed', 'real[]'],
      ['d', 'double precision'],
    ]);
  });

  it('parameters only in the extended protocol', () => {
    assert.deepEqual(columns(`SELECT pgml.predict($1, $2::real[])`, 'extended'), [['predict', 'real']]);
    assert.equal(columns(`SELECT pgml.predict($1, $2::real[])`, 'simple'), undefined);
    // An expression of parameters is the upstream's to compute.
    assert.equal(columns(`SELECT pgml.predict($1, ARRAY[$2::real, $3])`, 'extended'), undefined);
  });

  it('anything Postgres would compute or read stays upstream', () => {
    for (const sql of [
      `SELECT pgml.predict('p', ARRAY[1]) * 2`,
      `SELECT pgml.predict('p', ARRAY[1])::numeric(10, 2)`,
      `SELECT pgml.predict('p', ARRAY[1])::text`,
      `SELECT pgml.predict('p', ARRAY[1]), 1`,
      `SELECT pgml.predict('p', ARRAY[1]) FROM t`,
      `SELECT pgml.predict('p', ARRAY[1]) WHERE true`,
      `SELECT pgml.predict('p', ARRAY[1]) LIMIT 1`,
      `SELECT DISTINCT pgml.predict('p', ARRAY[1])`,
      `SELECT pgml.predict('p', ARRAY[1]) UNION SELECT 1`,
      `SELECT pgml.predict('p', ARRAY[1]) INTO t2`,
      `SELECT pgml.predict('p', ARRAY[1]) FOR UPDATE`,
      `WITH x AS (SELECT 1) SELECT pgml.predict('p', ARRAY[1])`,
      `SELECT pgml.predict('p', ARRAY[random()])`,
      `SELECT pgml.predict('p', pgml.embed('m', 'x')::real[])`,
      `SELECT pgml.predict('p', ARRAY[1]) AS "prédiction"`,
      `SELECT pgml.predict('p', ARRAY[1]) AS ${'x'.repeat(64)}`,
      `SELECT pgml.predict('p', ARRAY[1]) AS ${'x'.repeat(63)}`,
      `SELECT pgml.version()`,
      `SELECT * FROM pgml.predict_batch('p', ARRAY[1, 2])`,
      `SELECT pgml.predict_batch('p', ARRAY[1, 2]) AS b`,
      `INSERT INTO t SELECT pgml.predict('p', ARRAY[1])`,
    ]) {
      assert.equal(columns(sql), undefined, sql);
    }
  });

  it('a nested constant call is part of the local answer', () => {
    assert.deepEqual(columns(`SELECT pgml.predict('p', pgml.embed('m', 'x'))`), [['predict', 'real']]);
  });
});
