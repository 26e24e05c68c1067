// The client session and the interceptor against a scripted upstream (test/support/fake-upstream.ts):
// what a client sees after errors the proxy raises itself and of the statements it rewrites, without a Postgres cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedder } from '../../../src/pgml/embeddings/index.js';
import { createServingCaches } from '../../../src/pgml/serving/services.js';
import { ProxyServer } from '../../../src/proxy/server.js';
import { UpstreamFunctions } from '../../../src/proxy/upstream-functions.js';
import { initParser } from '../../../src/sql/index.js';
import { registry } from '../../support/catalog.js';
import { declaredTypes, FakeUpstream, sqlOf, type Answer } from '../../support/fake-upstream.js';
import { BufferList, errorFields, extendedQueryMessages, frontendMessage, queryMessage, RawConnection, startupMessage, syncMessage, type BackendMessage } from '../../support/raw-wire.js';

// A per-row call returning a set of arrays: Postgres has no arrays of arrays to unnest it from, so it stays refused.
const REFUSED = `SELECT pgml.embed('m', ARRAY[a]::text[]) FROM t`;

// Calls the proxy evaluates after Parse, and the statements it sends upstream in their place
// (spelled here as the rewriter writes them: a change there shows up as a syntax error below).
const AT_BIND = `SELECT pgml.embed('intfloat/e5-small', $1) AS v`;
const AT_BIND_UPSTREAM = 'SELECT $2::real[] AS v';
const PER_ROW = `SELECT pgml.embed('intfloat/e5-small', body) AS v, id FROM docs`;
const PER_ROW_UPSTREAM = 'SELECT NULL::real[] AS v, id, (body) AS pgml_proxy_arg_1 FROM docs';
const KEYED = `SELECT id FROM docs WHERE pgml.embed('intfloat/e5-small', body) IS NOT NULL`;
const KEYED_UPSTREAM = 'SELECT id FROM docs WHERE NULL::real[] IS NOT NULL';
// The first statement of the per-row work inside the block the proxy opened; it fails here.
const BATCH_START = 'SAVEPOINT pgml_proxy_batch';
const TEXT = 25;
const INT4 = 23;
const REAL_ARRAY = 1021;

const ANSWERS = new Map<string, Answer>([
  [AT_BIND_UPSTREAM, { columns: [{ name: 'v', typeOid: REAL_ARRAY }], rows: [], tag: 'SELECT 0' }],
  [
    PER_ROW_UPSTREAM,
    {
      columns: [
        { name: 'v', typeOid: REAL_ARRAY },
        { name: 'id', typeOid: INT4 },
        { name: 'pgml_proxy_arg_1', typeOid: TEXT },
      ],
      rows: [],
      tag: 'SELECT 0',
    },
  ],
  [KEYED_UPSTREAM, { columns: [{ name: 'id', typeOid: INT4 }], rows: [], tag: 'SELECT 0' }],
  [BATCH_START, { error: { code: '53100', message: 'could not extend file: No space left on device' } }],
  ['BEGIN', { tag: 'BEGIN' }],
  ['ROLLBACK', { tag: 'ROLLBACK' }],
  ['SELECT 1', { columns: [{ name: '?column?', typeOid: 23 }], rows: [['1']], tag: 'SELECT 1' }],
]);

let upstream: FakeUpstream;
let server: ProxyServer;
let port: number;

before(async () => {
  await initParser();
  upstream = new FakeUpstream(ANSWERS);
  server = new ProxyServer({ connector: upstream, registry, functions: new UpstreamFunctions(registry), services: { serving: createServingCaches(), embedder: new Embedder() }, authTimeoutMs: 10_000, answerLocally: true, log: () => {} });
  port = (await server.listen('127.0.0.1', 0)).port;
});
after(() => server.stop(0));

async function connect(): Promise<RawConnection> {
  const client = await RawConnection.open('127.0.0.1', port);
  client.write(startupMessage({ user: 'postgres', database: 'postgres' }));
  await client.readUntil('Z');
  return client;
}

const types = (messages: readonly BackendMessage[]) => messages.map((m) => m.type).join('');
const status = (messages: readonly BackendMessage[]) => messages.at(-1)!.body.toString('latin1');

test('a refused statement in a transaction block: the error, then ReadyForQuery E, and the upstream failed too', async () => {
  const client = await connect();
  client.write(queryMessage('BEGIN'));
  assert.equal(status(await client.readUntil('Z')), 'T');
  const sent = upstream.received.length;
  client.write(queryMessage(REFUSED));
  const answer = await client.readUntil('Z');
  assert.equal(types(answer), 'EZ');
  assert.equal(errorFields(answer[0]!).C, '0A000');
  assert.equal(status(answer), 'E');
  // The statement never went upstream; a statement that fails there made its block agree.
  const upstreamSaw = upstream.received.slice(sent);
  assert.ok(!upstreamSaw.some((m) => (m.type === 'Q' || m.type === 'P') && sqlOf(m).includes('pgml.embed')));
  assert.deepEqual(upstreamSaw.map((m) => m.type), ['P', 'S']);
  client.write(queryMessage('ROLLBACK'));
  assert.equal(status(await client.readUntil('Z')), 'I');
  client.write(queryMessage('SELECT 1'));
  const after = await client.readUntil('Z');
  assert.equal(types(after), 'TDCZ');
  client.socket.end();
});

