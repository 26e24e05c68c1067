import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionRegistry } from '../../../../src/db/functions.js';
import { PgError } from '../../../../src/errors/index.js';
import { registerPgmlFunctions } from '../../../../src/pgml/api/index.js';
import { isRowDependent, planBatches, type BatchPlan } from '../../../../src/proxy/batch/plan.js';
import { analyzeQuery, initParser } from '../../../../src/sql/index.js';

const registry = new FunctionRegistry();
registerPgmlFunctions(registry);
before(() => initParser());

function plans(sql: string): BatchPlan[] {
  const stmt = analyzeQuery(sql, registry).statements[0]!;
  return planBatches(sql, stmt, stmt.calls.filter((c) => c.parentId === undefined && isRowDependent(c)));
}

/** Whitespace-insensitive comparison: the deparser pretty-prints. */
const squash = (s: string) => s.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

describe('planBatches enumeration', () => {
  it('select list: the FROM and WHERE of the scope, not ORDER BY or LIMIT', () => {
    const [plan] = plans(`SELECT id, pgml.predict('p', ARRAY[a, b]) FROM t WHERE id < 10 ORDER BY id LIMIT 5`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[a, b] AS pgml_proxy_key_1 FROM t WHERE id < 10');
    assert.deepEqual(plan!.keys.map((k) => [k.name, k.json]), [['features', false]]);
    assert.match(plan!.lookupSql, /pgml_proxy_r\.pgml_proxy_key_1 = \(ARRAY\[a, b\]\)/);
  });

  it('in WHERE: keeps the other AND-ed conditions, drops the one holding the call', () => {
    const [plan] = plans(`SELECT * FROM t WHERE x > 1 AND pgml.predict('p', ARRAY[a]) > 0.5`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[a] AS pgml_proxy_key_1 FROM t WHERE x > 1');
  });

  it('UPDATE: the target relation is the FROM', () => {
    const [plan] = plans(`UPDATE t AS u SET y = pgml.predict('p', ARRAY[a, b]) WHERE id = 3`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[a, b] AS pgml_proxy_key_1 FROM t AS u WHERE id = 3');
  });

  it('CTEs in reach come along; data-modifying ones do not', () => {
    const [plan] = plans(
      `WITH s AS (SELECT * FROM t), d AS (DELETE FROM z RETURNING *) SELECT pgml.predict('p', ARRAY[s.a]) FROM s`,
    );
    assert.match(squash(plan!.enumerationSql), /^WITH s AS \(SELECT \* FROM t\) SELECT DISTINCT ARRAY\[s\.a\]/);
    assert.doesNotMatch(plan!.enumerationSql, /DELETE/);
  });

  it('rows travel as jsonb', () => {
    const [plan] = plans(`SELECT pgml.predict('p', (x1, color)) FROM t`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT to_jsonb((x1, color)) AS pgml_proxy_key_1 FROM t');
    assert.equal(plan!.keys[0]!.json, true);
  });

  it('a grouped query enumerates per group, with its HAVING', () => {
    const [plan] = plans(`SELECT g, pgml.predict('p', ARRAY[avg(a)]) FROM t GROUP BY g HAVING count(*) > 1`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[avg(a)] AS pgml_proxy_key_1 FROM t GROUP BY g HAVING count(*) > 1');
  });

  it('deeper calls are planned first and outer enumerations read their lookups', () => {
    const list = plans(
      `SELECT pgml.predict('q', ARRAY[s.y]) FROM (SELECT pgml.predict('p', ARRAY[a]) AS y FROM t) s`,
    );
    assert.equal(list.length, 2);
    assert.equal(list[0]!.site.args.get('project_name')?.sqlText, "'p'");
    assert.match(list[1]!.enumerationSql, new RegExp(list[0]!.table.replace('pg_temp.', '')));
  });

  it('refuses a call in a join condition', () => {
    assert.throws(
      () => plans(`SELECT * FROM a JOIN b ON a.x = pgml.predict('p', ARRAY[b.y])`),
      (e: unknown) => e instanceof PgError && e.code === '0A000' && /hint/i.test(JSON.stringify(e.fields())),
    );
  });
});
