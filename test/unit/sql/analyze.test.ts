import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgError } from '../../../src/errors/index.js';
import { analyzeQuery } from '../../../src/sql/analyze.js';
import type { CallSite } from '../../../src/sql/analyze.js';
import { initParser } from '../../../src/sql/parser.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());

function calls(sql: string): CallSite[] {
  return analyzeQuery(sql, catalog).statements.flatMap((s) => s.calls);
}

function callTexts(sql: string): string[] {
  return calls(sql).map((c) => sql.slice(c.span.start, c.span.end));
}

function pgError(fn: () => unknown): PgError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PgError, `expected PgError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

describe('analyzeQuery detection', () => {
  const cases: [string, string, string[]][] = [
    ['select list', 'SELECT pgml.version(), 1', ['pgml.version()']],
    ['case-insensitive names', 'SELECT PGML.Version()', ['PGML.Version()']],
    ['quoted names', 'SELECT "pgml"."version" ( )', ['"pgml"."version" ( )']],
    ['where', "SELECT * FROM t WHERE x > pgml.predict('p', ARRAY[1,2])", ["pgml.predict('p', ARRAY[1,2])"]],
    ['order by', 'SELECT a FROM t ORDER BY pgml.version()', ['pgml.version()']],
    ['cte', 'WITH v AS (SELECT pgml.version() AS v) SELECT * FROM v', ['pgml.version()']],
    ['subquery', 'SELECT (SELECT pgml.version()) FROM t', ['pgml.version()']],
    ['join', 'SELECT * FROM a JOIN b ON a.x = pgml.predict(1, ARRAY[b.y])', ['pgml.predict(1, ARRAY[b.y])']],
    ['insert select', "INSERT INTO t (v) SELECT pgml.version()", ['pgml.version()']],
    ['insert values', "INSERT INTO t VALUES (cron.schedule('* * * * *', 'select 1'))", ["cron.schedule('* * * * *', 'select 1')"]],
    ['update set', 'UPDATE t SET v = pgml.version() WHERE id = 1', ['pgml.version()']],
    ['delete', "DELETE FROM t WHERE v = pgml.version()", ['pgml.version()']],
    ['create table as', 'CREATE TABLE x AS SELECT pgml.version()', ['pgml.version()']],
    ['from', "SELECT * FROM pgml.train('p', 'regression')", ["pgml.train('p', 'regression')"]],
    ['unqualified is not ours', 'SELECT version()', []],
    ['other schema', 'SELECT public.version()', []],
  ];
  for (const [label, sql, expected] of cases) {
    it(label, () => assert.deepEqual(callTexts(sql), expected));
  }

  it('reports nothing for DDL and deferred statements', () => {
    const passthrough = [
      'CREATE VIEW v AS SELECT pgml.version()',
      'CREATE MATERIALIZED VIEW v AS SELECT pgml.version()',
      "CREATE FUNCTION f() RETURNS real LANGUAGE sql AS $$ SELECT pgml.predict('p', ARRAY[1]) $$",
      'CREATE FUNCTION f() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT pgml.version(); END',
      "COMMENT ON TABLE t IS 'pgml.version()'",
      'CREATE TABLE t (v text DEFAULT pgml.version())',
      'CREATE RULE r AS ON INSERT TO t DO ALSO SELECT pgml.version()',
      "DO $$ BEGIN PERFORM pgml.version(); END $$",
      'PREPARE p AS SELECT pgml.version()',
    ];
    for (const sql of passthrough) {
      const analysis = analyzeQuery(sql, catalog);
      assert.equal(analysis.statements[0]?.placement, 'passthrough', sql);
      assert.equal(analysis.intercepted, false, sql);
    }
  });

  it("analyzes EXPLAIN's statement: its calls are folded as the statement's own (plan.ts keeps per-row ones as written)", () => {
    for (const sql of ['EXPLAIN SELECT pgml.version()', 'EXPLAIN (ANALYZE, VERBOSE) SELECT pgml.version()']) {
      const analysis = analyzeQuery(sql, catalog);
      assert.equal(analysis.statements[0]?.placement, 'analyzed', sql);
      assert.equal(analysis.intercepted, true, sql);
    }
  });

  it('ignores calls in comments and string literals', () => {
    assert.deepEqual(calls("SELECT 'pgml.version()' -- pgml.version()\n/* cron.schedule('x','y') */"), []);
  });

  it('splits multi-statement text and numbers calls across statements', () => {
    const sql = "SELECT 1; SELECT pgml.version() ;\n CREATE VIEW v AS SELECT pgml.version(); UPDATE t SET a = pgml.version()";
    const analysis = analyzeQuery(sql, catalog);
    assert.deepEqual(
      analysis.statements.map((s) => s.sql),
      ['SELECT 1', 'SELECT pgml.version() ', 'CREATE VIEW v AS SELECT pgml.version()', 'UPDATE t SET a = pgml.version()'],
    );
    assert.deepEqual(analysis.statements.map((s) => s.placement), ['analyzed', 'analyzed', 'passthrough', 'analyzed']);
    assert.deepEqual(analysis.statements.flatMap((s) => s.calls.map((c) => c.id)), [1, 2]);
    for (const s of analysis.statements) assert.equal(sql.slice(s.span.start, s.span.end), s.sql);
  });

  it('maps UTF-8 byte offsets to JS indices after non-ASCII text', () => {
    const sql = "SELECT 'héllo 😀 wörld', pgml.embed('m', 'ß') -- ✓\n; SELECT 'é', pgml.version()";
    assert.deepEqual(callTexts(sql), ["pgml.embed('m', 'ß')", 'pgml.version()']);
    const [embed] = calls(sql);
    // Postgres positions count code points: the emoji is one, though two JS code units.
    assert.equal(embed?.position, sql.indexOf('pgml.embed') + 1 - 1);
    const text = embed?.args.get('text');
    assert.equal(text?.kind, 'const');
    assert.equal(text?.kind === 'const' ? text.value : undefined, 'ß');
  });

  it('returns no statements for empty or comment-only text', () => {
    assert.deepEqual(analyzeQuery('', catalog).statements, []);
    assert.deepEqual(analyzeQuery('-- nothing', catalog).statements, []);
  });
});

describe('analyzeQuery argument binding', () => {
  it('binds positional then named arguments, including :=', () => {
    const [site] = calls("SELECT pgml.train('p', algorithm => 'xgboost', hyperparams := '{\"n\":1}'::jsonb)");
    assert.ok(site);
    assert.deepEqual([...site.args.keys()], ['project_name', 'algorithm', 'hyperparams']);
    const hyper = site.args.get('hyperparams');
    assert.deepEqual(hyper?.kind === 'const' ? [hyper.value, hyper.castType] : undefined, ['{"n":1}', 'jsonb']);
  });

  it('chooses overloads by argument count', () => {
    const [two, three] = calls("SELECT cron.schedule('* * * * *', 'x'), cron.schedule('job', '* * * * *', 'x')");
    assert.deepEqual(two?.signature.params.map((p) => p.name), ['schedule', 'command']);
    assert.deepEqual(three?.signature.params.map((p) => p.name), ['job_name', 'schedule', 'command']);
  });

  it('chooses overloads by literal types', () => {
    const [byName, byId, ints, floats] = calls(
      "SELECT pgml.predict('p', '{1,2}'::real[]), pgml.predict(7, '{1,2}'::real[]), pgml.predict('p', ARRAY[1,2]), pgml.predict('p', ARRAY[1.5,2]::float8[])",
    );
    assert.equal(byName?.signature.params[0]?.name, 'project_name');
    assert.equal(byId?.signature.params[0]?.name, 'model_id');
    assert.equal(ints?.signature.params[1]?.type, 'integer[]');
    assert.equal(floats?.signature.params[1]?.type, 'double precision[]');
  });

  // Each expectation is what Postgres 17 answers with the proxy's stubs of these functions installed.
  it('an array of numeric literals is as ambiguous among the float overloads as Postgres finds it (42725)', () => {
    for (const [sql, message] of [
      ["SELECT pgml.predict('p', ARRAY[1.5,2])", 'function pgml.predict(unknown, numeric[]) is not unique'],
      ["SELECT pgml.predict('p', ARRAY[1, 2.5]::numeric[])", 'function pgml.predict(unknown, numeric[]) is not unique'],
      ["SELECT pgml.predict('p'::text, ARRAY[1.5,2])", 'function pgml.predict(text, numeric[]) is not unique'],
    ]) {
      const error = pgError(() => analyzeQuery(sql as string, catalog));
      assert.equal(error.code, '42725', sql);
      assert.equal(error.message, message);
    }
  });

  it('takes numeric literals as real[] where PostgresML declares real[] alone (predict_proba, predict_joint, decompose)', () => {
    const sites = calls("SELECT pgml.predict_proba('p', ARRAY[1.5,2]), pgml.predict_joint('p', ARRAY[0.1, 2.0]), pgml.decompose('My PCA', ARRAY[0.1, 2.0, 5.0])");
    assert.deepEqual(sites.map((site) => site?.signature.params[1]?.type), ['real[]', 'real[]', 'real[]']);
    // float8 reaches real only by an assignment cast, which a function call does not apply.
    assert.equal(pgError(() => analyzeQuery("SELECT pgml.decompose('p', ARRAY[1.5]::float8[])", catalog)).code, '42883');
  });

  it('types ARRAY[...] of mixed literals as Postgres does (select_common_type), then picks the same overload', () => {
    const [real, float, big, texts, mixed] = calls(
      "SELECT pgml.predict('p', ARRAY[1.5::real, 2]), pgml.predict('p', ARRAY[1, 2.5::float8]), pgml.predict('p', ARRAY[1::int2, 2::int8]), pgml.predict('p', ARRAY['1','2']), pgml.predict('p', ARRAY['1', 2])",
    );
    assert.deepEqual(
      [real, float, big, texts, mixed].map((site) => site?.signature.params[1]?.type),
      ['real[]', 'double precision[]', 'bigint[]', 'anyelement', 'integer[]'],
    );
    assert.deepEqual(mixed?.args.get('features'), { kind: 'const', value: [1, 2], sqlText: "ARRAY['1', 2]", span: mixed?.args.get('features')?.span });
    assert.equal(calls("SELECT pgml.predict_batch('p', ARRAY[1.5,2])")[0]?.signature.params[1]?.type, 'real[]');
  });

  it('types row tuples, ROW(...), t.* and a name of a FROM item as records: the row overloads', () => {
    const sites = calls(
      `SELECT pgml.predict('p', (1.5, 'red')), pgml.predict(7, ROW(a, b)), pgml.predict('p', t.*), pgml.predict(m.id, t), pgml.predict('p', s)
         FROM t JOIN pgml.models m ON true, (SELECT 1 AS x) s`,
    );
    assert.deepEqual(
      sites.map((site) => site.signature.params.map((p) => `${p.name} ${p.type}`).join(', ')),
      ['project_name text, row anyelement', 'model_id bigint, row anyelement', 'project_name text, row anyelement', 'project_name text, row anyelement', 'project_name text, row anyelement'],
    );
    // m.id is a column: the model-id row overload stays an alternative, none taking an array.
    assert.deepEqual(sites[3]!.alternatives.map((s) => s.params.map((p) => p.type).join(', ')), ['bigint, anyelement']);
    // A name no FROM item has is a column of unknown type.
    const [column] = calls('SELECT pgml.predict(\'p\', features) FROM t');
    assert.equal(column?.argList[1]?.type, undefined);
  });

  it('asks the upstream for the type of a column that may be a row (a composite) and takes its answer', () => {
    const sql = "SELECT pgml.predict('p', s.f) FROM m s WHERE x > 1";
    const { columnProbes } = analyzeQuery(sql, catalog);
    assert.deepEqual(columnProbes, [{ argStart: sql.indexOf('s.f'), sql: 'SELECT s.f\nFROM m AS s\nWHERE\n  false' }]);
    const typed = analyzeQuery(sql, catalog, new Map([[sql.indexOf('s.f'), 'record']]));
    assert.deepEqual(typed.columnProbes, []);
    assert.equal(typed.statements[0]?.calls[0]?.signature.params[1]?.type, 'anyelement');
    // Probed and not a composite: nothing changes, and no probe is asked for again.
    const untyped = analyzeQuery(sql, catalog, new Map([[sql.indexOf('s.f'), undefined]]));
    assert.deepEqual(untyped.columnProbes, []);
    assert.equal(untyped.statements[0]?.calls[0]?.signature.params[1]?.type, analyzeQuery(sql, catalog).statements[0]?.calls[0]?.signature.params[1]?.type);
    // No probe where the FROM is not all the statement's own, could write, or holds what only the proxy runs.
    for (const other of [
      "SELECT pgml.predict('p', ARRAY[a, b]) FROM m",
      "SELECT (SELECT pgml.predict('p', f) FROM m) FROM t",
      "SELECT pgml.predict('p', f) FROM m, generate_series(1, $1)",
      "WITH d AS (DELETE FROM m RETURNING *) SELECT pgml.predict('p', f) FROM d",
      "SELECT pgml.predict('p', f) FROM m, pgml.embed('m', 'x') e",
    ]) {
      assert.deepEqual(analyzeQuery(other, catalog).columnProbes, [], other);
    }
  });

  it('rejects calls Postgres could not disambiguate either (42725)', () => {
    const error = pgError(() => analyzeQuery("SELECT pgml.predict('p', '{1,2}')", catalog));
    assert.equal(error.code, '42725');
    assert.equal(error.message, 'function pgml.predict(unknown, unknown) is not unique');
  });

  it('keeps alternatives when a column hides the argument type', () => {
    const [site] = calls('SELECT pgml.predict(name, features) FROM t');
    // Every two-argument overload could still be the one (each features type, by name or by id, a
    // row): the best guess is the signature, the others its alternatives.
    const twoArguments = catalog.overloads('pgml', 'predict')!.filter((s) => s.params.length === 2);
    assert.ok(twoArguments.length > 2);
    assert.equal(site?.alternatives.length, twoArguments.length - 1);
    assert.deepEqual(new Set([site!.signature, ...site!.alternatives]), new Set(twoArguments));
  });

  it('rejects unknown names, missing arguments and too many arguments with 42883', () => {
    for (const sql of [
      "SELECT pgml.train('p', nope => 1)",
      'SELECT pgml.train()',
      'SELECT pgml.version(1)',
      "SELECT pgml.train('p', project_name => 'q')",
    ]) {
      const error = pgError(() => analyzeQuery(sql, catalog));
      assert.equal(error.code, '42883', sql);
      assert.match(error.message, /^function pgml\.\w+\(.*\) does not exist$/);
      assert.match(error.hint ?? '', /No function matches the given name and argument types/);
      assert.equal(error.position, sql.indexOf('pgml.') + 1, sql);
    }
  });

  it('prints argument types in the 42883 message', () => {
    const error = pgError(() => analyzeQuery("SELECT pgml.version('a', 1, 2.5, true, x => $1::text)", catalog));
    assert.equal(error.message, 'function pgml.version(unknown, integer, numeric, boolean, x => text) does not exist');
  });

  it('rejects duplicate names like Postgres (42601)', () => {
    const error = pgError(() => analyzeQuery("SELECT pgml.train(project_name => 'a', project_name => 'b')", catalog));
    assert.equal(error.code, '42601');
    assert.equal(error.message, 'argument name "project_name" used more than once');
  });

  it('rejects aggregate syntax on a plain function', () => {
    assert.equal(pgError(() => analyzeQuery('SELECT pgml.version() OVER ()', catalog)).code, '42809');
  });
});

describe('analyzeQuery argument kinds', () => {
  function args(sql: string) {
    const [site] = calls(sql);
    assert.ok(site);
    return site;
  }

  it('decodes params with and without casts', () => {
    const site = args('SELECT pgml.embed($1, $2::text)');
    assert.deepEqual(site.args.get('transformer'), { kind: 'param', index: 1, sqlText: '$1', span: site.args.get('transformer')?.span });
    const text = site.args.get('text');
    assert.deepEqual(text?.kind === 'param' ? [text.index, text.castType, text.sqlText] : undefined, [2, 'text', '$2::text']);
  });

  it('links nested intercepted calls', () => {
    const sql = "SELECT pgml.predict('p', pgml.embed('m', 'hello'))";
    const [outer, inner] = calls(sql);
    assert.equal(inner?.parentId, outer?.id);
    assert.deepEqual(outer?.args.get('features'), {
      kind: 'call',
      callId: inner?.id,
      sqlText: "pgml.embed('m', 'hello')",
      span: inner?.span,
    });
    // the nested call's result type (real[]) picks the real[] overload
    assert.equal(outer?.signature.params[1]?.type, 'real[]');
  });

  it('separates upstream-evaluable expressions from row-dependent ones', () => {
    const site = args("SELECT pgml.train(upper('p'), task => now()::text, relation_name => t.rel, y_column_name => (SELECT y FROM c LIMIT 1), algorithm => $3 || 'x') FROM t");
    const kinds = Object.fromEntries([...site.args].map(([k, v]) => [k, v.kind]));
    assert.deepEqual(kinds, {
      project_name: 'expr',
      task: 'expr',
      relation_name: 'rowDependent',
      y_column_name: 'rowDependent',
      algorithm: 'expr',
    });
    const algorithm = site.args.get('algorithm');
    assert.deepEqual(algorithm?.kind === 'expr' ? [algorithm.sqlText, algorithm.params] : undefined, ["$3 || 'x'", [3]]);
    assert.equal(site.args.get('task')?.sqlText, 'now()::text');
  });

  it('sees through a scalar subquery of a bare select list: (select x) is x', () => {
    const [outer, inner] = calls("SELECT pgml.predict(project_name => 'p', features => (select pgml.embed('m', input_string))) FROM t");
    assert.equal(outer?.args.get('features')?.kind, 'call');
    assert.equal(inner?.args.get('text')?.kind, 'rowDependent');
    const constant = args("SELECT pgml.embed('m', (SELECT 'a' || 'b')), pgml.embed('m', (SELECT 'c'))");
    assert.equal(constant.args.get('text')?.kind, 'expr');
    assert.equal(calls("SELECT pgml.embed('m', (SELECT 'c'))")[0]?.args.get('text')?.kind, 'const');
    for (const subquery of ['(SELECT x FROM t)', "(SELECT 'a' WHERE false)", "(SELECT 'a' UNION SELECT 'b')", "(SELECT 'a' LIMIT 0)"]) {
      assert.equal(calls(`SELECT pgml.embed('m', ${subquery})`)[0]?.args.get('text')?.kind, 'rowDependent', subquery);
    }
  });

  it('treats aggregates in arguments as row-dependent', () => {
    assert.equal(args("SELECT pgml.embed('m', string_agg(x, ',')) FROM t").args.get('text')?.kind, 'rowDependent');
  });

  it('records the column name an unaliased call gives its output', () => {
    const [plain, cast, aliased, inner] = calls('SELECT pgml.version(), pgml.version()::varchar, pgml.version() AS v, upper(pgml.version())');
    assert.equal(plain?.context === 'expression' ? plain.columnName : 'x', 'version');
    assert.equal(cast?.context === 'expression' ? cast.columnName : 'x', 'version');
    assert.equal(aliased?.context === 'expression' ? aliased.columnName : 'x', undefined);
    assert.equal(inner?.context === 'expression' ? inner.columnName : 'x', undefined);
  });
});

describe('analyzeQuery FROM items', () => {
  it('describes alias, columns and the replaced span', () => {
    const sql = "SELECT * FROM pgml.train('p') AS t(a, b) WHERE true";
    const [site] = calls(sql);
    assert.equal(site?.context, 'from');
    if (site?.context !== 'from') return;
    assert.equal(sql.slice(site.replaceSpan.start, site.replaceSpan.end), "pgml.train('p') AS t(a, b)");
    assert.deepEqual(site.from.alias, { name: 't', colnames: ['a', 'b'] });
    assert.equal(site.from.defaultAlias, 'train');
    assert.deepEqual(site.from.columns.map((c) => c.name), ['project', 'task', 'algorithm', 'deployed']);
  });

  it('names a scalar function column after the function or the alias', () => {
    const [bare, aliased] = calls('SELECT * FROM pgml.version(), pgml.version() WITH ORDINALITY v');
    assert.deepEqual(bare?.context === 'from' ? bare.from.columns : undefined, [{ name: 'version', type: 'text' }]);
    assert.ok(aliased?.context === 'from');
    if (aliased?.context !== 'from') return;
    assert.deepEqual(aliased.from.columns, [{ name: 'v', type: 'text' }]);
    assert.equal(aliased.from.ordinality, true);
  });

  it('covers WITH ORDINALITY, LATERAL and quoted aliases in the replaced span', () => {
    const sql = 'SELECT * FROM t, LATERAL pgml.chunk(t.s, t.body) WITH ORDINALITY AS "C" (piece, n) JOIN u ON true';
    const [site] = calls(sql);
    assert.ok(site?.context === 'from');
    if (site?.context !== 'from') return;
    assert.equal(sql.slice(site.replaceSpan.start, site.replaceSpan.end), 'pgml.chunk(t.s, t.body) WITH ORDINALITY AS "C" (piece, n)');
    assert.equal(site.from.lateral, true);
    assert.equal(site.args.get('text')?.kind, 'rowDependent');
  });

  it('rejects too many column aliases and column definition lists', () => {
    const tooMany = pgError(() => analyzeQuery('SELECT * FROM pgml.version() AS v(a, b)', catalog));
    assert.equal(tooMany.code, '42P10');
    assert.equal(tooMany.position, 15);
    assert.equal(pgError(() => analyzeQuery('SELECT * FROM pgml.version() AS v(a text)', catalog)).code, '42601');
  });
});

describe('analyzeQuery syntax errors', () => {
  it('reports 42601 at the Postgres position (code points)', () => {
    const error = pgError(() => analyzeQuery("SELECT 'é😀' frm x y, pgml.version()", catalog));
    assert.equal(error.code, '42601');
    assert.equal(error.message, 'syntax error at or near "x"');
    assert.equal(error.position, 17);
  });
});
