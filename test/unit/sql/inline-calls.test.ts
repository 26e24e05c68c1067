import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgError } from '../../../src/errors/index.js';
import { calledFunctionNames, findInlineCalls, renderInlinedCall, type InlinableFunction } from '../../../src/sql/inline-calls.js';
import { initParser } from '../../../src/sql/parser.js';

before(() => initParser());

const seed: InlinableFunction = {
  schema: 'public',
  name: 'predict_clickbait',
  params: [{ name: 'input_string', type: 'text' }],
  returns: { kind: 'table', columns: [{ name: 'is_clickbait', type: 'real' }] },
  returnsSet: true,
  body: "\n  SELECT pgml.predict('clickbait', pgml.embed('wink/sg-100d', input_string)) AS is_clickbait;\n",
};
const BODY = "(SELECT pgml.predict('clickbait', pgml.embed('wink/sg-100d', (ARG))) AS is_clickbait)";

const isSeed = (_schema: string | null, name: string) => name === 'predict_clickbait';

function inline(sql: string, fn: InlinableFunction = seed, isCandidate = isSeed): string {
  const calls = findInlineCalls(sql, isCandidate);
  let out = '';
  let cursor = 0;
  for (const call of calls) {
    out += sql.slice(cursor, call.replaceSpan.start) + renderInlinedCall(call, fn);
    cursor = call.replaceSpan.end;
  }
  return out + sql.slice(cursor);
}

function refused(run: () => unknown, why: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof PgError && error.code === '0A000' && why.test(error.message));
}

describe('findInlineCalls', () => {
  it('finds qualified and unqualified calls, with named arguments and FROM aliases', () => {
    const sql = `SELECT predict_clickbait('a'), x FROM public.predict_clickbait(input_string => $1::text) AS p(v)`;
    const [scalar, from] = findInlineCalls(sql, isSeed);
    assert.equal(scalar?.schema, null);
    assert.equal(scalar?.columnName, 'predict_clickbait');
    assert.deepEqual(scalar?.args.map((a) => a.sql), ["'a'"]);
    assert.equal(from?.schema, 'public');
    assert.equal(sql.slice(from!.replaceSpan.start, from!.replaceSpan.end), 'public.predict_clickbait(input_string => $1::text) AS p(v)');
    assert.deepEqual(from?.args.map((a) => [a.name, a.sql]), [['input_string', '$1::text']]);
  });

  it('ignores calls in stored SQL (CREATE VIEW, CREATE FUNCTION bodies)', () => {
    assert.deepEqual(findInlineCalls(`CREATE VIEW v AS SELECT predict_clickbait('a')`, isSeed), []);
    assert.deepEqual(findInlineCalls(`CREATE FUNCTION g() RETURNS real LANGUAGE sql AS $$ SELECT predict_clickbait('a') $$`, isSeed), []);
  });

  it('lists the names a body calls', () => {
    assert.deepEqual(calledFunctionNames(seed.body), [
      { schema: 'pgml', name: 'predict' },
      { schema: 'pgml', name: 'embed' },
    ]);
  });
});

describe('renderInlinedCall', () => {
  it('an expression call becomes a typed scalar subquery keeping the column name', () => {
    assert.equal(inline(`SELECT predict_clickbait('x')`), `SELECT (SELECT CAST((${BODY.replace('ARG', "CAST(('x') AS text)")}) AS real) AS predict_clickbait)`);
    assert.equal(inline(`SELECT predict_clickbait($1) AS v`), `SELECT CAST((${BODY.replace('ARG', 'CAST(($1) AS text)')}) AS real) AS v`);
  });

  it('a FROM item becomes a LATERAL subquery named like the function', () => {
    assert.equal(
      inline(`SELECT * FROM predict_clickbait(input_string => $1::text) AS pgrst_call`),
      `SELECT * FROM LATERAL (SELECT CAST((pgml_proxy_body.c1) AS real) FROM ${BODY.replace('ARG', '$1::text')} AS pgml_proxy_body(c1)) AS pgrst_call(is_clickbait)`,
    );
  });

  it('a non-SETOF function yields exactly one row in FROM: the first, or NULLs', () => {
    const scalar: InlinableFunction = {
      ...seed,
      returns: { kind: 'scalar', type: 'real' },
      returnsSet: false,
      body: 'SELECT pgml.predict(name, ARRAY[1]) FROM projects WHERE id = $1',
    };
    const sql = inline('SELECT * FROM predict_clickbait(7)', scalar);
    assert.match(sql, /FROM \(SELECT\) AS pgml_proxy_one LEFT JOIN \(SELECT \* FROM .* LIMIT 1\) AS pgml_proxy_body\(c1\) ON true\) AS predict_clickbait\(predict_clickbait\)$/);
    assert.match(inline('SELECT predict_clickbait(7) + 1', scalar), /^SELECT CAST\(\(\(SELECT \* FROM \(SELECT .*\) AS pgml_proxy_body LIMIT 1\)\) AS real\) \+ 1$/);
  });

  it('uses defaults for arguments left out', () => {
    const withDefault: InlinableFunction = { ...seed, params: [{ name: 'input_string', type: 'text', default: "'none'::text" }] };
    assert.match(inline('SELECT * FROM predict_clickbait()', withDefault), /CAST\(\('none'::text\) AS text\)/);
  });

  it('refuses what it cannot inline faithfully', () => {
    const fromBody: InlinableFunction = { ...seed, body: 'SELECT pgml.predict(p.name, ARRAY[$1]) FROM projects p' };
    refused(() => inline('SELECT predict_clickbait(t.name) FROM t', fromBody), /argument reads columns/);
    const twice: InlinableFunction = { ...seed, body: 'SELECT pgml.predict($1, ARRAY[length($1)])' };
    refused(() => inline('SELECT predict_clickbait(random()::text)', twice), /more than once/);
    assert.doesNotThrow(() => inline(`SELECT predict_clickbait('constant')`, twice));
    const set: InlinableFunction = { ...seed, body: 'SELECT pgml.predict(name, ARRAY[1]) FROM projects' };
    refused(() => inline('SELECT predict_clickbait(1)', set), /set-returning/);
    refused(() => inline('SELECT * FROM predict_clickbait(1) WITH ORDINALITY', seed), /ORDINALITY/);
    const twoColumns: InlinableFunction = { ...seed, returns: { kind: 'table', columns: [{ name: 'a', type: 'real' }, { name: 'b', type: 'real' }] } };
    refused(() => inline('SELECT predict_clickbait(1)', twoColumns), /several columns/);
  });
});
