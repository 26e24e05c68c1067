import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgError } from '../../../src/errors/index.js';
import { HttpError, statusForSqlState, toHttpError } from '../../../src/http/errors.js';

test("PostgREST's SQLSTATE → HTTP status table", () => {
  const cases: [string, number][] = [
    ['08006', 503], ['09000', 500], ['0L000', 403], ['0P000', 403], ['23503', 409], ['23505', 409],
    ['25006', 405], ['25P02', 500], ['28P01', 403], ['2D000', 500], ['38000', 500], ['39000', 500],
    ['3B000', 500], ['40001', 500], ['53400', 500], ['53300', 503], ['54000', 500], ['55000', 500],
    ['57014', 500], ['58030', 500], ['F0000', 500], ['HV000', 500], ['P0001', 400], ['P0002', 500],
    ['XX000', 500], ['42883', 404], ['42P01', 404], ['42P17', 500], ['22P02', 400], ['23502', 400],
    ['PT402', 402],
  ];
  for (const [code, status] of cases) assert.equal(statusForSqlState(code, true), status, code);
  assert.equal(statusForSqlState('42501', true), 403);
  assert.equal(statusForSqlState('42501', false), 401);
});

test('errors from Postgres and from the proxy keep message, detail and hint; 401 asks for a Bearer token', () => {
  const fromProxy = toHttpError(new PgError('42501', 'permission denied for table secrets', { detail: 'd', hint: 'h' }), false);
  assert.equal(fromProxy.status, 401);
  assert.deepEqual(fromProxy.body(), { code: '42501', message: 'permission denied for table secrets', details: 'd', hint: 'h' });
  assert.equal(fromProxy.headers['WWW-Authenticate'], 'Bearer');
  const fromPg = new pg.DatabaseError('duplicate key value violates unique constraint "k"', 0, 'error');
  fromPg.code = '23505';
  const mapped = toHttpError(fromPg, true);
  assert.equal(mapped.status, 409);
  assert.deepEqual(mapped.body(), { code: '23505', message: fromPg.message, details: null, hint: null });
});

test('HttpErrors pass unchanged; anything else is an internal error, not a made-up SQLSTATE', () => {
  const own = new HttpError(404, 'PGRST202', 'missing');
  assert.equal(toHttpError(own, false), own);
  const write = process.stderr.write;
  let logged = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((logged += String(chunk)), true)) as typeof process.stderr.write;
  let other: HttpError;
  try {
    other = toHttpError(new TypeError('boom'), false);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(other.status, 500);
  assert.equal(other.code, 'PGRSTX00');
  assert.ok(!JSON.stringify(other.body()).includes('boom'), 'the exception text stays in the log');
  assert.match(logged, /TypeError: boom/);
});
