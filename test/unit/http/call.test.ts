import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCall, encodeArg } from '../../../src/http/call.js';
import type { RpcFunction } from '../../../src/http/schema-cache.js';

const param = (type: string, variadic = false) => ({ name: 'p', type, hasDefault: false, variadic });

test('JSON values become Postgres text input for the declared type', () => {
  assert.equal(encodeArg(param('integer'), 5), '5');
  assert.equal(encodeArg(param('boolean'), true), 'true');
  assert.equal(encodeArg(param('text'), 'héllo'), 'héllo');
  assert.equal(encodeArg(param('text'), null), null);
  assert.equal(encodeArg(param('jsonb'), 'x'), '"x"');
  assert.equal(encodeArg(param('json'), { a: [1] }), '{"a":[1]}');
  assert.equal(encodeArg(param('integer[]'), [1, null, 3]), '{1,NULL,3}');
  assert.equal(encodeArg(param('text[]'), ['a"b', 'c\\d', 'e,f', '']), '{"a\\"b","c\\\\d","e,f",""}');
  assert.equal(encodeArg(param('integer[]'), [[1, 2], [3, 4]]), '{{1,2},{3,4}}');
  assert.equal(encodeArg(param('integer[]', true), ['1', '2']), '{"1","2"}');
  // Not an array type: Postgres judges the JSON text (and answers 22P02 if it is wrong).
  assert.equal(encodeArg(param('integer'), [1]), '[1]');
});

test('the call SQL casts every argument and lets Postgres build the JSON', () => {
  const fn: RpcFunction = {
    schema: 'public',
    name: 'predict_clickbait',
    params: [{ name: 'input_string', type: 'text', hasDefault: false, variadic: false }],
    shape: 'setofRow',
    volatility: 'v',
  };
  const call = buildCall(fn, new Map([['input_string', 'headline']]), undefined, false);
  assert.equal(
    call.sql,
    `SELECT coalesce(json_agg(pgrst_row), '[]')::text AS body, count(*)::int AS n FROM (SELECT pgrst_call.* FROM "public"."predict_clickbait"("input_string" => $1::text) AS pgrst_call) AS pgrst_row`,
  );
  assert.deepEqual(call.params, ['headline']);
  const single = buildCall(fn, new Map([['input_string', 'headline']]), undefined, true);
  assert.match(single.sql, /json_agg\(pgrst_row\) -> 0/);
  const scalar = buildCall({ ...fn, name: 'we"ird', shape: 'scalar', params: [] }, new Map(), undefined, false);
  assert.equal(scalar.sql, `SELECT to_json("public"."we""ird"())::text AS body, 1 AS n`);
  const variadic = buildCall(
    { ...fn, shape: 'scalar', params: [{ name: 'v', type: 'integer[]', hasDefault: false, variadic: true }] },
    new Map([['v', [1, 2]]]),
    undefined,
    false,
  );
  assert.match(variadic.sql, /\(VARIADIC "v" => \$1::integer\[\]\)/);
  const whole = buildCall({ ...fn, shape: 'scalar', params: [{ name: '', type: 'json', hasDefault: false, variadic: false }] }, new Map(), '{"x":1}', false);
  assert.match(whole.sql, /"predict_clickbait"\(\$1::json\)/);
  assert.deepEqual(whole.params, ['{"x":1}']);
});
