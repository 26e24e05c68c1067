// The client session and the interceptor against a scripted upstream (test/support/fake-upstream.ts):
// what a client sees after errors the proxy raises itself, without a Postgres cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedder } from '../../../src/pgml/embeddings/index.js';
import { createServingCaches } from '../../../src/pgml/serving/services.js';
import { ProxyServer } from '../../../src/proxy/server.js';
import { UpstreamFunctions } from '../../../src/proxy/upstream-functions.js';
import { initParser } from '../../../src/sql/index.js';
import { registry } from '../../support/catalog.js';
import { FakeUpstream, sqlOf, type Answer } from '../../support/fake-upstream.js';
import { errorFields, extendedQueryMessages, queryMessage, RawConnection, startupMessage, syncMessage, type BackendMessage } from '../../support/raw-wire.js';

// A per-row call of a set-returning function: the planner refuses it before anything runs upstream.
const REFUSED = `SELECT pgml.predict_batch('p', ARRAY[a]) FROM t`;

const ANSWERS = new Map<string, Answer>([
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
  assert.ok(!upstreamSaw.some((m) => (m.type === 'Q' || m.type === 'P') && sqlOf(m).includes('predict_batch')));
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
