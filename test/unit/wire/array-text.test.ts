import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitArrayText } from '../../../src/wire/array-text.js';
import { encodeText } from '../../../src/wire/types.js';

test('array literals split as array_in reads them', () => {
  assert.deepEqual(splitArrayText('{}'), []);
  assert.deepEqual(splitArrayText('{1,2,3}'), ['1', '2', '3']);
  assert.deepEqual(splitArrayText('{NULL,null,"NULL",\\NULL}'), [null, null, 'NULL', 'NULL']);
  assert.deepEqual(splitArrayText('{"a \\"b\\"", c d }'), ['a "b"', 'c d']);
  assert.deepEqual(splitArrayText('{{1,2},{3,4}}'), [['1', '2'], ['3', '4']]);
  assert.deepEqual(splitArrayText('[1:2]={a,b}'), ['a', 'b']);
  assert.deepEqual(splitArrayText('  { a , "b " }  '), ['a', 'b ']);
  assert.deepEqual(splitArrayText('{"\\\\",""}'), ['\\', '']);
  assert.deepEqual(splitArrayText('{a\\,b}'), ['a,b']);
});

test('malformed array literals are refused', () => {
  for (const bad of ['{a', '{a}x', '{,}', '{"a}', 'a', '{a{b}}', '{a,}', '{"a"b"}x', '[1:2]{a}']) {
    assert.throws(() => splitArrayText(bad), SyntaxError, bad);
  }
});

test('every array the proxy writes reads back unchanged', () => {
  // A small deterministic generator: the characters that need quoting or escaping are frequent.
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['a', 'Z', ' ', '"', '\\', ',', '{', '}', 'é', '\t', 'N', 'U', 'L'];
  const word = (): string | null => {
    if (next(10) === 0) return null;
    if (next(10) === 0) return 'NULL';
    return Array.from({ length: next(6) }, () => alphabet[next(alphabet.length)]).join('');
  };
  for (let i = 0; i < 500; i++) {
    const values = Array.from({ length: next(8) }, word);
    const text = encodeText(values)!.toString('utf8');
    assert.deepEqual(splitArrayText(text), values, text);
  }
});
