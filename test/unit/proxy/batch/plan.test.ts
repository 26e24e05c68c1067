import { before, describe, it } from 'node:test';
import { parseSync } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';
import assert from 'node:assert/strict';
import { FunctionRegistry } from '../../../../src/functions/index.js';
import { PgError } from '../../../../src/errors/index.js';
import { registerPgmlFunctions } from '../../../../src/pgml/api/index.js';
import { planBatches, type BatchPlan } from '../../../../src/proxy/batch/plan.js';
import { isRowDependent } from '../../../../src/sql/per-row.js';
import { analyzeQuery, initParser } from '../../../../src/sql/index.js';

const registry = new FunctionRegistry();
registerPgmlFunctions(registry);
before(() => initParser());

function plans(sql: string): BatchPlan[] {
  const stmt = analyzeQuery(sql, registry).statements[0]!;
  return planBatches(sql, stmt, stmt.calls.filter((c) => c.parentId === undefined && isRowDependent(c, stmt)));
}

/** Whitespace-insensitive comparison: the deparser pretty-prints. */
const squash = (s: string) => s.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

/** A lookup as it reads inside a deparsed enumeration. */
const deparsed = (lookup: string) => squash(deparseSync(parseSync(`SELECT ${lookup}`) as never)).replace(/^SELECT /, '');

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

  it('GROUP BY positions become the expressions they name; grouping by the call\'s own result', () => {
    const [plan] = plans(`SELECT b, c + 1, pgml.predict('p', ARRAY[b, c + 1]) FROM t GROUP BY 1, 2`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[b, c + 1] AS pgml_proxy_key_1 FROM t GROUP BY b, c + 1');
    const [rollup] = plans(`SELECT b, pgml.predict('p', ARRAY[b]) FROM t GROUP BY ROLLUP (1)`);
    assert.equal(squash(rollup!.enumerationSql), 'SELECT DISTINCT ARRAY[b] AS pgml_proxy_key_1 FROM t GROUP BY ROLLUP (b)');
    // Grouped by the call's result: grouped by its arguments instead, which enumerates every value needed.
    const [byResult] = plans(`SELECT pgml.predict('p', ARRAY[b]) > 0.5 AS high, count(*) FROM t GROUP BY 1`);
    assert.equal(squash(byResult!.enumerationSql), 'SELECT DISTINCT ARRAY[b] AS pgml_proxy_key_1 FROM t GROUP BY ARRAY[b]');
  });

  it('a one-row SELECT around the call (an inlined function keeping its name) belongs to the enclosing scope', () => {
    const [plan] = plans(`SELECT id, (SELECT pgml.predict('p', ARRAY[a, b])::real AS f) FROM t WHERE id < 3`);
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[a, b] AS pgml_proxy_key_1 FROM t WHERE id < 3');
    // A subquery with a FROM of its own is a scope of its own.
    const [inner] = plans(`SELECT id, (SELECT pgml.predict('p', ARRAY[u.a]) FROM u WHERE u.id = 1) FROM t`);
    assert.equal(squash(inner!.enumerationSql), 'SELECT DISTINCT ARRAY[u.a] AS pgml_proxy_key_1 FROM u WHERE u.id = 1');
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

describe('planBatches with nested per-row calls', () => {
  it('plans the inner call first; the outer one enumerates and looks up through its lookup', () => {
    const list = plans(`SELECT id, pgml.predict('clickbait', pgml.embed('wink/sg-100d', headline)) FROM headlines WHERE id < 10`);
    assert.deepEqual(list.map((p) => p.site.name), ['embed', 'predict']);
    const [inner, outer] = list as [BatchPlan, BatchPlan];
    assert.equal(squash(inner.enumerationSql), 'SELECT DISTINCT headline AS pgml_proxy_key_1 FROM headlines WHERE id < 10');
    const innerLookup = deparsed(inner.lookupSql);
    assert.equal(squash(outer.enumerationSql), `SELECT DISTINCT ${innerLookup} AS pgml_proxy_key_1 FROM headlines WHERE id < 10`);
    assert.deepEqual(outer.keys.map((k) => k.name), ['features']);
    assert.equal(outer.keys[0]!.sqlText, inner.lookupSql);
    for (const plan of list) assert.doesNotMatch(plan.enumerationSql + plan.lookupSql, /pgml\.embed|pgml\.predict/);
  });

  it('a nested call inside an expression argument: the lookup replaces it there', () => {
    const [inner, outer] = plans(`SELECT pgml.predict('p', pgml.embed('m', body)::real[]) FROM t`) as [BatchPlan, BatchPlan];
    assert.equal(inner.site.name, 'embed');
    assert.equal(outer.keys[0]!.sqlText, `${inner.lookupSql}::real[]`);
    const innerLookup = deparsed(inner.lookupSql);
    assert.equal(squash(outer.enumerationSql), `SELECT DISTINCT CAST(${innerLookup} AS real[]) AS pgml_proxy_key_1 FROM t`);
  });

  it('UPDATE and WHERE: both calls enumerate the rows of the same scope', () => {
    const [inner, outer] = plans(`UPDATE t SET label = pgml.predict('p', pgml.embed('m', body)) WHERE id > 3`) as [BatchPlan, BatchPlan];
    assert.equal(squash(inner.enumerationSql), 'SELECT DISTINCT body AS pgml_proxy_key_1 FROM t WHERE id > 3');
    assert.match(squash(outer.enumerationSql), /FROM t WHERE id > 3$/);
    const [whereInner, whereOuter] = plans(`SELECT id FROM t WHERE id > 3 AND pgml.predict('p', pgml.embed('m', body)) > 0.5`) as [BatchPlan, BatchPlan];
    assert.equal(squash(whereInner.enumerationSql), 'SELECT DISTINCT body AS pgml_proxy_key_1 FROM t WHERE id > 3');
    assert.match(squash(whereOuter.enumerationSql), /FROM t WHERE id > 3$/);
  });

  it('WHERE calls are planned before ORDER BY ones, whose enumeration filters with their lookups', () => {
    const nested = `pgml.predict('p', pgml.embed('m', body))`;
    const list = plans(`SELECT id FROM t WHERE id > 3 AND ${nested} = 1 ORDER BY ${nested} DESC`);
    assert.equal(list.length, 4);
    const where = list.slice(0, 2);
    assert.deepEqual(where.map((p) => p.site.name), ['embed', 'predict']);
    assert.ok(where.every((p) => p.site.span.start < list[2]!.site.span.start));
    for (const plan of list) assert.doesNotMatch(plan.enumerationSql, /pgml\.embed|pgml\.predict/, plan.enumerationSql);
    assert.match(squash(list[3]!.enumerationSql), new RegExp(`WHERE id > 3 AND \\(\\(SELECT CASE WHEN pgml_proxy_r\\.pgml_proxy_id IS NOT NULL .* ${where[1]!.table}`));
  });

  it('two per-row calls in AND-ed WHERE conditions: each enumeration leaves out the one not planned yet', () => {
    const [first, second] = plans(`SELECT * FROM t WHERE pgml.predict('p', ARRAY[a]) > 0.5 AND pgml.predict('q', ARRAY[b]) < 0.2 AND x`) as [BatchPlan, BatchPlan];
    assert.equal(squash(first.enumerationSql), 'SELECT DISTINCT ARRAY[a] AS pgml_proxy_key_1 FROM t WHERE x');
    assert.match(squash(second.enumerationSql), new RegExp(`^SELECT DISTINCT ARRAY\\[b\\] AS pgml_proxy_key_1 FROM t WHERE \\(\\(SELECT CASE WHEN pgml_proxy_r\\.pgml_proxy_id IS NOT NULL .* ${first.table} .*\\)\\) > 0\\.5 AND x$`));
  });

  it('only the per-row arguments are keys: a constant call beside them is not planned', () => {
    const list = plans(`SELECT pgml.embed(pgml.version(), body) FROM t`);
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]!.keys.map((k) => k.name), ['text']);
  });

  it('refuses a nested call that does not read the rows inside a per-row argument', () => {
    assert.throws(
      () => plans(`SELECT pgml.predict('p', ARRAY[a] || pgml.embed('m', 'fixed')) FROM t`),
      (e: unknown) => e instanceof PgError && e.code === '0A000' && /do not depend on rows/.test(e.message) && /separate statement/.test(JSON.stringify(e.fields())),
    );
  });
});
