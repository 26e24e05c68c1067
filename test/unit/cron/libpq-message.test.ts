// libpq's error message layout (pqBuildErrorMessage3, reportErrorPosition), checked against what
// psql 15 printed for the same errors. cron-run-details.test.ts compares with psql live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCursor, libpqErrorMessage } from '../../../src/cron/libpq-message.js';

const columns = (from: number, count: number): string =>
  Array.from({ length: count }, (_, i) => `${from + i} AS column_${from + i}`).join(', ');

test('the fields in libpq\'s order, each line ending in a newline', () => {
  assert.equal(libpqErrorMessage({ severity: 'ERROR', message: 'division by zero' }, 'SELECT 1/0'), 'ERROR:  division by zero\n');
  assert.equal(
    libpqErrorMessage(
      { severity: 'ERROR', message: 'boom', detail: 'd', hint: 'h', where: 'PL/pgSQL function inline_code_block line 1 at RAISE' },
      `DO $$BEGIN RAISE EXCEPTION 'boom' USING DETAIL='d', HINT='h'; END$$`,
    ),
    'ERROR:  boom\nDETAIL:  d\nHINT:  h\nCONTEXT:  PL/pgSQL function inline_code_block line 1 at RAISE\n',
  );
  // An internal position points into the internal query, which is then shown as QUERY.
  assert.equal(
    libpqErrorMessage(
      {
        severity: 'ERROR',
        message: 'relation "nosuch" does not exist',
        internalPosition: '16',
        internalQuery: '(SELECT x FROM nosuch)',
        where: 'PL/pgSQL function f() line 1 at RETURN',
      },
      'SELECT f()',
    ),
    'ERROR:  relation "nosuch" does not exist\nLINE 1: (SELECT x FROM nosuch)\n                       ^\n' +
      'QUERY:  (SELECT x FROM nosuch)\nCONTEXT:  PL/pgSQL function f() line 1 at RETURN\n',
  );
  // Without the internal query, the internal position is told in words.
  assert.equal(libpqErrorMessage({ severity: 'ERROR', message: 'm', internalPosition: '3' }, 'SELECT 1'), 'ERROR:  m at character 3\n');
});

test('the cursor line: line numbers count \\r, \\n and \\r\\n once each; tabs print as spaces', () => {
  const text = 'SELECT 1;\r\n\tSELECT 2;\r\r\n\tSELECT nosuch_column\r\n  FROM pg_class';
  assert.equal(errorCursor(text, text.indexOf('nosuch') + 1), 'LINE 4:  SELECT nosuch_column\n                ^\n');
  assert.equal(errorCursor('SELECT 1', 42), '');
  assert.equal(errorCursor('SELECT 1', 0), '');
});

test('a long line is cut to 60 columns around the cursor, wide characters taking two', () => {
  const middle = `SELECT ${columns(0, 12)}, nosuch_column, ${columns(12, 12)}`;
  assert.equal(
    errorCursor(middle, middle.indexOf('nosuch') + 1),
    'LINE 1: ... 9 AS column_9, 10 AS column_10, 11 AS column_11, nosuch_col...\n' +
      '                                                             ^\n',
  );
  const wide = "SELECT 'Grüße, 日本語のテキスト' AS 名前, nosuch_column, 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS e, 6 AS f, 7 AS g";
  assert.equal(
    errorCursor(wide, [...wide].indexOf('n') + 1),
    "LINE 1: SELECT 'Grüße, 日本語のテキスト' AS 名前, nosuch_column, 1 A...\n" +
      '                                                  ^\n',
  );
});
