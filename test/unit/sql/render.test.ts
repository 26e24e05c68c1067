import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConst } from '../../../src/sql/args.js';
import { initParser, parseStatements } from '../../../src/sql/parser.js';
import { arrayLiteral, quoteIdent, renderLiteral } from '../../../src/sql/render.js';

before(() => initParser());

/** Parses `SELECT <literal>` with the real parser and decodes the constant back. */
function reparse(literal: string) {
  const stmt = parseStatements(`SELECT ${literal}`)[0]?.stmt as { SelectStmt: { targetList: { ResTarget: { val: unknown } }[] } };
  const decoded = decodeConst(stmt.SelectStmt.targetList[0]?.ResTarget.val);
  assert.ok(decoded, literal);
  return decoded;
}

describe('renderLiteral', () => {
  const cases: [unknown, string, unknown][] = [
    ["it's", 'text', "it's"],
    ['back\\slash \'q\'', 'text', 'back\\slash \'q\''],
    ['ünïcødé 😀', 'text', 'ünïcødé 😀'],
    [1.5, 'real', '1.5'],
    [-1, 'bigint', '-1'],
    [NaN, 'real', 'NaN'],
    [-Infinity, 'double precision', '-Infinity'],
    [12345678901234567890n, 'numeric', '12345678901234567890'],
    [true, 'boolean', 'true'],
    [null, 'real[]', null],
    [[1, -2.5, null], 'real[]', '{1,-2.5,NULL}'],
    [[['a"b', 'c\\d'], ['NULL', '']], 'text[]', '{{"a\\"b","c\\\\d"},{"NULL",""}}'],
    [{ a: [1, "it's"] }, 'jsonb', '{"a":[1,"it\'s"]}'],
    ['{"raw": true}', 'jsonb', '{"raw": true}'],
  ];
  for (const [value, type, text] of cases) {
    it(`${String(value)} as ${type}`, () => {
      const rendered = renderLiteral(value, type);
      const decoded = reparse(rendered);
      assert.deepEqual(decoded.value, text);
      assert.equal(decoded.castType, type);
    });
  }

  it('rejects NUL characters like Postgres', () => {
    assert.throws(() => renderLiteral('a\0b', 'text'), { code: '22021' });
  });

  it('writes array literals Postgres reads back', () => {
    assert.equal(arrayLiteral([]), '{}');
    assert.equal(arrayLiteral([true, false, NaN, Infinity]), '{t,f,NaN,Infinity}');
  });
});

describe('quoteIdent', () => {
  it('quotes only when needed', () => {
    assert.equal(quoteIdent('version'), 'version');
    assert.equal(quoteIdent('select'), '"select"');
    assert.equal(quoteIdent('Train'), '"Train"');
    assert.equal(quoteIdent('a"b'), '"a""b"');
    assert.equal(quoteIdent('1x'), '"1x"');
  });
});
