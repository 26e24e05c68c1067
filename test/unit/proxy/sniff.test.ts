import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changesSessionSettings, deallocates, isRoutineDdl, Mentions, mentionsSetConfig, StatementSniffer } from '../../../src/proxy/sniff.js';
import { coalesce } from '../../../src/proxy/coalesce.js';
import { BufferList } from '../../support/raw-wire.js';

const q = (sql: string): Buffer => new BufferList().cstring(sql).join('Q');
const plain = StatementSniffer.for();
const mentionsInterceptedSchema = (m: Buffer) => plain.mentions(m);

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

test('also finds the names it was built with, case-insensitively, and nothing shorter', () => {
  const sniffer = StatementSniffer.for(['predict_clickbait', 'Score', 'crab']);
  assert.equal(sniffer.mentions(q('SELECT * FROM PREDICT_CLICKBAIT($1)')), true);
  assert.equal(sniffer.mentions(q('select "public"."predict_clickbait"(input_string => $1::text)')), true);
  assert.equal(sniffer.mentions(q('select rescore(1)')), true);
  assert.equal(sniffer.mentions(q('select predict_click(1), scor, cra')), false);
  // Overlapping prefixes: "crcrab" must still be found after the failed "cr" start.
  assert.equal(sniffer.mentions(q('select crcrab')), true);
  assert.equal(sniffer.mentions(q('select predict_clickpgml')), true);
  assert.equal(sniffer.mentions(q('select 1')), false);
});

test('says which list matched: a function name, a generated table name, or both, read to the end when it must', () => {
  const sniffer = StatementSniffer.for(['predict_clickbait'], ['Headlines', 'docs']);
  const both = Mentions.function | Mentions.generatedTable;
  assert.equal(sniffer.sniff(q('SELECT 1')), Mentions.none);
  assert.equal(sniffer.sniff(q('SELECT predict_clickbait($1)')), Mentions.function);
  assert.equal(sniffer.sniff(q('INSERT INTO HEADLINES (title) VALUES ($1)')), Mentions.generatedTable);
  // The function is found first: the scan goes on to find the table after it.
  assert.equal(sniffer.sniff(q(`INSERT INTO docs (body) SELECT pgml.chunk('markdown', 'x') FROM headlines`)), both);
  assert.equal(sniffer.sniff(q('UPDATE docs SET body = $1')), Mentions.generatedTable);
  // A name that is both a function's and a table's.
  assert.equal(StatementSniffer.for(['docs'], ['docs']).sniff(q('select docs()')), both);
  // No names but pgml and cron: a function mention, never a table.
  assert.equal(StatementSniffer.for().sniff(q('select pgml.version()')), Mentions.function);
  assert.equal(StatementSniffer.for([], ['t1']).sniff(q('select cron.schedule(1)')), Mentions.function);
  // A session's one-pass cursor names: a third list.
  const cursors = StatementSniffer.for([], [], ['scored']);
  assert.equal(cursors.sniff(q('FETCH 10 FROM Scored')), Mentions.cursor);
  assert.equal(cursors.sniff(q('FETCH 10 FROM other')), Mentions.none);
  // Non-ASCII letters are matched exactly, as Postgres folds only ASCII in unquoted names.
  const accented = StatementSniffer.for([], ['Ärger']);
  assert.equal(accented.sniff(q('INSERT INTO "Ärger" VALUES (1)')), Mentions.generatedTable);
  assert.equal(accented.sniff(q('INSERT INTO "ärger" VALUES (1)')), Mentions.none);
});

test('CommandComplete tags of DDL on functions are recognised, others are not', () => {
  const cc = (tag: string) => new BufferList().cstring(tag).join('C');
  assert.equal(isRoutineDdl(cc('CREATE FUNCTION')), true);
  assert.equal(isRoutineDdl(cc('DROP SCHEMA')), true);
  assert.equal(isRoutineDdl(cc('DELETE 3')), false);
  assert.equal(isRoutineDdl(cc('CREATE TABLE')), false);
  assert.equal(isRoutineDdl(cc('SELECT 1')), false);
});

test('coalesce joins adjacent views of one chunk and keeps others apart', () => {
  const chunk = Buffer.from('aaabbbccc');
  const joined = coalesce([chunk.subarray(0, 3), chunk.subarray(3, 6), Buffer.from('x'), chunk.subarray(6)]);
  assert.deepEqual(joined.map(String), ['aaabbb', 'x', 'ccc']);
});

test('set_config in any letter case, and DO and CALL, may change settings', () => {
  assert.equal(mentionsSetConfig(q(`select set_config('extra_float_digits', '0', false)`)), true);
  assert.equal(mentionsSetConfig(q(`SELECT Set_Config('a.b', 'c', true)`)), true);
  assert.equal(mentionsSetConfig(q(`select current_setting('extra_float_digits')`)), false);
  assert.equal(mentionsSetConfig(q(`select setconfig, set-config`)), false);
  const tag = (t: string) => new BufferList().cstring(t).join('C');
  for (const t of ['SET', 'RESET', 'DO', 'CALL', 'ROLLBACK']) assert.equal(changesSessionSettings(tag(t)), true, t);
  for (const t of ['SELECT 1', 'DOX', 'COMMIT']) assert.equal(changesSessionSettings(tag(t)), false, t);
});

test('DEALLOCATE, DEALLOCATE ALL and DISCARD ALL deallocate prepared statements; DISCARD PLANS does not', () => {
  const tag = (t: string) => new BufferList().cstring(t).join('C');
  for (const t of ['DEALLOCATE', 'DEALLOCATE ALL', 'DISCARD ALL']) assert.equal(deallocates(tag(t)), true, t);
  for (const t of ['DISCARD PLANS', 'DISCARD TEMP', 'PREPARE', 'DELETE 1']) assert.equal(deallocates(tag(t)), false, t);
});
