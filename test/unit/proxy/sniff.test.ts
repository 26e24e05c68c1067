import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentionsInterceptedSchema } from '../../../src/proxy/sniff.js';
import { coalesce } from '../../../src/proxy/coalesce.js';
import { BufferList } from '../wire/buffer-list.js';

const q = (sql: string): Buffer => new BufferList().cstring(sql).join('Q');

test('finds pgml and cron in any letter case, anywhere', () => {
  assert.equal(mentionsInterceptedSchema(q('select PGML.version()')), true);
  assert.equal(mentionsInterceptedSchema(q('SELECT Cron.schedule(1)')), true);
  assert.equal(mentionsInterceptedSchema(q('select 1 -- pgml')), true);
  assert.equal(mentionsInterceptedSchema(q('select 1')), false);
  assert.equal(mentionsInterceptedSchema(q('select pgm, cro')), false);
});

test('does not read the message header as text', () => {
  // A length whose bytes spell "pgml" must not count.
  const m = Buffer.from([0x51, 0x70, 0x67, 0x6d, 0x6c, 0x00]);
  assert.equal(mentionsInterceptedSchema(m), false);
});

test('coalesce joins adjacent views of one chunk and keeps others apart', () => {
  const chunk = Buffer.from('aaabbbccc');
  const joined = coalesce([chunk.subarray(0, 3), chunk.subarray(3, 6), Buffer.from('x'), chunk.subarray(6)]);
  assert.deepEqual(joined.map(String), ['aaabbb', 'x', 'ccc']);
});
