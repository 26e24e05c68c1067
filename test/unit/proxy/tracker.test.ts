import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseTracker, type Outcome } from '../../../src/proxy/tracker.js';
import { BackendCode, FrontendCode } from '../../../src/wire/index.js';
import { BufferList } from '../../support/raw-wire.js';

const msg = (type: string): Buffer => new BufferList().join(type);
const rfq = new BufferList().byte('I').join('Z');

test('pairs extended-protocol answers with their requests and becomes idle after Sync', async () => {
  const t = new ResponseTracker();
  const outcomes: Outcome[] = [];
  const record = { message: () => false, done: (o: Outcome) => outcomes.push(o) };
  t.expect(FrontendCode.Parse, record);
  t.expect(FrontendCode.Bind, record);
  t.expect(FrontendCode.Execute, record);
  t.expect(FrontendCode.Sync, record);
  let idle = false;
  void t.whenIdle().then(() => (idle = true));
  for (const type of ['1', '2', 'D', 'C']) t.route(type.charCodeAt(0), msg(type));
  assert.equal(t.pending, 1);
  t.route(BackendCode.ReadyForQuery, rfq);
  await Promise.resolve();
  assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'ok']);
  assert.equal(idle, true);
});

test('an error skips the rest of the pipeline up to Sync', () => {
  const t = new ResponseTracker();
  const outcomes: Outcome[] = [];
  const record = { message: () => false, done: (o: Outcome) => outcomes.push(o) };
  for (const code of [FrontendCode.Parse, FrontendCode.Bind, FrontendCode.Execute, FrontendCode.Sync]) t.expect(code, record);
  t.route(BackendCode.ErrorResponse, msg('E'));
  assert.deepEqual(outcomes, ['error', 'skipped', 'skipped']);
  assert.equal(t.pipelineFailed, true);
  t.route(BackendCode.ReadyForQuery, rfq);
  assert.equal(t.pipelineFailed, false);
  assert.equal(t.pending, 0);
});

test('messages sent after the error came back are skipped by the server: nothing to wait for but Sync', async () => {
  const t = new ResponseTracker();
  const outcomes: Outcome[] = [];
  const record = { message: () => false, done: (o: Outcome) => outcomes.push(o) };
  for (const code of [FrontendCode.Parse, FrontendCode.Bind, FrontendCode.Execute]) t.expect(code, record);
  t.route(BackendCode.ParseComplete, msg('1'));
  t.route(BackendCode.ErrorResponse, msg('E'));
  assert.equal(t.pending, 0);
  // The pipeline's tail, sent after the ErrorResponse arrived (psycopg's pipeline mode does this).
  for (const code of [FrontendCode.Parse, FrontendCode.Bind, FrontendCode.Describe, FrontendCode.Execute, FrontendCode.Sync]) t.expect(code, record);
  assert.equal(t.pending, 1);
  t.route(BackendCode.ReadyForQuery, rfq);
  assert.equal(t.pending, 0);
  assert.equal(t.pipelineFailed, false);
  let idle = false;
  void t.whenIdle().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, true);
  assert.deepEqual(outcomes, ['ok', 'error', 'skipped', ...Array(4).fill('skipped'), 'ok']);
});

test('handlers may consume or replace a message; notices always pass', () => {
  const t = new ResponseTracker();
  const replacement = msg('t');
  t.expect(FrontendCode.Describe, { message: (code) => (code === BackendCode.ParameterDescription ? replacement : true) });
  assert.equal(t.route(BackendCode.NoticeResponse, msg('N'))?.[0], 'N'.charCodeAt(0));
  assert.equal(t.route(BackendCode.ParameterDescription, msg('t')), replacement);
  assert.equal(t.route(BackendCode.RowDescription, msg('T')), null);
  assert.equal(t.pending, 0);
});

test('a simple Query completes only at ReadyForQuery, failed if an error came first', () => {
  const t = new ResponseTracker();
  const outcomes: Outcome[] = [];
  t.expect(FrontendCode.Query, { message: () => false, done: (o) => outcomes.push(o) });
  t.route(BackendCode.CommandComplete, msg('C'));
  t.route(BackendCode.ErrorResponse, msg('E'));
  assert.equal(t.pending, 1);
  t.route(BackendCode.ReadyForQuery, rfq);
  assert.deepEqual(outcomes, ['error']);
});

test('runs of DataRows go to the handler of the request they answer only when it takes runs', () => {
  const t = new ResponseTracker();
  const runs: [number, number][] = [];
  const seen: string[] = [];
  t.expect(FrontendCode.Describe, { message: () => true });
  t.expect(FrontendCode.Execute, { message: (code) => (seen.push(String.fromCharCode(code)), true), rowRun: (_chunk, start, end) => runs.push([start, end]) });
  t.expect(FrontendCode.Sync, { message: () => true });
  assert.equal(t.takesRowRuns, false, 'the Describe\'s handler takes no runs');
  t.route(BackendCode.RowDescription, msg('T'));
  assert.equal(t.takesRowRuns, true);
  t.routeRowRun(Buffer.alloc(0), 3, 30);
  assert.deepEqual(runs, [[3, 30]]);
  assert.equal(t.pending, 2, 'a run of DataRows completes nothing');
  t.route(BackendCode.CommandComplete, msg('C'));
  assert.deepEqual(seen, ['C']);
  assert.equal(t.takesRowRuns, false, 'the Sync\'s handler takes no runs');
  t.route(BackendCode.ReadyForQuery, rfq);
  assert.equal(t.takesRowRuns, false, 'nothing pending');
});
