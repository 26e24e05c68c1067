import { before, describe, it } from 'node:test';
import { parseSync } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';
import assert from 'node:assert/strict';
import { FunctionRegistry } from '../../../../src/functions/index.js';
import { PgError } from '../../../../src/errors/index.js';
import { registerPgmlFunctions } from '../../../../src/pgml/api/index.js';
import { planBatches, type BatchPlan } from '../../../../src/proxy/batch/plan.js';
import { isRowDependent } from '../../../../src/sql/per-row.js';
import { volatileFunctionsFrom } from '../../../../src/sql/volatility.js';
import { analyzeQuery, initParser, spliceStatement } from '../../../../src/sql/index.js';

const registry = new FunctionRegistry();
/** What the upstream says of the functions these statements call: random() and clock_timestamp() are volatile. */
const volatile = volatileFunctionsFrom([
  { schema: 'pg_catalog', name: 'random' },
  { schema: 'pg_catalog', name: 'clock_timestamp' },
]);
registerPgmlFunctions(registry);
before(() => initParser());

function plans(sql: string): BatchPlan[] {
  const stmt = analyzeQuery(sql, registry).statements[0]!;
  return planBatches(sql, stmt, stmt.calls.filter((c) => c.parentId === undefined && isRowDependent(c, stmt)), volatile).plans;
}

/**
 * Whitespace-insensitive comparison: the deparser pretty-prints. The scope's FROM items are read
 * from copies (scope-rows.ts) named after the items: shown here by those names; the rows of an
 * UPDATE or DELETE target locked for the statement are shown as LOCKED(target).
 */
const squash = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')
    .replace(/pg_temp\.pgml_proxy_rows_\d+_\d+ AS /g, '')
    .replace(/\((\w+)\.tableoid, \1\.ctid\) IN \(SELECT pgml_proxy_tableoid, pgml_proxy_ctid FROM pg_temp\.pgml_proxy_rows_\d+_\d+\)/g, 'LOCKED($1)')
    .trim();

/** A lookup as it reads inside a deparsed enumeration. */
const deparsed = (lookup: string) => squash(deparseSync(parseSync(`SELECT ${lookup}`) as never)).replace(/^SELECT /, '');

function rewrite(sql: string): { plans: BatchPlan[]; statement: string } {
  const stmt = analyzeQuery(sql, registry).statements[0]!;
  const { plans, edits } = planBatches(sql, stmt, stmt.calls.filter((c) => c.parentId === undefined && isRowDependent(c, stmt)), volatile);
  const lookups = new Map(plans.map((p) => [p.site.id, 'L']));
  return { plans, statement: spliceStatement(sql, stmt, lookups, edits).replace(/pg_temp\.pgml_proxy_rows_\d+_\d+/g, 'COPY') };
}

