import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeQuery } from '../../../src/sql/analyze.js';
import { initParser, parseStatements } from '../../../src/sql/parser.js';
import { renderLiteral } from '../../../src/sql/render.js';
import {
  renderExpressionReplacement,
  renderFromReplacement,
  renderRowsAsFromItem,
  spliceStatement,
  spliceText,
} from '../../../src/sql/rewrite.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());

function only(sql: string) {
  const analysis = analyzeQuery(sql, catalog);
  assert.equal(analysis.statements.length, 1);
  return analysis.statements[0] as NonNullable<(typeof analysis.statements)[0]>;
}

describe('spliceStatement', () => {
  it('replaces calls and keeps every other byte', () => {
    const sql = "SELECT 'é' AS e, /* keep */ pgml.version() AS v,\n  PGML.version()::text FROM t -- tail";
    const stmt = only(sql);
    const [a, b] = stmt.calls;
    const out = spliceStatement(sql, stmt, new Map([[a?.id ?? 0, "'1.0'::text"], [b?.id ?? 0, "'2.0'::text"]]));
    assert.equal(out, "SELECT 'é' AS e, /* keep */ '1.0'::text AS v,\n  '2.0'::text::text FROM t -- tail");
    parseStatements(out);
  });

  it('drops nested calls with their replaced parent, or splices them inside a kept parent', () => {
    const sql = "SELECT pgml.predict('p', pgml.embed('m', 'x'))";
    const stmt = only(sql);
    const [outer, inner] = stmt.calls;
    const both = new Map([[outer?.id ?? 0, "'0.5'::real"], [inner?.id ?? 0, "'{1}'::real[]"]]);
    assert.equal(spliceStatement(sql, stmt, both), "SELECT '0.5'::real");
    assert.equal(
      spliceStatement(sql, stmt, new Map([[inner?.id ?? 0, "'{1}'::real[]"]])),
      "SELECT pgml.predict('p', '{1}'::real[])",
    );
  });

  it('splices argument texts that contain intercepted calls', () => {
    const sql = "SELECT pgml.predict('p', ARRAY[1, array_length(pgml.embed('m', 'x'), 1)])";
    const stmt = only(sql);
    const [outer, inner] = stmt.calls;
    const features = outer?.args.get('features');
    assert.equal(features?.kind, 'expr');
    if (features?.kind !== 'expr' || inner === undefined) return;
    assert.deepEqual(features.callIds, [inner.id]);
    assert.equal(spliceText(sql, features.span, stmt.calls, new Map([[inner.id, "'{1,2}'::real[]"]])), "ARRAY[1, array_length('{1,2}'::real[], 1)]");
  });

  it('separates tokens that would otherwise fuse', () => {
    const sql = 'SELECT 1 -pgml.predict(1, ARRAY[2]::real[])';
    const stmt = only(sql);
    const out = spliceStatement(sql, stmt, new Map([[stmt.calls[0]?.id ?? 0, '-1']]));
    assert.equal(out, 'SELECT 1 - -1');
  });

  it('keeps the output column name of an unaliased call', () => {
    const sql = 'SELECT pgml.version(), pgml.version() AS mine';
    const stmt = only(sql);
    const replacements = new Map(
      stmt.calls.map((site) => [
        site.id,
        site.context === 'expression' ? renderExpressionReplacement(site, renderLiteral('2.0', 'text')) : '',
      ]),
    );
    assert.equal(spliceStatement(sql, stmt, replacements), "SELECT (SELECT '2.0'::text AS version), '2.0'::text AS mine");
  });
});

describe('FROM items', () => {
  const columns = [
    { name: 'project', type: 'text' },
    { name: 'deployed', type: 'boolean' },
  ];

  it('renders rows under the default alias', () => {
    const item = renderRowsAsFromItem([['p', true], ["it's", false]], columns, {}, 'train');
    assert.equal(item, "(VALUES ('p'::text, 'true'::boolean), ('it''s'::text, 'false'::boolean)) AS train(project, deployed)");
    parseStatements(`SELECT * FROM ${item}`);
  });

  it('renders an empty result with typed columns', () => {
    const item = renderRowsAsFromItem([], columns, { name: 'T' }, 'train');
    assert.equal(item, '(SELECT NULL::text AS project, NULL::boolean AS deployed WHERE false) AS "T"(project, deployed)');
    parseStatements(`SELECT * FROM ${item}`);
  });

  it('applies user column aliases and ordinality', () => {
    const item = renderRowsAsFromItem([['p', true]], columns, { name: 't', colnames: ['a'] }, 'train', { ordinality: true });
    assert.equal(item, "(VALUES ('p'::text, 'true'::boolean, '1'::bigint)) AS t(a, deployed, ordinality)");
  });

  it('replaces the whole FROM item, alias included', () => {
    const sql = "SELECT t.a FROM pgml.train('p') AS t(a) JOIN x ON true; SELECT * FROM pgml.version()";
    const [train, version] = analyzeQuery(sql, catalog).statements;
    assert.ok(train && version);
    const site = train.calls[0];
    assert.ok(site?.context === 'from');
    if (site?.context !== 'from') return;
    const out = spliceStatement(sql, train, new Map([[site.id, renderFromReplacement(site, [['p', 'regression', 'linear', true]])]]));
    assert.equal(
      out,
      "SELECT t.a FROM (VALUES ('p'::text, 'regression'::text, 'linear'::text, 'true'::boolean)) AS t(a, task, algorithm, deployed) JOIN x ON true",
    );
    parseStatements(out);

    const scalar = version.calls[0];
    assert.ok(scalar?.context === 'from');
    if (scalar?.context !== 'from') return;
    assert.equal(
      spliceStatement(sql, version, new Map([[scalar.id, renderFromReplacement(scalar, [['2.0']])]])),
      "SELECT * FROM (VALUES ('2.0'::text)) AS version(version)",
    );
  });
});
