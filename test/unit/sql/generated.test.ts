import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../../src/sql/parser.js';
import { encodeExpression, generatedDdlOf, rewriteGeneratedWrites, type GeneratedTable } from '../../../src/sql/generated.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());

const DOCS_DDL = `CREATE TABLE star_wars_quotes (
  quote TEXT NOT NULL,
  embedding vector(384) GENERATED ALWAYS AS (
    pgml.embed('intfloat/e5-small-v2', quote, '{"prompt": "passage: "}')
  ) STORED
);`;

function docsTable(): GeneratedTable {
  const ddl = generatedDdlOf(DOCS_DDL, catalog)!;
  const { text } = encodeExpression(ddl.columns[0]!.expression, (name) => 1 + ddl.columnNames.indexOf(name) || undefined);
  return {
    oid: 16400,
    schema: 'public',
    name: 'star_wars_quotes',
    columns: [
      { name: 'quote', attnum: 1, type: 'text', hasDefault: false },
      { name: 'embedding', attnum: 2, type: 'vector(384)', hasDefault: false },
    ],
    generated: [{ attnum: 2, expression: text }],
  };
}

const lookup = (schema: string | null, name: string) => (name === 'star_wars_quotes' ? docsTable() : undefined);

describe('generated columns computed by the proxy', () => {
  it('makes the column plain and keeps its expression with columns by number', () => {
    const ddl = generatedDdlOf(DOCS_DDL, catalog)!;
    assert.equal(ddl.kind, 'create');
    assert.doesNotMatch(ddl.sql, /GENERATED/i);
    assert.match(ddl.sql, /embedding vector\(384\)/);
    assert.deepEqual(ddl.columnNames, ['quote', 'embedding']);
    const encoded = encodeExpression(ddl.columns[0]!.expression, (name) => 1 + ddl.columnNames.indexOf(name) || undefined);
    assert.deepEqual(encoded, { text: `pgml.embed('intfloat/e5-small-v2', $1, '{"prompt": "passage: "}')`, reads: [1] });
  });

  it('creates IF NOT EXISTS without it, and keeps the plain statement for a table that exists', () => {
    const ddl = generatedDdlOf(DOCS_DDL.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'), catalog)!;
    assert.doesNotMatch(ddl.sql, /IF NOT EXISTS|GENERATED/i);
    assert.match(ddl.ifExists ?? '', /^CREATE TABLE IF NOT EXISTS star_wars_quotes/);
    assert.doesNotMatch(ddl.ifExists ?? '', /GENERATED/i);
    assert.equal(generatedDdlOf(DOCS_DDL, catalog)!.ifExists, undefined);
  });

  it('leaves other DDL alone and refuses the forms it does not compute', () => {
    assert.equal(generatedDdlOf('CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)', catalog), undefined);
    assert.throws(() => generatedDdlOf('CREATE TABLE t (LIKE u, e float[] GENERATED ALWAYS AS (pgml.embed(\'m\', b)) STORED)', catalog), { code: '0A000' });
    assert.throws(() => generatedDdlOf(`${DOCS_DDL} SELECT 1`, catalog), { code: '0A000' });
  });

  it('writes the expression over each VALUES row, coerced to the column type, marked for the trigger', () => {
    const sql = rewriteGeneratedWrites(`INSERT INTO star_wars_quotes (quote) VALUES ('a'), ('b')`, lookup)!;
    assert.match(sql, /\('a', pgml_proxy\.generated_value\(CAST\(16400 AS oid\), pgml\.embed\('intfloat\/e5-small-v2', 'a'::text, /);
    assert.match(sql, /\('b', pgml_proxy\.generated_value\(/);
    assert.equal(rewriteGeneratedWrites(`INSERT INTO other (quote) VALUES ('a')`, lookup), undefined);
  });

  it('sets the column from EXCLUDED when ON CONFLICT DO UPDATE gives what it reads the proposed row\'s values', () => {
    const sql = rewriteGeneratedWrites(`INSERT INTO star_wars_quotes (quote) VALUES ('a') ON CONFLICT (quote) DO UPDATE SET quote = EXCLUDED.quote`, lookup)!;
    assert.match(sql, /DO UPDATE SET\s+quote = excluded\.quote,\s+embedding = pgml_proxy\.generated_value\(CAST\(16400 AS oid\), excluded\.embedding\)$/);
    assert.throws(() => rewriteGeneratedWrites(`INSERT INTO star_wars_quotes (quote) VALUES ('a') ON CONFLICT (quote) DO UPDATE SET quote = 'b'`, lookup), { code: '0A000' });
    const nothing = rewriteGeneratedWrites(`INSERT INTO star_wars_quotes (quote) VALUES ('a') ON CONFLICT DO NOTHING`, lookup)!;
    assert.match(nothing, /ON CONFLICT DO NOTHING$/);
  });

  it('reads INSERT ... SELECT rows as a FROM item', () => {
    const sql = rewriteGeneratedWrites(`INSERT INTO star_wars_quotes (quote) SELECT q FROM t`, lookup)!;
    assert.match(sql, /pgml\.embed\('intfloat\/e5-small-v2', pgml_proxy_source\.c1::text/);
    assert.match(sql, /AS pgml_proxy_source\(c1\)/);
    assert.throws(() => rewriteGeneratedWrites(`INSERT INTO star_wars_quotes SELECT * FROM t`, lookup), { code: '0A000' });
  });

  it('fails as Postgres fails for explicit values, and takes DEFAULT', () => {
    assert.throws(() => rewriteGeneratedWrites(`INSERT INTO star_wars_quotes (quote, embedding) VALUES ('a', NULL)`, lookup), {
      code: '428C9',
      message: 'cannot insert a non-DEFAULT value into column "embedding"',
      detail: 'Column "embedding" is a generated column.',
    });
    assert.throws(() => rewriteGeneratedWrites(`UPDATE star_wars_quotes SET embedding = NULL`, lookup), { code: '428C9', message: 'column "embedding" can only be updated to DEFAULT' });
    assert.match(rewriteGeneratedWrites(`INSERT INTO star_wars_quotes VALUES ('a', DEFAULT)`, lookup)!, /generated_value/);
  });

  it('recomputes in UPDATE only when what the expression reads is set', () => {
    const sql = rewriteGeneratedWrites(`UPDATE star_wars_quotes q SET quote = upper(quote)`, lookup)!;
    assert.match(sql, /embedding = pgml_proxy\.generated_value\(CAST\(16400 AS oid\), pgml\.embed\('intfloat\/e5-small-v2', \(upper\(quote\)\)::text/);
    assert.match(rewriteGeneratedWrites(`UPDATE star_wars_quotes SET embedding = DEFAULT`, lookup)!, /embedding = pgml_proxy\.generated_value\(.*q?star_wars_quotes\.quote/);
  });
});