describe('planBatches reads each scope\'s FROM once', () => {
  it('a volatile subquery and TABLESAMPLE are copied whole, under their names; the statement reads the copies', () => {
    const { plans: [plan], statement } = rewrite(
      `SELECT x FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) s, flowers TABLESAMPLE BERNOULLI (20) WHERE pgml.predict('iris', s.f) > 1 ORDER BY 1`,
    );
    assert.deepEqual(plan!.copies.map((c) => squash(c.selectSql)), [
      'SELECT * FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) AS s',
      'SELECT * FROM flowers TABLESAMPLE bernoulli (20)',
    ]);
    assert.equal(statement, 'SELECT x FROM COPY AS s, COPY AS flowers WHERE L > 1 ORDER BY 1');
  });

  it('tables inside a JOIN are copied, keeping the JOIN and the aliases; LATERAL items are left as written', () => {
    const { plans: [plan], statement } = rewrite(
      `SELECT pgml.predict('p', ARRAY[a.x, b.y]) FROM public.a JOIN b AS bb(y) USING (id), LATERAL (SELECT a.x) l WHERE pgml.predict('p', ARRAY[a.x]) > 0`,
    );
    assert.deepEqual(plan!.copies.map((c) => squash(c.selectSql)), ['SELECT * FROM public.a', 'SELECT * FROM b']);
    assert.equal(statement, 'SELECT L FROM COPY AS a JOIN COPY AS bb(y) USING (id), LATERAL (SELECT a.x) l WHERE L > 0');
    // A function may read the items before it: only a first one is copied.
    assert.equal(
      rewrite(`SELECT x FROM generate_series(1, 3) g, t, unnest(t.xs) x WHERE pgml.predict('p', ARRAY[x, g]) > 0`).statement,
      'SELECT x FROM COPY AS g, COPY AS t, unnest(t.xs) x WHERE L > 0',
    );
  });

  it('UPDATE and DELETE: the FROM (USING) items are copied; the target\'s rows are locked, and the statement limited to them', () => {
    const update = rewrite(`UPDATE t SET p = pgml.predict('p', ARRAY[s.a]) FROM (SELECT * FROM u TABLESAMPLE SYSTEM (50)) s WHERE t.id = s.id RETURNING t.id`);
    assert.equal(
      update.statement,
      'UPDATE t SET p = L FROM COPY AS s WHERE ( t.id = s.id ) AND (t.tableoid, t.ctid) IN (SELECT pgml_proxy_tableoid, pgml_proxy_ctid FROM COPY) RETURNING t.id',
    );
    assert.deepEqual(update.plans[0]!.copies.map((c) => squash(c.selectSql).replace(/pg_temp\.pgml_proxy_rows_\d+_\d+/, 'COPY')), [
      'SELECT * FROM (SELECT * FROM u TABLESAMPLE system (50)) AS s',
      'SELECT t.tableoid AS pgml_proxy_tableoid, t.ctid AS pgml_proxy_ctid FROM t, s WHERE t.id = s.id FOR UPDATE OF t',
    ]);
    assert.equal(
      rewrite(`DELETE FROM t AS x USING u WHERE pgml.predict('p', ARRAY[u.a]) > 1`).statement,
      'DELETE FROM t AS x USING COPY AS u WHERE ( L > 1) AND (x.tableoid, x.ctid) IN (SELECT pgml_proxy_tableoid, pgml_proxy_ctid FROM COPY) ',
    );
    assert.equal(
      rewrite(`UPDATE t SET p = pgml.predict('p', ARRAY[a])`).statement,
      'UPDATE t SET p = L WHERE (t.tableoid, t.ctid) IN (SELECT pgml_proxy_tableoid, pgml_proxy_ctid FROM COPY) ',
    );
  });

  it('the tables read by subqueries of the WHERE are copied; not temporary tables, nor a subquery defining CTEs', () => {
    const select = rewrite(`SELECT f FROM t WHERE id IN (SELECT id FROM public.picks p) AND NOT EXISTS (SELECT 1 FROM done WHERE done.id = t.id) AND pgml.predict('p', f) = 1`);
    assert.equal(
      select.statement,
      'SELECT f FROM COPY AS t WHERE id IN (SELECT id FROM COPY p) AND NOT EXISTS (SELECT 1 FROM COPY AS done WHERE done.id = t.id) AND L = 1',
    );
    assert.deepEqual(select.plans[0]!.copies.map((c) => squash(c.selectSql)), ['SELECT * FROM t', 'SELECT * FROM public.picks', 'SELECT * FROM done']);
    assert.match(squash(select.plans[0]!.enumerationSql), /FROM t WHERE id IN \(SELECT id FROM p\) AND NOT \(EXISTS \(SELECT 1 FROM done WHERE done\.id = t\.id\)\)$/);
    const update = rewrite(`UPDATE t SET p = pgml.predict('p', f) WHERE id IN (SELECT id FROM picks) AND id NOT IN (SELECT id FROM pg_temp.mine)`);
    assert.match(update.statement, /^UPDATE t SET p = L WHERE \( id IN \(SELECT id FROM COPY AS picks\) AND id NOT IN \(SELECT id FROM pg_temp\.mine\)\) AND \(t\.tableoid/);
    assert.match(squash(update.plans[0]!.copies.at(-1)!.selectSql), /FROM t WHERE id IN \(SELECT id FROM picks\) AND NOT \(id IN \(SELECT id FROM pg_temp\.mine\)\) FOR UPDATE OF t$/);
    assert.equal(
      rewrite(`SELECT f FROM t WHERE id IN (WITH x AS (SELECT 1 AS id) SELECT id FROM x) AND pgml.predict('p', f) = 1`).statement,
      'SELECT f FROM COPY AS t WHERE id IN (WITH x AS (SELECT 1 AS id) SELECT id FROM x) AND L = 1',
    );
  });

  it('a call in WHERE over copies reads a miss as NULL (a row the other conditions reject); elsewhere a miss fails', () => {
    const lenient = (sql: string) => !/missing_result/.test(plans(sql)[0]!.lookupSql);
    assert.equal(lenient(`SELECT a.f FROM a JOIN b ON a.id = b.id WHERE pgml.predict('p', a.f) > 0`), true);
    assert.equal(lenient(`SELECT f FROM a WHERE id IN (SELECT id FROM b) AND pgml.predict('p', f) > 0`), true);
    assert.equal(lenient(`UPDATE a SET x = 1 WHERE pgml.predict('p', f) > 0`), true);
    // Not over copies: a LATERAL item, a JOIN with a volatile condition, SELECT ... FOR UPDATE, a subquery defining CTEs.
    assert.equal(lenient(`SELECT a.f FROM a, LATERAL (SELECT * FROM b WHERE b.id = a.id) l WHERE pgml.predict('p', a.f) > 0`), false);
    assert.equal(lenient(`SELECT a.f FROM a JOIN b ON a.id = b.id AND random() < 0.5 WHERE pgml.predict('p', a.f) > 0`), false);
    assert.equal(lenient(`SELECT f FROM a WHERE pgml.predict('p', f) > 0 FOR UPDATE`), false);
    assert.equal(lenient(`SELECT f FROM a WHERE id IN (WITH x AS (SELECT id FROM b) SELECT id FROM x) AND pgml.predict('p', f) > 0`), false);
    // Outside WHERE the rows reaching the call passed every condition: a miss is a changed row.
    assert.equal(lenient(`INSERT INTO out SELECT pgml.predict('p', f) FROM a WHERE id IN (SELECT id FROM b)`), false);
  });

  it('a LATERAL subquery of one row: the FROM items before it are enumerated, and planned first', () => {
    const { plans: list, statement } = rewrite(
      `SELECT pgml.predict('p', ARRAY[t.b]) FROM t, LATERAL (SELECT pgml.predict('p', ARRAY[t.a]) AS y) l WHERE l.y > 0`,
    );
    assert.deepEqual(list.map((p) => p.keys[0]!.sqlText), ['ARRAY[t.a]', 'ARRAY[t.b]']);
    assert.equal(squash(list[0]!.enumerationSql), 'SELECT DISTINCT ARRAY[t.a] AS pgml_proxy_key_1 FROM t');
    assert.equal(statement, 'SELECT L FROM COPY AS t, LATERAL (SELECT L AS y) l WHERE l.y > 0');
  });

  it('SELECT ... FOR UPDATE locks the tables themselves: its FROM is not copied', () => {
    const { plans: [plan], statement } = rewrite(`SELECT id FROM t WHERE pgml.predict('p', ARRAY[a]) > 0 FOR UPDATE`);
    assert.deepEqual(plan!.copies, []);
    assert.equal(statement, 'SELECT id FROM t WHERE L > 0 FOR UPDATE');
  });

  it('a CTE named in FROM is copied with the CTEs in reach', () => {
    const { plans: [plan], statement } = rewrite(
      `WITH s AS (SELECT * FROM flowers ORDER BY random() LIMIT 5) SELECT f FROM s WHERE pgml.predict('iris', f) = 1`,
    );
    assert.equal(statement, 'WITH s AS (SELECT * FROM flowers ORDER BY random() LIMIT 5) SELECT f FROM COPY AS s WHERE L = 1');
    assert.match(squash(plan!.copies[0]!.selectSql), /^WITH s AS \(SELECT \* FROM flowers ORDER BY random\(\) LIMIT 5\) SELECT \* FROM s$/);
  });
});

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

  it('a volatile condition is left out of the enumeration and the lock, and applied by the statement alone', () => {
    const { plans: [select], statement } = rewrite(`SELECT f FROM t WHERE random() < 0.5 AND x > 1 AND pgml.predict('p', f) = 1`);
    assert.equal(squash(select!.enumerationSql), 'SELECT DISTINCT f AS pgml_proxy_key_1 FROM t WHERE x > 1');
    assert.equal(statement, 'SELECT f FROM COPY AS t WHERE random() < 0.5 AND x > 1 AND L = 1');
    const [inList] = plans(`INSERT INTO out SELECT f, pgml.predict('p', f) FROM t WHERE pg_catalog.clock_timestamp() > '2000-01-01' OR x > 1`);
    assert.equal(squash(inList!.enumerationSql), 'SELECT DISTINCT f AS pgml_proxy_key_1 FROM t');
    const update = rewrite(`UPDATE t SET p = pgml.predict('p', f) WHERE random() < 0.5 AND x > 1`);
    assert.equal(squash(update.plans[0]!.enumerationSql), 'SELECT DISTINCT f AS pgml_proxy_key_1 FROM t WHERE x > 1 AND LOCKED(t)');
    assert.match(squash(update.plans[0]!.copies[0]!.selectSql), /FROM t WHERE x > 1 FOR UPDATE OF t$/);
    assert.match(update.statement, /WHERE \( random\(\) < 0\.5 AND x > 1\) AND \(t\.tableoid/);
  });

  it('refuses a volatile per-row argument, saying where to compute it', () => {
    assert.throws(
      () => plans(`SELECT f FROM t WHERE pgml.predict('p', ARRAY[f[1] + random()]) = 1`),
      (e: unknown) => e instanceof PgError && e.code === '0A000' && /volatile/.test(e.message) && /FROM \(SELECT \*, random\(\) AS r FROM t\) s/.test(e.hint ?? ''),
    );
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
    assert.equal(squash(plan!.enumerationSql), 'SELECT DISTINCT ARRAY[a, b] AS pgml_proxy_key_1 FROM t AS u WHERE id = 3 AND LOCKED(u)');
  });

  it('UPDATE ... RETURNING: the SET is planned first, and a key reading a column it assigns reads the assignment', () => {
    const [set, returning] = plans(`UPDATE t AS u SET f = f[2:4] || f[1:1], p = pgml.predict('p', f), q[1] = 0 RETURNING pgml.predict('p', ARRAY[u.p, q[1]] || f)`);
    assert.equal(set!.keys[0]!.sqlText, 'f');
    assert.equal(
      squash(returning!.enumerationSql).replace(deparsed(set!.lookupSql), 'L'),
      'SELECT DISTINCT ARRAY[L, (q)[1]] || ((f)[2:4] || (f)[1:1]) AS pgml_proxy_key_1 FROM t AS u WHERE LOCKED(u)',
    );
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
    // The outer scope's FROM is copied once, through the inner call's lookup; the outer enumeration reads the copy.
    assert.match(list[1]!.copies[0]!.selectSql, new RegExp(list[0]!.table.replace('pg_temp.', '')));
    assert.match(list[1]!.enumerationSql, new RegExp(list[1]!.copies[0]!.table.replace('pg_temp.', '')));
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
    assert.equal(squash(inner.enumerationSql), 'SELECT DISTINCT body AS pgml_proxy_key_1 FROM t WHERE id > 3 AND LOCKED(t)');
    assert.match(squash(outer.enumerationSql), /FROM t WHERE id > 3 AND LOCKED\(t\)$/);
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
