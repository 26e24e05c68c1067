import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../../src/sql/parser.js';
import { inlineParams, maxParamIndex, renumberParams } from '../../../src/sql/params.js';

before(() => initParser());

test('maxParamIndex reads PARAM tokens only', () => {
  assert.equal(maxParamIndex('SELECT 1'), 0);
  assert.equal(maxParamIndex(`SELECT $2, '$9', $1 -- $7`), 2);
});

test('inlineParams replaces each $n by its SQL, parenthesized', () => {
  const literal = (n: number) => [`'a'`, `42::int4`, `NULL`][n - 1]!;
  assert.equal(inlineParams('SELECT $1, x FROM t WHERE id < $2 AND y = $1', literal), `SELECT ('a'), x FROM t WHERE id < (42::int4) AND y = ('a')`);
  assert.equal(inlineParams('SELECT $3::text', literal), 'SELECT (NULL)::text');
});

test('inlineParams leaves $n in strings, comments and dollar quotes alone', () => {
  const sql = `SELECT '$1', $$ $1 $$, "$1" /* $1 */, $1 -- $1`;
  assert.equal(inlineParams(sql, () => '7'), `SELECT '$1', $$ $1 $$, "$1" /* $1 */, (7) -- $1`);
});

test('inlineParams keeps multi-byte text around the parameters intact', () => {
  assert.equal(inlineParams(`SELECT 'é€😀', $1, 'ü'`, () => `'ß'`), `SELECT 'é€😀', ('ß'), 'ü'`);
});

test('renumberParams keeps only the parameters used, from $1 in order of first use', () => {
  assert.deepEqual(renumberParams(`SELECT ARRAY[$3::real, $5, $3 + 1]`), { sql: `SELECT ARRAY[($1)::real, ($2), ($1) + 1]`, used: [3, 5] });
  const fixed = renumberParams(`SELECT f($1, $2, '$4')`, (n) => (n === 1 ? 'NULL::text' : undefined));
  assert.deepEqual(fixed, { sql: `SELECT f((NULL::text), ($1), '$4')`, used: [2] });
});
