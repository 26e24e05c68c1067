// node-postgres: simple and extended protocol, named statements, async messages, errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { describeTargets, type Target } from '../support/targets.js';

async function connect(target: Target): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: target.url() });
  await client.connect();
  return client;
}

describeTargets('node-postgres', {}, (target, kind) => {
  let client: pg.Client;
  before(async () => {
    client = await connect(target());
  });
  after(async () => {
    await client?.end();
  });

  test('simple query', async () => {
    const r = await client.query(`select 1 as one, 'two' as two, null::int as nothing`);
    assert.deepEqual(r.rows, [{ one: 1, two: 'two', nothing: null }]);
    assert.deepEqual(r.fields.map((f) => f.name), ['one', 'two', 'nothing']);
  });

  test('multi-statement simple query returns the last result set', async () => {
    await client.query('create table pg_multi (n int); insert into pg_multi values (1), (2)');
    const r = await client.query('select sum(n)::int as s from pg_multi');
    assert.deepEqual(r.rows, [{ s: 3 }]);
  });

  test('parameterized query (unnamed extended protocol)', async () => {
    const r = await client.query('select $1::int + $2::int as sum, $3::text as t, $4::text as n', [20, 22, 'héllo', null]);
    assert.deepEqual(r.rows, [{ sum: 42, t: 'héllo', n: null }]);
  });

  test('named prepared statement reused across executions', async () => {
    const statement = { name: 'pg_named_square', text: 'select $1::int * $1::int as sq' };
    for (const n of [3, 4, 5]) {
      const r = await client.query({ ...statement, values: [n] });
      assert.deepEqual(r.rows, [{ sq: n * n }]);
    }
  });

  test('binary-format results', async () => {
    // `binary` is a real pg query option that @types/pg does not declare.
    const config = { text: 'select 7::int4 as i, $1::text as t, true as b', values: ['bin'], binary: true } as pg.QueryConfig;
    const r = await client.query(config);
    assert.deepEqual(r.rows, [{ i: 7, t: 'bin', b: true }]);
  });

  test('transaction with ROLLBACK discards the writes', async () => {
    await client.query('create table pg_tx (n int)');
    await client.query('begin');
    await client.query('insert into pg_tx values (1)');
    const inside = await client.query('select count(*)::int as c from pg_tx');
    assert.equal(inside.rows[0].c, 1);
    await client.query('rollback');
    const outside = await client.query('select count(*)::int as c from pg_tx');
    assert.equal(outside.rows[0].c, 0);
  });

  test('an error inside a transaction aborts it until ROLLBACK (25P02)', async () => {
    await client.query('begin');
    await assert.rejects(client.query('select 1/0'), { code: '22012' });
    await assert.rejects(client.query('select 1'), { code: '25P02' });
    await client.query('rollback');
    assert.deepEqual((await client.query('select 1 as ok')).rows, [{ ok: 1 }]);
  });

  test('syntax error is 42601 and the session keeps working', async () => {
    await assert.rejects(client.query('selec 1'), (err: pg.DatabaseError) => {
      assert.equal(err.code, '42601');
      assert.match(err.message, /syntax error at or near "selec"/);
      assert.equal(err.position, '1');
      return true;
    });
    await assert.rejects(client.query('select $1::int', ['not a number']), { code: '22P02' });
    assert.deepEqual((await client.query('select 2 as ok')).rows, [{ ok: 2 }]);
    assert.deepEqual((await client.query('select $1::int as ok', [3])).rows, [{ ok: 3 }]);
  });

  test('RAISE NOTICE reaches the client', async () => {
    const notices: string[] = [];
    const onNotice = (n: { severity?: string; message?: string }): void => {
      notices.push(`${n.severity}:${n.message}`);
    };
    client.on('notice', onNotice);
    try {
      await client.query(`do $$ begin raise notice 'hello %', 42; end $$`);
    } finally {
      client.off('notice', onNotice);
    }
    assert.deepEqual(notices, ['NOTICE:hello 42']);
  });

  test('LISTEN/NOTIFY across two clients', { timeout: 30_000 }, async () => {
    const listener = await connect(target());
    try {
      const received = new Promise<pg.Notification>((resolve) => listener.once('notification', resolve));
      await listener.query('listen pg_channel');
      await client.query(`select pg_notify('pg_channel', 'payload-1')`);
      const notification = await received;
      assert.equal(notification.channel, 'pg_channel');
      assert.equal(notification.payload, 'payload-1');
    } finally {
      await listener.end();
    }
  });

  test('many rows arrive intact', async () => {
    const r = await client.query('select g as n, md5(g::text) as h from generate_series(1, 20000) g');
    assert.equal(r.rowCount, 20000);
    assert.equal(r.rows[19999].n, 20000);
    assert.equal(r.rows[19999].h, createHash('md5').update('20000').digest('hex'));
  });

  test('SELECT pgml.version() via simple and extended protocol', { skip: kind === 'direct' && 'no pgml schema without the proxy' }, async () => {
    const simple = await client.query('SELECT pgml.version()');
    assert.equal(simple.rows.length, 1);
    const version = simple.rows[0].version as string;
    assert.match(version, /^\d+\.\d+\.\d+/);
    const extended = await client.query('SELECT pgml.version(), $1::int AS n', [7]);
    assert.deepEqual(extended.rows, [{ version, n: 7 }]);
    const named = await client.query({ name: 'pg_version_named', text: 'SELECT pgml.version() AS v, $1::text AS t', values: ['x'] });
    assert.deepEqual(named.rows, [{ v: version, t: 'x' }]);
  });
});
