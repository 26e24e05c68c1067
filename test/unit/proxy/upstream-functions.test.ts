import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inlinedFunctions, MAX_INLINE_DEPTH, UpstreamFunctions } from '../../../src/proxy/upstream-functions.js';
import { initParser } from '../../../src/sql/parser.js';
import { BufferList } from '../../support/raw-wire.js';
import { catalog } from '../../support/catalog.js';

before(() => initParser());

const fn = (schema: string, name: string, source: string) => ({ schema, name, source });

describe('inlinedFunctions', () => {
  it('keeps functions calling pgml directly or through others, and no others', () => {
    const direct = fn('public', 'predict_clickbait', "SELECT pgml.predict('p', pgml.embed('m', input_string))");
    const indirect = fn('app', 'label', 'SELECT predict_clickbait($1) > 0.5');
    const qualified = fn('app', 'label2', 'SELECT public.predict_clickbait($1) > 0.5');
    const plain = fn('public', 'add_them', 'SELECT a + b');
    const wrongSchema = fn('app', 'label3', 'SELECT other.predict_clickbait($1)');
    const broken = fn('public', 'broken', 'SELEC pgml.version()');
    const names = inlinedFunctions([plain, indirect, direct, qualified, wrongSchema, broken], catalog).map((f) => f.name);
    assert.deepEqual(names.sort(), ['label', 'label2', 'predict_clickbait']);
  });

  it('follows chains up to the depth limit, so recursion ends', () => {
    const chain = [fn('public', 'f0', "SELECT pgml.version()")];
    for (let i = 1; i < MAX_INLINE_DEPTH + 3; i++) chain.push(fn('public', `f${i}`, `SELECT f${i - 1}()`));
    const names = new Set(inlinedFunctions(chain, catalog).map((f) => f.name));
    assert.ok(names.has(`f${MAX_INLINE_DEPTH - 1}`));
    assert.ok(!names.has(`f${MAX_INLINE_DEPTH + 2}`));
    const loop = [fn('public', 'ping', 'SELECT pong()'), fn('public', 'pong', 'SELECT ping()')];
    assert.deepEqual(inlinedFunctions(loop, catalog), []);
  });
});

describe('UpstreamFunctions', () => {
  it('answers by name, case-insensitively, and rebuilds its sniffer', () => {
    const functions = new UpstreamFunctions(catalog);
    const q = (sql: string) => new BufferList().cstring(sql).join('Q');
    assert.equal(functions.sniffer.mentions(q('SELECT predict_clickbait(1)')), false);
    functions.replace([{ schema: 'public', name: 'predict_clickbait' }]);
    assert.equal(functions.has(null, 'Predict_Clickbait'), true);
    assert.equal(functions.has('public', 'predict_clickbait'), true);
    assert.equal(functions.has('app', 'predict_clickbait'), false);
    assert.equal(functions.sniffer.mentions(q('SELECT PREDICT_CLICKBAIT(1)')), true);
    assert.equal(functions.sniffer.mentions(q('SELECT pgml.version()')), true);
    functions.replace([]);
    assert.equal(functions.isEmpty, true);
    assert.equal(functions.sniffer.mentions(q('SELECT predict_clickbait(1)')), false);
  });
});
