import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgError, SqlState } from '../../../src/errors/index.js';
import { decodeErrorResponse } from '../../../src/wire/index.js';
import { backend } from '../../../src/wire/index.js';

/** Runs `work` with stderr captured: PgError.from logs what it hides from the client. */
function capturingStderr<T>(work: () => T): { value: T; logged: string } {
  const write = process.stderr.write;
  let logged = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((logged += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { value: work(), logged };
  } finally {
    process.stderr.write = write;
  }
}

test('SqlState holds every Postgres errcode under its condition name', () => {
  assert.equal(SqlState.WrongObjectType, '42809');
  assert.equal(SqlState.InvalidColumnReference, '42P10');
  assert.equal(SqlState.CharacterNotInRepertoire, '22021');
  assert.equal(SqlState.GroupingError, '42803');
  assert.equal(SqlState.InFailedSqlTransaction, '25P02');
  assert.equal(SqlState.ERIENullValueNotAllowed, '39004');
  assert.ok(Object.keys(SqlState).length > 250);
  for (const code of Object.values(SqlState)) assert.match(code, /^[0-9A-Z]{5}$/);
});

test('a JavaScript exception reaches the client as XX000 in Postgres words, its text only in the log', () => {
  const { value, logged } = capturingStderr(() => PgError.from(new TypeError("Cannot read properties of undefined (reading 'length')")));
  assert.equal(value.code, SqlState.InternalError);
  assert.equal(value.message, 'internal error in pgml-proxy');
  assert.ok(!JSON.stringify(value.fields()).includes('Cannot read'));
  assert.match(logged, /Cannot read properties of undefined/);
  const thrownString = capturingStderr(() => PgError.from('boom'));
  assert.equal(thrownString.value.message, 'internal error in pgml-proxy');
  assert.match(thrownString.logged, /boom/);
});

test('a PgError passes through from() as itself', () => {
  const error = new PgError(SqlState.InvalidParameterValue, 'bad');
  assert.equal(PgError.from(error), error);
  assert.equal(PgError.fromLibrary(error, 'training kmeans'), error);
});

test("a library's own Error keeps its words under 38000; JavaScript's own exceptions do not", () => {
  const library = PgError.fromLibrary(new Error('K should be a positive integer smaller than the number of points'), 'training kmeans');
  assert.equal(library.code, SqlState.ExternalRoutineException);
  assert.equal(library.message, 'training kmeans failed: K should be a positive integer smaller than the number of points');
  const { value } = capturingStderr(() => PgError.fromLibrary(new SyntaxError('Unexpected token N in JSON'), 'loading a pca model'));
  assert.equal(value.code, SqlState.InternalError);
  assert.ok(!value.message.includes('Unexpected token'));
});

test('a programming error in a worker is XX000 saying what the proxy was doing; name, message and stack go to the log only', () => {
  const faults = [
    new TypeError("Cannot read properties of undefined (reading 'dims')"),
    new RangeError('Invalid array length'),
    new ReferenceError('tokens is not defined'),
    (() => {
      try {
        assert.ok(false, 'presorted features expected');
      } catch (error) {
        return error as Error;
      }
    })(),
  ];
  for (const fault of faults) {
    const { value, logged } = capturingStderr(() => PgError.fromLibrary(fault, 'running pgml.transform with model "m"'));
    assert.equal(value.code, SqlState.InternalError, fault.name);
    assert.equal(value.message, 'internal error in pgml-proxy while running pgml.transform with model "m"');
    assert.ok(!JSON.stringify({ ...value.fields(), message: value.message }).includes(fault.message), fault.name);
    assert.ok(logged.includes(`${fault.name}: ${fault.message}`), logged);
    assert.match(logged, /\n\s+at /, 'the stack is logged');
  }
  const notAnError = capturingStderr(() => PgError.fromLibrary({ reason: 'odd' }, 'embedding with model "m"'));
  assert.equal(notAnError.value.code, SqlState.InternalError);
});

test("the upstream's errors say so, and keep saying so when the proxy re-raises them", () => {
  const decoded = decodeErrorResponse(backend.errorResponse(new PgError(SqlState.UndefinedTable, 'relation "t" does not exist', { position: 15 })));
  assert.equal(decoded.origin, 'upstream');
  assert.equal(new PgError(decoded.code, decoded.message, { ...decoded.fields(), position: undefined }).origin, 'upstream');
  assert.equal(new PgError(SqlState.SyntaxError, 'syntax error').origin, 'proxy');
});
