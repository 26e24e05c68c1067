// postgres.js pipelines extended-protocol queries on one connection and prepares them by
// default: the proxy must keep responses in order with many requests in flight.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { describeTargets } from '../support/targets.js';

describeTargets('postgres.js', {}, (target, kind) => {
  let sql: postgres.Sql;
  before(() => {
    sql = postgres(target().url(), { max: 1, onnotice: () => undefined });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
  });

  test('hundreds of concurrent queries pipelined on one connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => sql<{ n: number; s: string }[]>`select ${i}::int as n, ${'v' + i}::text as s`),
    );
    results.forEach((rows, i) => assert.deepEqual([...rows], [{ n: i, s: `v${i}` }]));
  });

  test('an error in the middle of a pipeline fails only its own query', async () => {
    const outcomes = await Promise.allSettled([
      sql`select 1::int as n`,
      sql`select 1/${0}::int as n`,
      sql`select 3::int as n`,
    ]);
    assert.equal(outcomes[0].status, 'fulfilled');
    assert.equal(outcomes[1].status, 'rejected');
    assert.equal((outcomes[1] as PromiseRejectedResult).reason.code, '22012');
    assert.equal(outcomes[2].status, 'fulfilled');
    assert.deepEqual([...(outcomes[2] as PromiseFulfilledResult<postgres.RowList<postgres.Row[]>>).value], [{ n: 3 }]);
  });

  test('prepared statements are reused and unprepared ones work too', async () => {
    for (let i = 0; i < 5; i++) {
      const [row] = await sql`select ${i}::int * 2 as doubled`;
      assert.equal(row!.doubled, i * 2);
    }
    const unprepared = postgres(target().url(), { max: 1, prepare: false });
    try {
      const [row] = await unprepared`select ${'unnamed'}::text as t`;
      assert.equal(row!.t, 'unnamed');
    } finally {
      await unprepared.end({ timeout: 5 });
    }
  });

  test('sql.begin commits, and a throw rolls back', async () => {
    await sql`create table pjs_tx (n int)`;
    await sql.begin(async (tx) => {
      await tx`insert into pjs_tx values (1)`;
      await tx`insert into pjs_tx values (2)`;
    });
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`insert into pjs_tx values (3)`;
        throw new Error('abort');
      }),
      /abort/,
    );
    const rows = await sql`select array_agg(n order by n) as ns from pjs_tx`;
    assert.deepEqual(rows[0]!.ns, [1, 2]);
  });

  // postgres.js 3.4 pauses its socket when a CopyData overfills the readable stream and, if the
  // CopyDone arrived in the same read, never resumes it: the connection's next answer sits unread
  // forever (porsager/postgres#499, fix proposed in #1016). Whether the whole COPY answer lands in
  // one read is up to TCP, with or without the proxy, so the COPY runs on a connection of its own
  // that nothing uses afterwards.
  test('COPY FROM STDIN via .writable() and TO STDOUT via .readable()', async () => {
    const copySql = postgres(target().url(), { max: 1, onnotice: () => undefined });
    try {
      await copySql`create table pjs_copy (id int, label text)`;
      const lines = Array.from({ length: 2000 }, (_, i) => `${i}\tlabel ${i}\n`);
      const writable = await copySql`copy pjs_copy from stdin`.writable();
      await pipeline(Readable.from(lines), writable);
      const [count] = await copySql`select count(*)::int as c from pjs_copy`;
      assert.equal(count!.c, 2000);

      const chunks: Buffer[] = [];
      const readable = await copySql`copy (select * from pjs_copy order by id) to stdout`.readable();
      await pipeline(
        readable,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      assert.equal(Buffer.concat(chunks).toString('utf8'), lines.join(''));
    } finally {
      await copySql.end({ timeout: 1 });
    }
  });

  test(
    'pgml.version() through a prepared, pipelined statement',
    { skip: kind === 'direct' && 'no pgml schema without the proxy' },
    async () => {
      const [a, b] = await Promise.all([sql`select pgml.version() as v, ${1}::int as n`, sql`select pgml.version() as v, ${2}::int as n`]);
      assert.match(String(a![0]!.v), /^\d+\.\d+\.\d+/);
      assert.deepEqual([...b!], [{ v: a![0]!.v, n: 2 }]);
    },
  );
});
