import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeQuery } from '../../../src/sql/analyze.js';
import { initParser } from '../../../src/sql/parser.js';
import { resolveWithArgumentTypes } from '../../../src/sql/resolve.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());

function site(sql: string) {
  const call = analyzeQuery(sql, catalog).statements[0]?.calls[0];
  assert.ok(call);
  return call;
}

test('a column argument keeps every overload it could select, even when the other arguments prefer one', () => {
  // integer[] fits the (text, integer[]) overload exactly, but m.id may be a bigint model id.
  const call = site('SELECT pgml.predict(m.id, ARRAY[1, 2]) FROM pgml.models m');
  assert.equal(call.signature.params[0]?.name, 'project_name');
  assert.ok(call.alternatives.some((s) => s.params[0]?.name === 'model_id'));
});

test("the column's real type then chooses the overload, and the argument binds to its parameter", () => {
  const call = site('SELECT pgml.predict(m.id, ARRAY[a, b]::real[]) FROM pgml.models m, t');
  const overloads = catalog.overloads('pgml', 'predict') ?? [];
  const asBigint = resolveWithArgumentTypes(overloads, 'pgml.predict', call.argList, new Map([[0, 'int8']]), call.position);
  assert.deepEqual(asBigint.signature.params.map((p) => p.name), ['model_id', 'features']);
  assert.equal(asBigint.args.get('model_id'), call.argList[0]?.expr);
  const asText = resolveWithArgumentTypes(overloads, 'pgml.predict', call.argList, new Map([[0, 'text']]), call.position);
  assert.deepEqual(asText.signature.params.map((p) => p.name), ['project_name', 'features']);
  assert.throws(() => resolveWithArgumentTypes(overloads, 'pgml.predict', call.argList, new Map([[0, 'boolean']]), call.position), { code: '42883' });
});
