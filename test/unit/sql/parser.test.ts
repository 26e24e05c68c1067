import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initParser, mentionsInterceptedSchema, parseStatements, TextOffsets } from '../../../src/sql/parser.js';

before(() => initParser());

describe('mentionsInterceptedSchema', () => {
  it('finds pgml and cron in any case, anywhere', () => {
    for (const sql of ['SELECT PGML.version()', 'select cron.schedule()', 'x Cron', "'pGmL'", 'pgml']) {
      assert.equal(mentionsInterceptedSchema(sql), true, sql);
    }
  });
  it('is false otherwise', () => {
    for (const sql of ['', 'SELECT 1', 'pgm l', 'cro', 'SELECT p.g, c.r FROM pgm_ cronx'.replace('cronx', 'cr0n')]) {
      assert.equal(mentionsInterceptedSchema(sql), false, sql);
    }
  });
});

describe('TextOffsets', () => {
  it('maps UTF-8 byte offsets to JS indices and Postgres positions', () => {
    const text = 'aé😀b';
    const offsets = new TextOffsets(text);
    assert.equal(offsets.byteLength, 8);
    assert.equal(offsets.charIndex(1), 1); // é
    assert.equal(offsets.charIndex(3), 2); // 😀 (two UTF-16 units)
    assert.equal(offsets.charIndex(7), 4); // b
    assert.equal(offsets.charIndex(8), 5);
    assert.equal(offsets.position(4), 4); // b is the fourth code point
  });
});

describe('parseStatements', () => {
  it('maps parser failures to 42601 with position', () => {
    assert.throws(() => parseStatements("SELECT 'abc"), { code: '42601', position: 8 });
    assert.throws(() => parseStatements('SELEC 1'), { code: '42601', message: 'syntax error at or near "SELEC"', position: 1 });
  });
});
