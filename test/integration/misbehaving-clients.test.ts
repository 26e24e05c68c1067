// Clients that cancel, send junk or vanish mid-query must only ever hurt their own session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { cancelRequest, errorFields, frontendMessage, queryMessage, RawConnection } from '../support/raw-wire.js';
import { assertProxyAlive, describeTargets } from '../support/targets.js';

interface KeyData {
  processID: number;
  secretKey: number;
}

/** Polls because there is no event for "the server is now running this query". */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(50);
}

async function sleepingBackends(observer: pg.Client, marker: string): Promise<number> {
  const r = await observer.query(
    `select count(*)::int as c from pg_stat_activity where query like $1 and pid <> pg_backend_pid()`,
    [`%${marker}%`],
  );
  return r.rows[0].c as number;
}

describeTargets('misbehaving clients', {}, (target, kind) => {
  let bystander: pg.Client;
  before(async () => {
    bystander = new pg.Client({ connectionString: target().url() });
    await bystander.connect();
  });
  after(async () => {
    await bystander?.end();
  });

  async function assertBystanderWorks(): Promise<void> {
    assertProxyAlive(target());
    const r = await bystander.query('select $1::text as still', ['here']);
    assert.deepEqual(r.rows, [{ still: 'here' }]);
    const fresh = new pg.Client({ connectionString: target().url() });
    await fresh.connect();
    await fresh.end();
  }

  // PGlite runs one query at a time in-process: there is no second backend to deliver a cancel to.
  test('CancelRequest interrupts pg_sleep with 57014', { skip: kind === 'proxy-pglite' && 'needs a real Postgres', timeout: 60_000 }, async () => {
    const victim = new pg.Client({ connectionString: target().url() });
    await victim.connect();
    try {
      // Settled into a value right away so the rejection is never momentarily unhandled.
      const sleeping = victim.query('select pg_sleep(30) /* cancel-me */').then(
        () => assert.fail('pg_sleep finished instead of being cancelled'),
        (err: pg.DatabaseError) => err,
      );
      await waitUntil(async () => (await sleepingBackends(bystander, 'cancel-me */')) > 0);
      const { processID, secretKey } = victim as unknown as KeyData;
      const canceller = await RawConnection.open(target().host, target().port);
      canceller.write(cancelRequest(processID, secretKey));
      assert.deepEqual(await canceller.readToEnd(), [], 'a CancelRequest gets no reply');
      const err = await sleeping;
      assert.equal(err.code, '57014');
      assert.match(err.message, /canceling statement due to user request/);
      assert.deepEqual((await victim.query('select 1 as after_cancel')).rows, [{ after_cancel: 1 }]);
    } finally {
      await victim.end();
    }
    await assertBystanderWorks();
  });

  test('a CancelRequest with a wrong key cancels nothing', { skip: kind === 'proxy-pglite' && 'needs a real Postgres' }, async () => {
    const canceller = await RawConnection.open(target().host, target().port);
    canceller.write(cancelRequest(12345, 67890));
    await canceller.readToEnd();
    await assertBystanderWorks();
  });

  // Postgres itself drops a bad startup packet silently (it only logs it); the proxy must answer 08P01.
  for (const [label, bytes] of [
    ['an absurd startup length', Buffer.from([0x7f, 0xff, 0xff, 0xf0, 0, 3, 0, 0, 0x75, 0x73])],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
  ] as const) {
    test(`${label} instead of a startup packet gets 08P01 and a closed connection`, { skip: kind === 'direct' && 'Postgres closes without an ErrorResponse' }, async () => {
      const raw = await RawConnection.open(target().host, target().port);
      raw.write(bytes);
      const replies = await raw.readToEnd();
      const errors = replies.filter((m) => m.type === 'E').map(errorFields);
      assert.equal(errors.length, 1, `replies: ${replies.map((m) => m.type).join(',')} errors: ${JSON.stringify(errors)}`);
      assert.equal(errors[0]!.C, '08P01');
      assert.equal(errors[0]!.S, 'FATAL');
      await assertBystanderWorks();
    });
  }

  // Postgres drops a connection with an impossible message length silently; the proxy must say why.
  for (const [label, bytes, postgresReplies] of [
    ['an unknown message type', frontendMessage('\x01', Buffer.from([0xde, 0xad, 0xbe, 0xef])), true],
    ['a message length below 4', Buffer.from([0x51, 0, 0, 0, 2]), false],
  ] as const) {
    test(`${label} after startup gets 08P01 and a closed connection`, { skip: kind === 'direct' && !postgresReplies && 'Postgres closes without an ErrorResponse' }, async () => {
      const raw = await RawConnection.open(target().host, target().port);
      await raw.startup('postgres', target().database);
      raw.write(bytes);
      const replies = await raw.readToEnd();
      const errors = replies.filter((m) => m.type === 'E').map(errorFields);
      assert.equal(errors.length, 1, `replies: ${replies.map((m) => m.type).join(',')} errors: ${JSON.stringify(errors)}`);
      assert.equal(errors[0]!.C, '08P01');
      await assertBystanderWorks();
    });
  }

  test('a session that sends a query then junk in the same packet answers the query first', async () => {
    const raw = await RawConnection.open(target().host, target().port);
    await raw.startup('postgres', target().database);
    raw.write(Buffer.concat([queryMessage('select 41 + 1'), frontendMessage('\x02', Buffer.alloc(3))]));
    const replies = await raw.readToEnd();
    const types = replies.map((m) => m.type).join('');
    assert.match(types, /^TDCZ.*E$/, `replies: ${types}`);
    assert.equal(replies[1]!.body.subarray(6).toString('utf8'), '42');
    await assertBystanderWorks();
  });

  test('a client killed mid-query leaves the others served', { timeout: 60_000 }, async () => {
    const raw = await RawConnection.open(target().host, target().port);
    await raw.startup('postgres', target().database);
    raw.write(queryMessage('select pg_sleep(2) /* killed-client */'));
    if (target().cluster) {
      await waitUntil(async () => (await sleepingBackends(bystander, 'killed-client */')) > 0);
    }
    raw.destroy();
    await assertBystanderWorks();
    if (target().cluster) {
      // The upstream session must go away too, or every killed client would leak a backend.
      await waitUntil(async () => (await sleepingBackends(bystander, 'killed-client */')) === 0);
    }
  });

  test('a client that disconnects inside a transaction leaves no lock behind', async () => {
    await bystander.query('create table if not exists mb_locked (n int)');
    const quitter = new pg.Client({ connectionString: target().url() });
    await quitter.connect();
    await quitter.query('begin');
    await quitter.query('lock table mb_locked in access exclusive mode');
    (quitter as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await quitter.end().catch(() => undefined);
    await waitUntil(async () => {
      try {
        await bystander.query('begin');
        await bystander.query('lock table mb_locked in access exclusive mode nowait');
        return true;
      } catch {
        return false;
      } finally {
        await bystander.query('rollback');
      }
    });
    await assertBystanderWorks();
  });
});
