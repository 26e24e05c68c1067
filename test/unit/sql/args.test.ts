import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConst, decodeNumber } from '../../../src/sql/args.js';
import { initParser, parseStatements } from '../../../src/sql/parser.js';

before(() => initParser());

/** The decoded first select-list expression of `SELECT <expr>`. */
function decode(expr: string) {
  const stmt = parseStatements(`SELECT ${expr}`)[0]?.stmt as { SelectStmt: { targetList: { ResTarget: { val: unknown } }[] } };
  return decodeConst(stmt.SelectStmt.targetList[0]?.ResTarget.val);
}

describe('decodeConst', () => {
  const cases: [string, unknown, string | undefined][] = [
    ["'it''s'", "it's", undefined],
    ["E'a\\nb'", 'a\nb', undefined],
    ["''", '', undefined],
    ['42', 42, undefined],
    ['0', 0, undefined],
    ['-3', -3, undefined],
    ['-2.5', -2.5, undefined],
    ['1.5e10', 1.5e10, undefined],
    ['9223372036854775807', '9223372036854775807', undefined],
    ['0.1000000000000000000001', '0.1000000000000000000001', undefined],
    ['true', true, undefined],
    ['false', false, undefined],
    ['NULL', null, undefined],
    ['NULL::text', null, 'text'],
    ["'x'::text", 'x', 'text'],
    ["'{1,2}'::real[]", '{1,2}', 'real[]'],
    ['\'{"a":1}\'::jsonb', '{"a":1}', 'jsonb'],
    ['ARRAY[1,-2.5,3]', [1, -2.5, 3], undefined],
    ['ARRAY[1,-2.5,3]::real[]', [1, -2.5, 3], 'real[]'],
    ['ARRAY[[1,2],[3,NULL]]', [[1, 2], [3, null]], undefined],
    ["ARRAY['a', 'b']", ['a', 'b'], undefined],
    ["ARRAY['1'::int, 2]", [1, 2], undefined],
    ['CAST(7 AS bigint)', 7, 'bigint'],
    ["real '1.5'", '1.5', 'real'],
    ["'5'::varchar(10)", '5', 'character varying(10)'],
  ];
  for (const [sql, value, castType] of cases) {
    it(sql, () => {
      const decoded = decode(sql);
      assert.ok(decoded, `${sql} should decode`);
      assert.deepEqual(decoded.value, value);
      assert.equal(decoded.castType, castType);
    });
  }

  it('gives literal types for overload resolution', () => {
    assert.equal(decode("'a'")?.type, 'unknown');
    assert.equal(decode('1')?.type, 'integer');
    assert.equal(decode('1.5')?.type, 'numeric');
    assert.equal(decode('ARRAY[1,2]')?.type, 'integer[]');
    assert.equal(decode('ARRAY[1,2.5]')?.type, 'numeric[]');
    assert.equal(decode("ARRAY['a']")?.type, 'text[]');
  });

  it('leaves non-constants and double casts to the upstream', () => {
    for (const sql of ['now()', '1 + 2', 'x', 'ARRAY[x, 1]', '1.7::int::text', '$1', "B'101'"]) {
      assert.equal(decode(sql), undefined, sql);
    }
  });
});

describe('decodeNumber', () => {
  it('keeps exact values as numbers and the rest as text', () => {
    assert.equal(decodeNumber('0.5'), 0.5);
    assert.equal(decodeNumber('100'), 100);
    assert.equal(decodeNumber('1_000'), 1000);
    assert.equal(decodeNumber('0x1F'), 31);
    assert.equal(decodeNumber('0.30000000000000000001'), '0.30000000000000000001');
    assert.equal(decodeNumber('123456789012345678901234567890'), '123456789012345678901234567890');
  });
});