test('a refused Parse: one ErrorResponse, the Bind and Execute after it skipped until Sync, then ReadyForQuery I', async () => {
  const client = await connect();
  client.write(Buffer.concat([extendedQueryMessages(REFUSED), syncMessage()]));
  const answer = await client.readUntil('Z');
  assert.equal(types(answer), 'EZ');
  assert.equal(errorFields(answer[0]!).C, '0A000');
  assert.equal(status(answer), 'I');
  // The session is usable: the next pipeline runs.
  client.write(Buffer.concat([extendedQueryMessages('SELECT 1'), syncMessage()]));
  const next = await client.readUntil('Z');
  assert.equal(types(next), '12DCZ');
  assert.equal(status(next), 'I');
  client.socket.end();
});

/** Parse of an unnamed statement (types left to the server) and Describe of it. */
function parseAndDescribe(sql: string): Buffer {
  return Buffer.concat([
    frontendMessage('P', new BufferList().cstring('').cstring(sql).int16(0).body()),
    frontendMessage('D', new BufferList().byte('S').cstring('').body()),
  ]);
}

function parameterTypes(message: BackendMessage): number[] {
  return Array.from({ length: message.body.readInt16BE(0) }, (_, i) => message.body.readUInt32BE(2 + 4 * i));
}

function columnNames(message: BackendMessage): string[] {
  const names: string[] = [];
  let at = 2;
  for (let i = 0; i < message.body.readInt16BE(0); i++) {
    const end = message.body.indexOf(0, at);
    names.push(message.body.subarray(at, end).toString('utf8'));
    at = end + 1 + 18;
  }
  return names;
}

test('Describe of a statement with a call evaluated at Bind: the parameter the proxy added for its result is not shown', async () => {
  const client = await connect();
  const sent = upstream.received.length;
  client.write(Buffer.concat([parseAndDescribe(AT_BIND), syncMessage()]));
  const answer = await client.readUntil('Z');
  assert.equal(types(answer), '1tTZ');
  // The upstream was asked about two parameters: the client's text and the call's result.
  const parse = upstream.received.slice(sent).find((m) => m.type === 'P')!;
  assert.equal(sqlOf(parse), AT_BIND_UPSTREAM);
  assert.deepEqual(declaredTypes(parse), [TEXT, REAL_ARRAY]);
  assert.deepEqual(parameterTypes(answer[1]!), [TEXT]);
  assert.deepEqual(columnNames(answer[2]!), ['v']);
  client.socket.end();
});

test('Describe of a statement evaluated per row in one pass: the argument columns the proxy added are not shown', async () => {
  const client = await connect();
  const sent = upstream.received.length;
  client.write(Buffer.concat([parseAndDescribe(PER_ROW), syncMessage()]));
  const answer = await client.readUntil('Z');
  assert.equal(types(answer), '1tTZ');
  assert.equal(sqlOf(upstream.received.slice(sent).find((m) => m.type === 'P')!), PER_ROW_UPSTREAM);
  assert.deepEqual(parameterTypes(answer[1]!), []);
  assert.deepEqual(columnNames(answer[2]!), ['v', 'id']);
  client.socket.end();
});

test('a call evaluated per row at Bind outside a block: the block the proxy opened for it ends at the Sync (here rolled back after an error)', async () => {
  const client = await connect();
  const sent = upstream.received.length;
  client.write(Buffer.concat([extendedQueryMessages(KEYED), syncMessage()]));
  const answer = await client.readUntil('Z');
  assert.equal(types(answer), '1EZ');
  assert.equal(errorFields(answer[1]!).C, '53100');
  assert.equal(status(answer), 'I');
  // BEGIN before the per-row work, the client's Sync, then ROLLBACK: the upstream is idle again.
  const statements = upstream.received.slice(sent).flatMap((m) => (m.type === 'P' || m.type === 'Q' ? [sqlOf(m)] : m.type === 'S' ? ['Sync'] : []));
  assert.deepEqual(statements, [KEYED_UPSTREAM, 'BEGIN', BATCH_START, 'Sync', 'ROLLBACK', 'Sync']);
  client.write(Buffer.concat([extendedQueryMessages('SELECT 1'), syncMessage()]));
  const next = await client.readUntil('Z');
  assert.equal(types(next), '12DCZ');
  assert.equal(status(next), 'I');
  client.socket.end();
});
