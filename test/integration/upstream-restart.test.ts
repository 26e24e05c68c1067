// The upstream restarting under open sessions. Real Postgres only: embedded PGlite lives inside
// the proxy process and cannot restart on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { assertProxyAlive, describeTargets } from '../support/targets.js';

/** What a client may legitimately see when its server goes away: a terminated or lost connection. */
function assertConnectionLost(err: unknown): void {
  assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
  const code = (err as { code?: string }).code;
  const acceptable = code === '57P01' || code === '08006' || /terminat|closed|ended|ECONNRESET|not queryable/i.test(err.message);
  assert.ok(acceptable, `unclear error after upstream restart: code=${code} message=${err.message}`);
}

describeTargets('upstream restart', { realPostgresOnly: true }, (target) => {
  test('open sessions get a clear error, the server stays up and new sessions work', { timeout: 120_000 }, async () => {
    const asyncErrors: Error[] = [];
    const idle = new pg.Client({ connectionString: target().url() });
    const busy = new pg.Client({ connectionString: target().url() });
    for (const client of [idle, busy]) {
      client.on('error', (err) => asyncErrors.push(err));
      await client.connect();
    }
    await idle.query('select 1');
    const inFlight = busy.query('select pg_sleep(60)').then(
      () => assert.fail('pg_sleep survived a fast shutdown'),
      (err: unknown) => err,
    );
    // Wait until the sleep is really running upstream, or the restart might race ahead of it.
    const observer = new pg.Client({ connectionString: target().url() });
    await observer.connect();
    for (;;) {
      const r = await observer.query(`select count(*)::int as c from pg_stat_activity where query = 'select pg_sleep(60)'`);
      if (r.rows[0].c > 0) break;
      await sleep(50);
    }
    await observer.end();

    target().cluster!.restart();

    const busyError = await inFlight;
    assertConnectionLost(busyError);
    assert.equal((busyError as { code?: string }).code, '57P01', 'a fast shutdown reports admin_shutdown to running queries');

    const idleError = await idle.query('select 1').then(
      () => asyncErrors[0] ?? assert.fail('idle session kept working on a dead upstream connection'),
      (err: unknown) => err,
    );
    assertConnectionLost(idleError);
    await Promise.allSettled([idle.end(), busy.end()]);

    assertProxyAlive(target());
    const fresh = new pg.Client({ connectionString: target().url() });
    await fresh.connect();
    try {
      assert.deepEqual((await fresh.query('select $1::int as back', [1])).rows, [{ back: 1 }]);
    } finally {
      await fresh.end();
    }
  });
});
