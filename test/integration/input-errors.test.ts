// Issue 12, section 4: values the proxy reads itself fail with Postgres's SQLSTATE and words (no
// JavaScript parser message reaches a client), and type OIDs of 2^31 and more work end to end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { errorFields, frontendMessage, RawConnection, syncMessage } from '../support/raw-wire.js';
import { describeTargets, selectedKinds } from '../support/targets.js';

const SETUP = `
  CREATE TABLE feat_train AS SELECT i::real AS a, (i * 2)::real AS b, (i * 3 + 1)::real AS y FROM generate_series(1, 50) i;
  CREATE DOMAIN feat AS real[];`;
const TRAIN = `SELECT * FROM pgml.train('feat_proj', 'regression', 'feat_train', 'y', 'linear')`;

/** What the same features give as a plain real[]: a domain over real[] must predict the same. */
async function expectedPrediction(client: pg.Client): Promise<number> {
  const r = await client.query(`SELECT pgml.predict('feat_proj', '{5.1,3.5}'::real[]) AS p`);
  return r.rows[0].p as number;
}

interface Case {
  sql: string;
  params: unknown[];
  code: string;
  message: string;
}

// Each message is the one Postgres gives for the same text cast to the same type.
const CASES: Case[] = [
  { sql: `SELECT pgml.predict('feat_proj', 'abc'::feat)`, params: [], code: '22P02', message: 'malformed array literal: "abc"' },
  { sql: `SELECT pgml.predict('feat_proj', $1::feat)`, params: ['abc'], code: '22P02', message: 'malformed array literal: "abc"' },
  { sql: `SELECT pgml.predict('feat_proj', '{5.1,abc}'::real[])`, params: [], code: '22P02', message: 'invalid input syntax for type real: "abc"' },
  { sql: `SELECT pgml.predict('feat_proj', $1::real[])`, params: ['{5.1,3.5'], code: '22P02', message: 'malformed array literal: "{5.1,3.5"' },
  { sql: `SELECT pgml.predict('feat_proj', 'abc'::no_such_type)`, params: [], code: '42704', message: 'type "no_such_type" does not exist' },
  { sql: `SELECT pgml.predict('feat_proj', $1::no_such_type)`, params: ['abc'], code: '42704', message: 'type "no_such_type" does not exist' },
  { sql: `SELECT pgml.predict('feat_proj', 'abc')`, params: [], code: '42725', message: 'function pgml.predict(unknown, unknown) is not unique' },
];

describeTargets('values the proxy reads', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(SETUP);
    await client.query(TRAIN);
  });
  after(async () => {
    await client?.end();
  });

  test("'{5.1,3.5}'::feat for a domain over real[] predicts as the real[] does", async () => {
    const expected = await expectedPrediction(client);
    const literal = await client.query(`SELECT pgml.predict('feat_proj', '{5.1,3.5}'::feat) AS p`);
    assert.equal(literal.rows[0].p, expected);
    const bound = await client.query(`SELECT pgml.predict('feat_proj', $1::feat) AS p`, ['{5.1,3.5}']);
    assert.equal(bound.rows[0].p, expected);
  });

  for (const c of CASES) {
    test(`${c.sql} ${JSON.stringify(c.params)} fails with ${c.code}`, async () => {
      await assert.rejects(client.query(c.sql, c.params), (err: pg.DatabaseError) => {
        assert.equal(err.message, c.message);
        assert.equal(err.code, c.code);
        return true;
      });
      // The session stays usable and nothing of the failed statement lingers.
      assert.deepEqual((await client.query('SELECT 1 AS alive')).rows, [{ alive: 1 }]);
    });
  }

  test('the same failures inside a transaction abort it as a failing statement would', async () => {
    await client.query('BEGIN');
    await assert.rejects(client.query(`SELECT pgml.predict('feat_proj', $1::feat)`, ['abc']), { code: '22P02' });
    await assert.rejects(client.query('SELECT 1'), { code: '25P02' });
    await client.query('ROLLBACK');
  });
});

// Real Postgres only: the OID counter is advanced past 2^31 with pg_resetwal before the cluster starts.
describe('type OIDs of 2^31 and more', { skip: !selectedKinds().includes('proxy-postgres') && 'needs the proxy-postgres target' }, () => {
  let cluster: PgCluster;
  let proxy: ProxyProcess;
  let client: pg.Client;
  let featOid: number;
  before(async () => {
    cluster = await startPgCluster({ nextOid: 3_000_000_000 });
    proxy = await startProxy({ upstream: cluster.url() });
    client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    await client.query(SETUP);
    await client.query(TRAIN);
    featOid = (await client.query(`SELECT 'feat'::regtype::oid AS oid`)).rows[0].oid as number;
  });
  after(async () => {
    await client?.end();
    await proxy?.stop();
    cluster?.stop();
  });

  test('the domain really has an OID past 2^31', () => {
    assert.ok(Number(featOid) >= 2 ** 31, `feat has OID ${featOid}`);
  });

  test('a prepared statement with a parameter of the domain is described and executed (postgres.js)', async () => {
    const expected = await expectedPrediction(client);
    const sql = postgres(proxy.url(), { max: 1, onnotice: () => {} });
    try {
      // postgres.js describes the statement first: the proxy rewrites its ParameterDescription.
      const rows = await sql`SELECT pgml.predict('feat_proj', ${'{5.1,3.5}'}::feat) AS p`;
      assert.equal(rows[0]!.p, expected);
    } finally {
      await sql.end();
    }
  });

  test('a Parse declaring the domain OID as its parameter type is rewritten and answered', async () => {
    const c = await RawConnection.open(proxy.host, proxy.port);
    await c.startup('postgres', 'postgres');
    const oid = Buffer.alloc(4);
    oid.writeUInt32BE(Number(featOid));
    const value = Buffer.from('{5.1,3.5}');
    const length = Buffer.alloc(4);
    length.writeInt32BE(value.length);
    c.write(
      Buffer.concat([
        frontendMessage('P', Buffer.concat([Buffer.from(`\0SELECT pgml.predict('feat_proj', $1) AS p\0`), Buffer.from([0, 1]), oid])),
        frontendMessage('B', Buffer.concat([Buffer.from('\0\0'), Buffer.from([0, 0, 0, 1]), length, value, Buffer.from([0, 0])])),
        frontendMessage('E', Buffer.from([0, 0, 0, 0, 0])),
        syncMessage(),
      ]),
    );
    const messages = await c.readUntil('Z');
    const error = messages.find((m) => m.type === 'E');
    assert.equal(error, undefined, error && JSON.stringify(errorFields(error)));
    const row = messages.find((m) => m.type === 'D');
    assert.ok(row, `a DataRow among ${messages.map((m) => m.type).join(',')}`);
    assert.equal(Number(row.body.subarray(6).toString()), await expectedPrediction(client));
    c.destroy();
  });

  test('results of the domain type pass through and the connection survives', async () => {
    const r = await client.query(`SELECT '{1,2}'::feat AS f, pgml.predict('feat_proj', '{5.1,3.5}'::feat) AS p`);
    assert.deepEqual(r.rows[0].f, [1, 2]);
    assert.equal(r.rows[0].p, await expectedPrediction(client));
  });
});
