// The arguments CallEvaluator hands a function (src/proxy/evaluate.ts): constants as the analysis
// holds them are validated once per call site (a statement sent again reuses them), anything read
// per call (a quoted literal read as its type, a bound parameter) is read at every call.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { Queryable } from '../../../src/db/queryable.js';
import { FunctionRegistry, defineFunction, param, type CallArgs, type CallContext } from '../../../src/functions/index.js';
import { CallEvaluator } from '../../../src/proxy/evaluate.js';
import { analyzeQuery, initParser } from '../../../src/sql/index.js';

/** Every call's arguments, as the function received them. */
const received: CallArgs[] = [];
const registry = new FunctionRegistry().register(
  defineFunction({
    schema: 'pgml',
    name: 'test_features',
    params: { project_name: param('text', z.string()), features: param('real[]', z.array(z.number())) },
    returns: { kind: 'scalar', type: 'real' },
    pure: true,
    execute: async (args) => {
      received.push(args);
      return args.features.reduce((sum, f) => sum + f, 0);
    },
  }),
);

/** These calls read nothing from a database: a query would be a bug here. */
const noDatabase = {
  query: () => Promise.reject(new Error('the evaluation queried the database')),
} as unknown as Queryable;
const context: CallContext = {
  db: noDatabase,
  user: 'u',
  database: 'd',
  notice: () => {},
  signal: new AbortController().signal,
  statementStartedAt: 0,
  sessionEpoch: 0,
  // pgml's caches and embedder: test_features needs neither.
  services: {} as CallContext['services'],
};
const evaluator = new CallEvaluator(registry, context);

before(() => initParser());

async function evaluateTwice(sql: string, params?: unknown[][]): Promise<unknown[]> {
  const stmt = analyzeQuery(sql, registry).statements[0]!;
  const site = stmt.calls[0]!;
  received.length = 0;
  return [await evaluator.evaluate(site, stmt, sql, params?.[0]), await evaluator.evaluate(site, stmt, sql, params?.[1])];
}

describe('arguments of a call', () => {
  it('constants as analyzed: validated once, the same arguments at the next call of the statement', async () => {
    assert.deepEqual(await evaluateTwice(`SELECT pgml.test_features('p', ARRAY[1, 2, 3.5])`), [6.5, 6.5]);
    assert.equal(received.length, 2);
    assert.deepEqual(received[0], { project_name: 'p', features: [1, 2, 3.5] });
    assert.equal(received[1], received[0]);
  });

  it('remembered arguments are frozen: a function that changed them would fail, not change the next call', async () => {
    await evaluateTwice(`SELECT pgml.test_features('p', ARRAY[4, 5])`);
    assert.ok(Object.isFrozen(received[0]) && Object.isFrozen(received[0]!.features));
    assert.throws(() => (received[0]!.features as number[]).push(6), TypeError);
    assert.deepEqual(await evaluateTwice(`SELECT pgml.test_features('p', ARRAY[4, 5])`), [9, 9]);
  });

  it('a quoted literal read as its type: read at every call, a fresh value each time', async () => {
    assert.deepEqual(await evaluateTwice(`SELECT pgml.test_features('p', '{1,2}'::real[])`), [3, 3]);
    assert.deepEqual(received[1], received[0]);
    assert.notEqual(received[1], received[0]);
    assert.notEqual(received[1]!.features, received[0]!.features);
  });

  it('a bound parameter: each call its own value', async () => {
    assert.deepEqual(await evaluateTwice(`SELECT pgml.test_features('p', $1::real[])`, [[[1, 2]], [[4, 5]]]), [3, 9]);
    assert.deepEqual(received.map((args) => args.features), [[1, 2], [4, 5]]);
  });

  it('an invalid constant: refused at every call, never remembered', async () => {
    const sql = `SELECT pgml.test_features(NULL, ARRAY[1])`;
    const stmt = analyzeQuery(sql, registry).statements[0]!;
    for (let i = 0; i < 2; i++) await assert.rejects(evaluator.evaluate(stmt.calls[0]!, stmt, sql, undefined), { code: '22023' });
  });
});
