import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError } from '../../../src/http/errors.js';
import { SchemaCache, toRpcFunction, type RpcFunction } from '../../../src/http/schema-cache.js';

const fn = (name: string, params: [string, string, boolean?][], shape: RpcFunction['shape'] = 'scalar'): RpcFunction => ({
  schema: 'public',
  name,
  params: params.map(([n, type, hasDefault = false]) => ({ name: n, type, hasDefault, variadic: false })),
  shape,
  volatility: 'v',
});

function cache(): SchemaCache {
  const c = new SchemaCache(['public']);
  c.replace([
    fn('ov', [['a', 'integer']]),
    fn('ov', [['a', 'integer'], ['b', 'integer', true]]),
    fn('amb', [['a', 'integer']]),
    fn('amb', [['a', 'text']]),
    fn('mult_them', [['', 'json']]),
    fn('predict_clickbait', [['input_string', 'text']], 'setofRow'),
  ]);
  return c;
}

function rejects(work: () => unknown, status: number, code: string): HttpError {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail('expected an error');
}

test('overloads: every given name known, every required one given; the exact arity wins ties', () => {
  const c = cache();
  assert.equal(c.resolve('public', 'ov', ['a'], false).fn.params.length, 1);
  assert.equal(c.resolve('public', 'ov', ['a', 'b'], false).fn.params.length, 2);
  rejects(() => c.resolve('public', 'amb', ['a'], false), 300, 'PGRST203');
  assert.equal(c.resolve('public', 'mult_them', ['x', 'y'], true).wholeBody, true);
  rejects(() => c.resolve('public', 'mult_them', ['x'], false), 404, 'PGRST202');
});

test('PGRST202 names the arguments and hints at the likely function', () => {
  const c = cache();
  const typo = rejects(() => c.resolve('public', 'predict_clickbat', ['input_string'], false), 404, 'PGRST202');
  assert.equal(typo.message, 'Could not find the function public.predict_clickbat(input_string) in the schema cache');
  assert.equal(typo.hint, 'Perhaps you meant to call the function public.predict_clickbait');
  const wrongArg = rejects(() => c.resolve('public', 'predict_clickbait', ['text'], false), 404, 'PGRST202');
  assert.match(wrongArg.hint ?? '', /public\.predict_clickbait\(input_string => text\)/);
  const far = rejects(() => c.resolve('public', 'zzz', [], false), 404, 'PGRST202');
  assert.match(far.hint ?? '', /reloading the schema cache/);
  rejects(() => new SchemaCache(['public']).resolve('public', 'ov', ['a'], false), 503, 'PGRST002');
});

test('catalog rows: defaults are the trailing inputs, OUT/TABLE columns make rows', () => {
  const seed = toRpcFunction({
    schema: 'public',
    name: 'predict_clickbait',
    volatility: 'v',
    returns_set: true,
    returns_void: false,
    returns_row: true,
    n_defaults: 0,
    args: [
      { name: 'input_string', type: 'text', mode: 'i' },
      { name: 'is_clickbait', type: 'real', mode: 't' },
    ],
  });
  assert.deepEqual(seed.params, [{ name: 'input_string', type: 'text', hasDefault: false, variadic: false }]);
  assert.equal(seed.shape, 'setofRow');
  const defaults = toRpcFunction({
    schema: 'public',
    name: 'f',
    volatility: 's',
    returns_set: false,
    returns_void: false,
    returns_row: false,
    n_defaults: 1,
    args: [
      { name: 'a', type: 'integer', mode: null },
      { name: null, type: 'integer', mode: null },
    ],
  });
  assert.deepEqual(defaults.params.map((p) => [p.name, p.hasDefault]), [['a', false], ['', true]]);
  assert.equal(defaults.shape, 'scalar');
});
