// What statements do to SQL cursors, as the proxy's one-pass cursors read it.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { initParser } from '../../../src/sql/index.js';
import { cursorStatements } from '../../../src/sql/cursor-statement.js';

before(() => initParser());

it('FETCH and MOVE in their forms, CLOSE, CLOSE ALL, DISCARD ALL, DECLARE with or without HOLD', () => {
  assert.deepEqual(cursorStatements('FETCH 3 FROM c; FETCH BACKWARD 2 IN "My C"; FETCH c; MOVE ALL c'), [
    { kind: 'fetch', name: 'c', move: false },
    { kind: 'fetch', name: 'My C', move: false },
    { kind: 'fetch', name: 'c', move: false },
    { kind: 'fetch', name: 'c', move: true },
  ]);
  assert.deepEqual(cursorStatements('CLOSE C; CLOSE ALL; DISCARD ALL; DISCARD TEMP; SELECT 1'), [
    { kind: 'close', name: 'c' },
    { kind: 'close', name: undefined },
    { kind: 'discardAll' },
    undefined,
    undefined,
  ]);
  assert.deepEqual(cursorStatements('DECLARE a BINARY CURSOR WITH HOLD FOR SELECT 1; DECLARE b SCROLL CURSOR WITHOUT HOLD FOR SELECT 1'), [
    { kind: 'declare', name: 'a', hold: true },
    { kind: 'declare', name: 'b', hold: false },
  ]);
  assert.equal(cursorStatements('FETCH FROM'), undefined);
});
