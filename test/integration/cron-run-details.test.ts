// What cron.job_run_details records for a run, against a real Postgres: a failed run's
// return_message is libpq's whole error message, compared with what psql (libpq itself) prints for
// the same command sent straight to Postgres; an empty command's and a COPY's messages are
// pg_cron's; start_time has microseconds; an interval job that outlasts its interval keeps one
// pending run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { pgBinary, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { waitFor } from '../support/wait.js';

let cluster: PgCluster;
let proxy: ProxyProcess;
let admin: pg.Client;

async function schedule(schedule: string, command: string): Promise<string> {
  return (await admin.query('SELECT cron.schedule($1, $2) AS id', [schedule, command])).rows[0].id;
}

/** The first finished run's status and message. */
function firstFinished(jobid: string): Promise<{ status: string; return_message: string }> {
  return waitFor(`a finished run of job ${jobid}`, async () => {
    const r = await admin.query(
      `SELECT status, return_message FROM cron.job_run_details WHERE jobid = $1 AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1`,
      [jobid],
    );
    return r.rows[0];
  });
}

/** What libpq makes of the command's error: psql prints PQerrorMessage as it is. */
function psqlError(command: string): string {
  const result = spawnSync(pgBinary('psql'), ['-X', '-q', '-d', cluster.url(), '-c', command], { encoding: 'utf8' });
  assert.equal(result.status, 1, `psql should fail on ${command}: ${result.stdout}`);
  return result.stderr;
}

before(async () => {
  cluster = await startPgCluster();
  proxy = await startProxy({ upstream: cluster.url() });
  admin = new pg.Client({ connectionString: proxy.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE FUNCTION fails_inside() RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN (SELECT x FROM nosuch); END$$`);
});

after(async () => {
  await admin?.end().catch(() => undefined);
  await proxy?.stop();
  cluster?.stop();
});

const columns = (from: number, count: number): string =>
  Array.from({ length: count }, (_, i) => `${from + i} AS column_${from + i}`).join(', ');

test("a failed run's return_message is libpq's whole error message", async () => {
  const commands = [
    'SELECT * FROM nosuch',
    `DO $$BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'the detail', HINT = 'the hint'; END$$`,
    // The position is in the function's statement: LINE and QUERY show that one, CONTEXT the function.
    'SELECT fails_inside()',
    'CREATE TEMP TABLE once (x int PRIMARY KEY); INSERT INTO once VALUES (1), (1)',
    'SELECT 1;\r\n\tSELECT 2;\n\n\tSELECT nosuch_column\r\n  FROM pg_class',
    // Lines longer than libpq's 60 columns are cut on the right, or on both sides around the cursor.
    `SELECT nosuch_column, ${columns(0, 12)}`,
    `SELECT ${columns(0, 12)}, nosuch_column, ${columns(12, 12)}`,
    `SELECT ${columns(0, 12)}, nosuch_column`,
    `SELECT 'Grüße, 日本語のテキスト' AS 名前, nosuch_column, ${columns(0, 6)}`,
  ];
  const ids = [];
  for (const command of commands) ids.push(await schedule('1 second', command));
  for (const [i, command] of commands.entries()) {
    const run = await firstFinished(ids[i] as string);
    assert.equal(run.status, 'failed', command);
    assert.equal(run.return_message, psqlError(command), command);
  }
  await admin.query('DELETE FROM cron.job');
});

test("an empty command succeeds with pg_cron's message for PGRES_EMPTY_QUERY: 0 rows", async () => {
  const id = await schedule('1 second', '');
  assert.deepEqual(await firstFinished(id), { status: 'succeeded', return_message: '0 rows' });
  await admin.query('DELETE FROM cron.job');
});

test("a COPY to or from the client fails with pg_cron's message", async () => {
  await admin.query('CREATE TABLE copied (x int)');
  const out = await schedule('1 second', 'COPY (SELECT 1) TO STDOUT');
  const into = await schedule('1 second', 'COPY copied FROM STDIN');
  assert.deepEqual(await firstFinished(out), { status: 'failed', return_message: 'COPY not supported' });
  assert.deepEqual(await firstFinished(into), { status: 'failed', return_message: 'COPY not supported' });
  await admin.query('DELETE FROM cron.job');
  assert.deepEqual((await admin.query('SELECT x FROM copied')).rows, []);
});

test('start_time and end_time have microseconds', async () => {
  const id = await schedule('1 second', 'SELECT 1');
  const { rows } = await waitFor('five runs', async () => {
    const r = await admin.query(
      `SELECT start_time, end_time, extract(microseconds FROM start_time)::bigint % 1000 AS start_micros,
              extract(microseconds FROM end_time)::bigint % 1000 AS end_micros
         FROM cron.job_run_details WHERE jobid = $1 AND status = 'succeeded'`,
      [id],
    );
    return r.rows.length >= 5 && r;
  });
  // Whole milliseconds in all of them would be a 1 in 10^15 coincidence.
  assert.ok(rows.some((row) => Number(row.start_micros) !== 0), JSON.stringify(rows));
  assert.ok(rows.some((row) => Number(row.end_micros) !== 0), JSON.stringify(rows));
  await admin.query('DELETE FROM cron.job');
});

test('an interval job that outlasts its interval keeps one pending run, started when the running one ends', async () => {
  const id = await schedule('1 second', 'SELECT pg_sleep(2.5)');
  // Each run claims one tick (cron.pgml_proxy_ticks) before it starts: the i-th tick is the i-th run's.
  const { runs, ticks } = await waitFor('three finished runs', async () => {
    const r = await admin.query(
      `SELECT (SELECT coalesce(json_agg(json_build_object('status', status, 'end', end_time) ORDER BY runid), '[]')
                 FROM cron.job_run_details WHERE jobid = $1) AS runs,
              (SELECT coalesce(json_agg(tick ORDER BY tick), '[]') FROM cron.pgml_proxy_ticks WHERE jobid = $1) AS ticks`,
      [id],
    );
    const row = r.rows[0] as { runs: { status: string; end: string | null }[]; ticks: string[] };
    return row.runs.filter((run) => run.status === 'succeeded').length >= 3 && row;
  });
  await admin.query(`SELECT cron.unschedule(${id})`);
  // Ticks that came during a run were not queued up: at most the next run's claim is ahead of its row.
  assert.ok(ticks.length === runs.length || ticks.length === runs.length + 1, JSON.stringify({ runs, ticks }));
  const finished = runs.filter((run) => run.status === 'succeeded');
  for (let i = 1; i < finished.length; i++) {
    // The run's tick came while the previous run was still going: it was pending, not dropped.
    assert.ok(Date.parse(ticks[i] as string) < Date.parse(finished[i - 1]?.end as string), JSON.stringify({ runs, ticks }));
  }
});
