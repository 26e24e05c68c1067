// Which statements the planner streams (src/sql/plan-stream.ts): exactly `SELECT <call> [AS name]`
// of a set-returning call of constants (or parameters in the extended protocol); everything else
// gets the call's rows at once. The streaming itself is tested in
// test/integration/pgml-transform-stream.test.ts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionRegistry } from '../../../src/functions/index.js';
import { registerPgmlFunctions } from '../../../src/pgml/api/index.js';
import { analyzeQuery, initParser } from '../../../src/sql/index.js';
import { planStatement, type Protocol } from '../../../src/sql/plan.js';

const registry = new FunctionRegistry();
registerPgmlFunctions(registry);
before(() => initParser());

function column(sql: string, protocol: Protocol = 'simple'): string | undefined {
  return planStatement(sql, analyzeQuery(sql, registry).statements[0]!, protocol, { canPlaceType: () => true }).stream?.column;
}

const CALL = `pgml.transform_stream('{"task": "text-generation", "model": "m"}'::jsonb, '{}'::jsonb, 'prompt')`;

describe('streamed answers', () => {
  it('the one call of a plain SELECT, named as Postgres names its column', () => {
    assert.equal(column(`SELECT ${CALL}`), 'transform_stream');
    assert.equal(column(`SELECT ${CALL} AS answer`), 'answer');
    assert.equal(column(`SELECT pgml.transform_stream(task => 'text-generation', input => 'x') "Answer"`), 'Answer');
    assert.equal(column(`SELECT pgml.transform_stream($1::jsonb, $2::jsonb, $3)`, 'extended'), 'transform_stream');
  });

  it('anything else gets the rows at once', () => {
    assert.equal(column(`SELECT pgml.transform_stream($1::jsonb, $2::jsonb, $3)`, 'simple'), undefined);
    assert.equal(column(`SELECT * FROM ${CALL}`), undefined);
    assert.equal(column(`SELECT ${CALL}, 1`), undefined);
    assert.equal(column(`SELECT ${CALL}::text`), undefined);
    assert.equal(column(`SELECT ${CALL} LIMIT 3`), undefined);
    assert.equal(column(`SELECT ${CALL} FROM generate_series(1, 2)`), undefined);
    assert.equal(column(`SELECT pgml.transform_stream('text-generation', '{}'::jsonb, upper('x'))`), undefined);
    // Scalar calls are local answers' (plan-local.ts), not streams.
    assert.equal(column(`SELECT pgml.embed('m', 'text')`), undefined);
  });
});
