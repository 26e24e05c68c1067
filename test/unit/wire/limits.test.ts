import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../src/errors/index.js';
import {
  afterAuthentication,
  anyMessage,
  beforeAuthentication,
  LARGE_MESSAGE_LIMIT,
  MAX_AUTH_MESSAGE_LENGTH,
  SMALL_MESSAGE_LIMIT,
} from '../../../src/wire/limits.js';

const code = (c: string): number => c.charCodeAt(0);
const refused = (message: string) => (e: unknown) => e instanceof ProtocolError && e.code === '08P01' && e.message === message;

test('before authentication only password messages of at most 65535 bytes are read (PG_MAX_AUTH_TOKEN_LENGTH)', () => {
  assert.doesNotThrow(() => beforeAuthentication(code('p'), MAX_AUTH_MESSAGE_LENGTH));
  assert.throws(() => beforeAuthentication(code('p'), MAX_AUTH_MESSAGE_LENGTH + 1), refused('invalid message length'));
  assert.throws(() => beforeAuthentication(code('p'), 0x40000000), refused('invalid message length'));
  assert.throws(() => beforeAuthentication(code('Q'), 20), refused('expected password response, got message type 81'));
});

test('after authentication Postgres caps each message type at its small or large limit', () => {
  for (const c of 'QPBdF') {
    assert.doesNotThrow(() => afterAuthentication(code(c), LARGE_MESSAGE_LIMIT), c);
    assert.throws(() => afterAuthentication(code(c), LARGE_MESSAGE_LIMIT + 1), refused('invalid message length'), c);
  }
  for (const c of 'CDEHSXcf') {
    assert.doesNotThrow(() => afterAuthentication(code(c), SMALL_MESSAGE_LIMIT), c);
    assert.throws(() => afterAuthentication(code(c), SMALL_MESSAGE_LIMIT + 1), refused('invalid message length'), c);
  }
  assert.throws(() => afterAuthentication(code('p'), 10), refused('invalid frontend message type 112'));
  assert.throws(() => afterAuthentication(code('Q'), 3), refused('invalid message length'));
  assert.throws(() => afterAuthentication(code('Q'), -1), refused('invalid message length'));
});

test('upstream messages are bounded by 1 GB', () => {
  assert.doesNotThrow(() => anyMessage(code('D'), LARGE_MESSAGE_LIMIT));
  assert.throws(() => anyMessage(code('D'), 0x7fffffff), ProtocolError);
});
