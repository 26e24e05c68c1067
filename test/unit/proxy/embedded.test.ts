import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedConnector } from '../../../src/proxy/embedded.js';
import type { UpstreamLink } from '../../../src/proxy/link.js';
import { initParser } from '../../../src/sql/index.js';
import { BackendCode, MessageFramer, decodeDataRow, decodeErrorResponse, frontend } from '../../../src/wire/index.js';

let connector: EmbeddedConnector;

before(async () => {
  await initParser();
  connector = await EmbeddedConnector.open(undefined);
});
after(() => connector.close());

/** A client of the shared backend that collects what it is sent. */
async function client(): Promise<{ link: UpstreamLink; next: (until: string) => Promise<Buffer[]> }> {
  const link = await connector.connect(Buffer.alloc(0), { user: 'postgres' });
  const framer = new MessageFramer();
  const received: Buffer[] = [];
  let wake: () => void = () => {};
  link.onData = (chunk) => {
    framer.push(chunk, (_c, m) => received.push(Buffer.from(m)));
    wake();
  };
  const next = async (until: string): Promise<Buffer[]> => {
    for (;;) {
      const i = received.findIndex((m) => m[0] === until.charCodeAt(0));
      if (i >= 0) return received.splice(0, i + 1);
      await new Promise<void>((r) => (wake = r));
    }
  };
  await next('Z');
  return { link, next };
}

const values = (messages: Buffer[]): string[] =>
  messages.filter((m) => m[0] === BackendCode.DataRow).map((m) => decodeDataRow(m)[0]!.toString());

test('a transaction holds the backend; the other client runs after COMMIT', async () => {
  const a = await client();
  const b = await client();
  a.link.write([frontend.query('BEGIN; CREATE TABLE mux(x int); INSERT INTO mux VALUES (1)')]);
  await a.next('Z');
  b.link.write([frontend.query('SELECT count(*) FROM mux')]);
  let bDone = false;
  const bResult = b.next('Z').then((m) => {
    bDone = true;
    return m;
  });
  await new Promise((r) => setTimeout(r, 100));
  // B waits: it must not see A's uncommitted transaction from inside it.
  assert.equal(bDone, false);
  a.link.write([frontend.query('COMMIT')]);
  await a.next('Z');
  assert.deepEqual(values(await bResult), ['1']);
  a.link.end();
  b.link.end();
});

test('named prepared statements of two clients do not collide', async () => {
  const a = await client();
  const b = await client();
  const prepare = (sql: string) => [frontend.parse('same', sql), frontend.sync()];
  a.link.write(prepare('SELECT 1'));
  await a.next('Z');
  b.link.write(prepare('SELECT 2'));
  const bReply = await b.next('Z');
  assert.ok(!bReply.some((m) => m[0] === BackendCode.ErrorResponse), 'second Parse of "same" succeeded');
  const run = [frontend.bind({ statement: 'same' }), frontend.execute(), frontend.sync()];
  a.link.write(run);
  assert.deepEqual(values(await a.next('Z')), ['1']);
  b.link.write(run);
  assert.deepEqual(values(await b.next('Z')), ['2']);
  a.link.end();
  b.link.end();
});

test('a client that disconnects inside a transaction is rolled back', async () => {
  const a = await client();
  a.link.write([frontend.query('BEGIN; CREATE TABLE left_behind(x int)')]);
  await a.next('Z');
  a.link.end();
  const b = await client();
  b.link.write([frontend.query('SELECT 1 FROM left_behind')]);
  const reply = await b.next('Z');
  const error = reply.find((m) => m[0] === BackendCode.ErrorResponse);
  assert.ok(error);
  assert.equal(decodeErrorResponse(error).code, '42P01');
  b.link.end();
});
