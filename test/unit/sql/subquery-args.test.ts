// Which arguments may be uncorrelated subqueries, and the standalone query each is probed and
// evaluated as (src/sql/subquery-args.ts): under the CTEs the argument sees, nested as written.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeQuery } from '../../../src/sql/analyze.js';
import { initParser } from '../../../src/sql/parser.js';
import { argumentCheck } from '../../../src/sql/subquery-args.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());

function standalones(sql: string): (string | undefined)[] {
  const [site] = analyzeQuery(sql, catalog).statements.flatMap((s) => s.calls);
  assert.ok(site);
  // The deparser lays queries out on several lines: compared on one.
  return [...site.args.values()].map((arg) => (arg.kind === 'rowDependent' ? arg.standalone?.replace(/\s+/g, ' ').replace(/\( /g, '(') : undefined));
}

describe('standalone subquery arguments', () => {
  it('writes a subquery argument under the statement CTEs', () => {
    const [splitter, text] = standalones(`WITH document AS (SELECT id, document FROM documents WHERE id = 1), splitter AS (SELECT id, splitter FROM splitters)
      INSERT INTO chunks SELECT chunk_index, chunk FROM pgml.chunk((SELECT splitter FROM splitter), (SELECT document FROM document), '{}')`);
    assert.match(splitter!, /^WITH document AS \(.*\), splitter AS \(.*\) SELECT \(SELECT splitter FROM splitter\) AS v$/);
    assert.match(text!, /SELECT \(SELECT document FROM document\) AS v$/);
  });

  it('nests the WITH clauses of enclosing queries, outermost first', () => {
    const [, text] = standalones(`WITH a AS (SELECT 'x' AS body) SELECT * FROM (WITH b AS (SELECT body FROM a) SELECT * FROM pgml.chunk('markdown', (SELECT body FROM b))) s`);
    assert.match(text!, /^WITH a AS \(.*\) SELECT \(WITH b AS \(.*\) SELECT \(SELECT body FROM b\) AS v\) AS v$/);
  });

  it('leaves out columns and aggregates of the outer query, and CTEs that write', () => {
    assert.deepEqual(standalones(`SELECT pgml.chunk('markdown', body || (SELECT 'x' FROM t)) FROM docs`), [undefined, undefined]);
    assert.deepEqual(standalones(`SELECT pgml.chunk('markdown', (SELECT string_agg(b, '') FROM t) || count(*)::text) FROM docs`), [undefined, undefined]);
    assert.deepEqual(standalones(`WITH w AS (INSERT INTO t VALUES (1) RETURNING 'x' AS b) SELECT * FROM pgml.chunk('markdown', (SELECT b FROM w))`), [undefined, undefined]);
  });

  it("keeps the client's parameters a subquery reads (a prepared statement reads it at each Bind)", () => {
    assert.deepEqual(standalones(`SELECT * FROM pgml.chunk('markdown', (SELECT body FROM t WHERE id = $1))`), [undefined, 'SELECT (SELECT body FROM t WHERE id = $1) AS v']);
  });

  it('checks each value as the statement reads it', () => {
    const check = argumentCheck([{ sqlText: '(SELECT b FROM t)', type: 'text', text: "it's" }, { sqlText: '(SELECT k FROM t)', type: 'jsonb', text: null }], 'pgml', 'chunk');
    assert.equal(
      check,
      `pgml_proxy.argument_unchanged(((SELECT b FROM t))::text IS NOT DISTINCT FROM 'it''s'::text AND ((SELECT k FROM t))::jsonb IS NOT DISTINCT FROM NULL::jsonb, 'pgml', 'chunk')`,
    );
    const bound = argumentCheck([{ sqlText: '(SELECT b FROM t WHERE id = $1)', type: 'text', param: 2 }], 'pgml', 'chunk');
    assert.equal(bound, `pgml_proxy.argument_unchanged(((SELECT b FROM t WHERE id = $1))::text IS NOT DISTINCT FROM $2::text, 'pgml', 'chunk')`);
  });
});
