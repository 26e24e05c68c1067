import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError } from '../../../src/http/errors.js';
import { bodyArgs, queryArgs, requestSchema, responseMedia } from '../../../src/http/request.js';

function code(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return `${error.status} ${error.code}`;
  }
  return 'no error';
}

test('POST bodies: a JSON object, an empty body, a form; anything else is PGRST102 or PGRST107', () => {
  assert.deepEqual([...bodyArgs('application/json; charset=utf-8', Buffer.from('{"a":1,"b":[2]}')).args], [['a', 1], ['b', [2]]]);
  assert.deepEqual([...bodyArgs(undefined, Buffer.from('')).args], []);
  assert.deepEqual([...bodyArgs('application/x-www-form-urlencoded', Buffer.from('a=1&v=2&v=3')).args], [['a', '1'], ['v', ['2', '3']]]);
  assert.equal(code(() => bodyArgs('application/json', Buffer.from('{"a":'))), '400 PGRST102');
  assert.equal(code(() => bodyArgs('application/json', Buffer.from('[1]'))), '400 PGRST102');
  assert.equal(code(() => bodyArgs('application/json', Buffer.from('null'))), '400 PGRST102');
  assert.equal(code(() => bodyArgs('text/csv', Buffer.from('a,b'))), '415 PGRST107');
});

test('GET parameters: repeated names become arrays', () => {
  assert.deepEqual([...queryArgs(new URLSearchParams('a=1&v=1&v=2'))], [['a', '1'], ['v', ['1', '2']]]);
});

test('Accept negotiation and schema profiles', () => {
  assert.equal(responseMedia(undefined), 'json');
  assert.equal(responseMedia('application/vnd.pgrst.object+json'), 'object');
  assert.equal(responseMedia('text/html, */*;q=0.8'), 'json');
  assert.equal(code(() => responseMedia('text/html')), '406 PGRST107');
  assert.equal(requestSchema(undefined, ['public', 'api']), 'public');
  assert.equal(requestSchema('api', ['public', 'api']), 'api');
  assert.equal(code(() => requestSchema('secret', ['public'])), '406 PGRST106');
});
