// Which statements are evaluated in one pass, and the SQL sent upstream for them.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionRegistry } from '../../../src/functions/index.js';
import { registerPgmlFunctions } from '../../../src/pgml/api/index.js';
import { analyzeQuery, initParser } from '../../../src/sql/index.js';
import { planStatement, type StatementPlan } from '../../../src/sql/plan.js';
import { renderOnePass } from '../../../src/sql/plan-one-pass.js';

const registry = new FunctionRegistry();
registerPgmlFunctions(registry);
before(() => initParser());

const options = { canPlaceType: (type: string) => type !== 'jsonb' };

function plan(sql: string): StatementPlan {
  return planStatement(sql, analyzeQuery(sql, registry).statements[0]!, 'simple', options);
}

const modes = (p: StatementPlan) => p.calls.map((c) => c.mode);

describe('one-pass plans', () => {
  it('a call in the select list: a typed NULL in its place, its per-row arguments as extra columns', () => {
    const sql = `SELECT id, pgml.predict('p', ARRAY[a, b]) AS y, c FROM t ORDER BY random() LIMIT 5`;
    const p = plan(sql);
    assert.deepEqual(modes(p), ['onePass']);
    assert.deepEqual(p.onePass!.extraColumns, ['(ARRAY[a, b])']);
    assert.deepEqual(p.onePass!.calls.map((c) => [c.site.name, c.fromEnd, c.inputs.map((i) => i.name)]), [['predict', 1, ['features']]]);
    assert.equal(
      renderOnePass(sql, p.stmt, p.onePass!, new Map()),
      `SELECT id, NULL::real AS y, c, (ARRAY[a, b]) AS pgml_proxy_arg_1 FROM t ORDER BY random() LIMIT 5`,
    );
  });

  it('an unaliased call keeps its column name; SELECT * before it; nested calls innermost first', () => {
    const sql = `SELECT *, pgml.predict('p', pgml.embed('m', body)) FROM t`;
    const p = plan(sql);
    assert.deepEqual(p.onePass!.calls.map((c) => [c.site.name, c.fromEnd]), [['embed', undefined], ['predict', 0]]);
    assert.equal(renderOnePass(sql, p.stmt, p.onePass!, new Map()), `SELECT *, (SELECT NULL::real AS predict), (body) AS pgml_proxy_arg_1 FROM t`);
  });

  it('rows travel as jsonb; the end of a select list without FROM', () => {
    const sql = `SELECT pgml.predict('p', t.*) FROM t`;
    assert.deepEqual(plan(sql).onePass!.extraColumns, ['to_jsonb(t.*)']);
    assert.equal(plan(`SELECT pgml.predict('p', ARRAY[x]) FROM (VALUES (1)) v(x)`).onePass!.insertAt > 0, true);
  });

  it('a cursor over such a SELECT: one pass in a simple Query, keyed when prepared or when the SELECT is not one-pass', () => {
    const sql = `DECLARE c BINARY SCROLL CURSOR WITH HOLD FOR SELECT id, pgml.predict('p', ARRAY[a, b]) AS y FROM t TABLESAMPLE BERNOULLI (10)`;
    const p = plan(sql);
    assert.deepEqual(modes(p), ['onePass']);
    assert.equal(
      renderOnePass(sql, p.stmt, p.onePass!, new Map()),
      `DECLARE c BINARY SCROLL CURSOR WITH HOLD FOR SELECT id, NULL::real AS y, (ARRAY[a, b]) AS pgml_proxy_arg_1 FROM t TABLESAMPLE BERNOULLI (10)`,
    );
    const prepared = planStatement(sql, analyzeQuery(sql, registry).statements[0]!, 'extended', options);
    assert.deepEqual(modes(prepared), ['keyed']);
    assert.deepEqual(modes(plan(`DECLARE c CURSOR FOR SELECT id FROM t WHERE pgml.predict('p', ARRAY[a]) > 0`)), ['keyed']);
    assert.deepEqual(modes(plan(`DECLARE c CURSOR FOR SELECT pgml.predict('p', ARRAY[a]) AS y FROM t ORDER BY y`)), ['keyed']);
  });

  it('RETURNING of INSERT, UPDATE and DELETE: the rows written, evaluated as they stream back', () => {
    const sql = `UPDATE t SET a = a + 1 WHERE id < 3 RETURNING id, pgml.predict('p', ARRAY[a, b]) AS y`;
    const p = plan(sql);
    assert.deepEqual(modes(p), ['onePass']);
    assert.equal(
      renderOnePass(sql, p.stmt, p.onePass!, new Map()),
      `UPDATE t SET a = a + 1 WHERE id < 3 RETURNING id, NULL::real AS y, (ARRAY[a, b]) AS pgml_proxy_arg_1`,
    );
    const insert = `INSERT INTO t (a, b) SELECT x, y FROM u RETURNING pgml.predict('p', ARRAY[a, b])`;
    assert.equal(renderOnePass(insert, plan(insert).stmt, plan(insert).onePass!, new Map()), `INSERT INTO t (a, b) SELECT x, y FROM u RETURNING (SELECT NULL::real AS predict), (ARRAY[a, b]) AS pgml_proxy_arg_1`);
    assert.deepEqual(modes(plan(`DELETE FROM t RETURNING pgml.predict('p', ARRAY[a])`)), ['onePass']);
    // A per-row call in SET too: the statement is keyed.
    assert.equal(plan(`UPDATE t SET y = pgml.predict('p', ARRAY[a]) RETURNING pgml.predict('p', ARRAY[a])`).onePass, undefined);
  });

  it('keyed where a result is read by the statement, or the call is not the column itself', () => {
    for (const sql of [
      `SELECT id, pgml.predict('p', ARRAY[a]) AS y FROM t ORDER BY y`,
      `SELECT pgml.predict('p', ARRAY[a]) FROM t ORDER BY 1`,
      `SELECT DISTINCT pgml.predict('p', ARRAY[a]) FROM t`,
      `SELECT pgml.predict('p', ARRAY[a]) * 2 FROM t`,
      `SELECT id FROM t WHERE pgml.predict('p', ARRAY[a]) > 0`,
      `SELECT pgml.predict('p', ARRAY[a]), * FROM t`,
      `SELECT pgml.predict('p', ARRAY[a]) FROM t UNION ALL SELECT 1`,
      `SELECT pgml.transform('text-classification', inputs => ARRAY[body]) FROM t`,
    ]) {
      const p = plan(sql);
      assert.equal(p.onePass, undefined, sql);
      assert.ok(modes(p).every((m) => m === 'keyed' || m === 'refuse'), sql);
    }
  });

  it('constant calls are evaluated now; at Bind in the extended protocol when they take parameters', () => {
    assert.deepEqual(modes(plan(`SELECT pgml.predict('p', ARRAY[1, 2])`)), ['now']);
    const sql = `SELECT pgml.predict($1, ARRAY[1, 2])`;
    assert.deepEqual(modes(planStatement(sql, analyzeQuery(sql, registry).statements[0]!, 'extended', options)), ['atBind']);
  });
});
