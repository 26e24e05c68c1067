// Jobs running through the proxy on a real Postgres (and a smoke test on embedded PGlite): run
// history, failures, job owners, functions expanded so their pgml.* calls reach the proxy,
// timeouts, bounded history, a proxy dying mid-run, and two proxies sharing one upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MD5_USER, SCRAM_USER, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { waitFor } from '../support/wait.js';

let cluster: PgCluster;
let proxy: ProxyProcess;
let admin: pg.Client;
let passDir: string;

/** The proxy under test; jobs of the password roles find SCRAM_USER's password in its pgpass file. */
function startMainProxy(extraArgs: string[] = []): Promise<ProxyProcess> {
  return startProxy({ upstream: cluster.url(), extraArgs, env: { PGPASSFILE: join(passDir, 'pgpass') } });
}

async function connect(target: ProxyProcess, user = 'postgres'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: target.url(user) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

interface Run {
  runid: string;
  status: string;
  return_message: string | null;
  username: string;
  job_pid: number | null;
}

async function runs(client: pg.Client, jobid: string, status?: string): Promise<Run[]> {
  const r = await client.query<Run>(
    `SELECT runid, status, return_message, username, job_pid FROM cron.job_run_details
      WHERE jobid = $1 AND ($2::text IS NULL OR status = $2) ORDER BY runid`,
    [jobid, status ?? null],
  );
  return r.rows;
}

/** The first run of the job with that status, once there is one. */
function firstRun(client: pg.Client, jobid: string, status: string): Promise<Run> {
  return waitFor(`a ${status} run of job ${jobid}`, async () => (await runs(client, jobid, status))[0]);
}

async function schedule(client: pg.Client, schedule: string, command: string): Promise<string> {
  return (await client.query('SELECT cron.schedule($1, $2) AS id', [schedule, command])).rows[0].id;
}

before(async () => {
  cluster = await startPgCluster();
  const direct = new pg.Client({ connectionString: cluster.url() });
  await direct.connect();
  await direct.query(`CREATE ROLE alice LOGIN; GRANT ALL ON SCHEMA public TO PUBLIC`);
  await direct.end();
  passDir = mkdtempSync(join(tmpdir(), 'pgml-cron-pgpass-'));
  // host:port:database:user:password, matched against the address jobs connect to (the proxy's).
  writeFileSync(join(passDir, 'pgpass'), `127.0.0.1:*:*:${SCRAM_USER.user}:${SCRAM_USER.password}\n`, { mode: 0o600 });
  proxy = await startMainProxy();
  admin = await connect(proxy);
});

after(async () => {
  await admin?.end().catch(() => undefined);
  await proxy?.stop();
  cluster?.stop();
  if (passDir) rmSync(passDir, { recursive: true, force: true });
});

test('a `1 seconds` job runs and its runs appear in cron.job_run_details', async () => {
  const id = await schedule(admin, '1 seconds', 'SELECT 1');
  const done = await waitFor('two runs', async () => {
    const ok = await runs(admin, id, 'succeeded');
    return ok.length >= 2 && ok;
  });
  for (const run of done) {
    assert.equal(run.return_message, '1 row');
    assert.equal(run.username, 'postgres');
    assert.equal(typeof run.job_pid, 'number');
  }
  await admin.query(`SELECT cron.unschedule(${id})`);
});

test('a failing job records failed with the error; command tags are pg_cron return messages', async () => {
  await admin.query('CREATE TABLE tagged (x int)');
  const failing = await schedule(admin, '1 seconds', 'SELECT 1/0');
  const tagged = await schedule(admin, '1 seconds', 'INSERT INTO tagged VALUES (1); UPDATE tagged SET x = 2');
  const failure = await firstRun(admin, failing, 'failed');
  assert.equal(failure?.return_message, 'ERROR:  division by zero\n');
  const tag = await firstRun(admin, tagged, 'succeeded');
  assert.match(tag?.return_message ?? '', /^UPDATE \d+$/);
  await admin.query(`SELECT cron.unschedule(${failing}); SELECT cron.unschedule(${tagged})`);
});

test("a job logs in as its owner: their privileges and row-level security apply", async () => {
  await admin.query('CREATE TABLE owners (who text); GRANT INSERT ON owners TO alice; CREATE TABLE secret (x int)');
  const alice = await connect(proxy, 'alice');
  try {
    const ok = await schedule(alice, '1 seconds', 'INSERT INTO owners SELECT current_user');
    const denied = await schedule(alice, '1 seconds', 'SELECT * FROM secret');
    const refused = await firstRun(admin, denied, 'failed');
    assert.equal(refused?.return_message, 'ERROR:  permission denied for table secret\n');
    await waitFor('alice runs', async () => (await runs(admin, ok, 'succeeded')).length > 0);
    assert.deepEqual((await admin.query('SELECT DISTINCT who FROM owners')).rows, [{ who: 'alice' }]);
    // Alice reads her own run history only.
    const visible = (await alice.query('SELECT DISTINCT username FROM cron.job_run_details')).rows;
    assert.deepEqual(visible, [{ username: 'alice' }]);
    await alice.query(`SELECT cron.unschedule(${ok}); SELECT cron.unschedule(${denied})`);
  } finally {
    await alice.end();
  }
});

test('a job cannot gain the superuser rights of the proxy\'s own login', async () => {
  const alice = await connect(proxy, 'alice');
  try {
    await admin.query('CREATE TABLE only_admin (x int)');
    const attempts = {
      reset: 'RESET SESSION AUTHORIZATION; INSERT INTO only_admin VALUES (1)',
      setRole: 'SET ROLE postgres; INSERT INTO only_admin VALUES (2)',
      resetAll: 'RESET ALL; INSERT INTO only_admin VALUES (3)',
      inFunction: `DO $$ BEGIN EXECUTE 'RESET SESSION AUTHORIZATION'; INSERT INTO only_admin VALUES (4); END $$`,
    };
    const ids: Record<string, string> = {};
    for (const [name, command] of Object.entries(attempts)) ids[name] = await schedule(alice, '1 seconds', command);
    const failure = async (id: string | undefined) => (await firstRun(admin, id ?? '', 'failed')).return_message;
    assert.equal(await failure(ids.reset), 'ERROR:  permission denied for table only_admin\n');
    assert.equal(await failure(ids.setRole), 'ERROR:  permission denied to set role "postgres"\n');
    assert.equal(await failure(ids.resetAll), 'ERROR:  permission denied for table only_admin\n');
    assert.equal(
      await failure(ids.inFunction),
      'ERROR:  permission denied for table only_admin\nCONTEXT:  SQL statement "INSERT INTO only_admin VALUES (4)"\nPL/pgSQL function inline_code_block line 1 at SQL statement\n',
    );
    for (const id of Object.values(ids)) await alice.query(`SELECT cron.unschedule(${id})`);
    assert.deepEqual((await admin.query('SELECT x FROM only_admin')).rows, []);
    assert.deepEqual((await runs(admin, ids.reset ?? '', 'succeeded')), []);
  } finally {
    await alice.end();
  }
});

test('a job that cannot log in fails with the reason; passwords come from the pgpass file', async () => {
  await admin.query('CREATE ROLE bob LOGIN');
  const bobs = (await admin.query(`SELECT cron.schedule_in_database('bob job', '1 seconds', 'SELECT 1', current_database(), 'bob') AS id`)).rows[0].id;
  await admin.query('ALTER ROLE bob NOLOGIN');
  const scram = new pg.Client({ connectionString: proxy.url(SCRAM_USER.user, SCRAM_USER.password) });
  const md5 = new pg.Client({ connectionString: proxy.url(MD5_USER.user, MD5_USER.password) });
  await scram.connect();
  await md5.connect();
  try {
    const withPassword = await schedule(scram, '1 seconds', 'SELECT current_user');
    const withoutPassword = await schedule(md5, '1 seconds', 'SELECT current_user');
    const refused = await firstRun(admin, bobs, 'failed');
    assert.equal(refused?.return_message, 'connection failed: FATAL:  role "bob" is not permitted to log in\n');
    const unauthenticated = await firstRun(admin, withoutPassword, 'failed');
    assert.match(unauthenticated?.return_message ?? '', /^connection failed: /);
    const authenticated = await firstRun(admin, withPassword, 'succeeded');
    assert.equal(authenticated?.username, SCRAM_USER.user);
    assert.equal((await runs(admin, withPassword, 'failed')).length, 0);
    await scram.query(`SELECT cron.unschedule(${withPassword})`);
    await md5.query(`SELECT cron.unschedule(${withoutPassword})`);
    await admin.query(`SELECT cron.unschedule(${bobs})`);
  } finally {
    await scram.end();
    await md5.end();
  }
});

test('functions calling pgml.* are expanded so the calls run through the proxy', async () => {
  await admin.query(`
    CREATE TABLE versions (v text, n int);
    CREATE FUNCTION record_version() RETURNS void LANGUAGE sql AS $$
      INSERT INTO versions SELECT pgml.version(), 1;
      INSERT INTO versions SELECT pgml.version(), 2
    $$;
    CREATE FUNCTION record_version_n(n int) RETURNS void LANGUAGE sql AS $$ INSERT INTO versions SELECT pgml.version(), $1 $$;
    CREATE FUNCTION record_version_pl() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pgml.version();
      INSERT INTO versions SELECT pgml.version(), 3;
      RETURN;
    END $$;
    CREATE FUNCTION branchy() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF true THEN INSERT INTO versions SELECT pgml.version(), 4; END IF;
    END $$;`);
  const sql = await schedule(admin, '1 seconds', 'SELECT record_version()');
  const withArg = await schedule(admin, '1 seconds', 'SELECT public.record_version_n(7)');
  const plpgsql = await schedule(admin, '1 seconds', 'SELECT record_version_pl()');
  const refused = await schedule(admin, '1 seconds', 'SELECT branchy()');
  await waitFor('expanded runs', async () => {
    for (const id of [sql, withArg, plpgsql]) if ((await runs(admin, id, 'succeeded')).length === 0) return false;
    return (await runs(admin, refused, 'failed')).length > 0;
  });
  assert.equal((await runs(admin, sql, 'succeeded'))[0]?.return_message, '1 row');
  const ns = (await admin.query('SELECT DISTINCT n FROM versions ORDER BY n')).rows.map((r) => r.n);
  assert.deepEqual(ns, [1, 2, 3, 7]);
  const version = (await admin.query('SELECT pgml.version() AS v')).rows[0].v;
  assert.deepEqual((await admin.query('SELECT DISTINCT v FROM versions')).rows, [{ v: version }]);
  const message = (await runs(admin, refused, 'failed'))[0]?.return_message ?? '';
  assert.match(message, /^ERROR: {2}pgml-proxy cannot run branchy\(\) for a job: IF statements are not expanded/);
  for (const id of [sql, withArg, plpgsql, refused]) await admin.query(`SELECT cron.unschedule(${id})`);
});

test('a per-job timeout fails the run; cron.max_run_history bounds the history', async () => {
  const slow = await schedule(admin, '2 seconds', 'SELECT pg_sleep(30)');
  await admin.query(`INSERT INTO cron.job_timeout (jobid, timeout) VALUES (${slow}, '300 ms')`);
  const timedOut = await firstRun(admin, slow, 'failed');
  assert.equal(timedOut?.return_message, 'ERROR:  job exceeded its timeout of 300 ms\n');
  await admin.query(`SELECT cron.unschedule(${slow})`);

  await admin.query(`UPDATE cron.settings SET value = '3' WHERE name = 'max_run_history'`);
  try {
    const quick = await schedule(admin, '1 seconds', 'SELECT 1');
    const [first] = await waitFor('a first run', async () => {
      const r = await runs(admin, quick);
      return r.length > 0 && r;
    });
    // Pruned once the first run is gone; the newest three remain.
    const kept = await waitFor('the first run pruned', async () => {
      const r = await runs(admin, quick);
      return r.length > 0 && r.every((run) => BigInt(run.runid) > BigInt(first?.runid ?? 0)) && r;
    });
    assert.ok(kept.length <= 3, `${kept.length} runs kept`);
    await admin.query(`SELECT cron.unschedule(${quick})`);
  } finally {
    await admin.query(`UPDATE cron.settings SET value = '1000' WHERE name = 'max_run_history'`);
  }
});

test('a run left running when its proxy dies is marked failed: server restarted', async () => {
  const second = await startProxy({ upstream: cluster.url(), extraArgs: ['--grace-seconds', '0'] });
  // Only the second proxy may take the job: the first is stopped for the duration.
  await proxy.stop();
  const client = await connect(second);
  let id: string;
  try {
    id = await schedule(client, '1 seconds', 'SELECT pg_sleep(60)');
    await waitFor('a running run', async () => (await runs(client, id, 'running')).length > 0);
    await client.query(`UPDATE cron.job SET active = false WHERE jobid = ${id}`);
  } finally {
    await client.end();
  }
  await second.stop();
  proxy = await startMainProxy();
  await admin.end().catch(() => undefined);
  admin = await connect(proxy);
  const history = await runs(admin, id);
  assert.ok(history.length > 0);
  for (const run of history) {
    assert.equal(run.status, 'failed');
    assert.equal(run.return_message, 'server restarted');
  }
  await admin.query(`SELECT cron.unschedule(${id})`);
});

test('two proxies on one upstream run each tick of a job exactly once', async () => {
  const other = await startProxy({ upstream: cluster.url() });
  try {
    await admin.query('CREATE TABLE ticks (at timestamptz)');
    const id = await schedule(admin, '1 seconds', 'INSERT INTO ticks VALUES (now())');
    await new Promise((r) => setTimeout(r, 20_000));
    await admin.query(`SELECT cron.unschedule(${id})`);
    const stats = (
      await admin.query(
        `SELECT count(*)::int AS runs, count(*) FILTER (WHERE status <> 'succeeded')::int AS unsuccessful,
                (SELECT count(*)::int FROM cron.pgml_proxy_ticks t WHERE t.jobid = $1) AS claimed
           FROM cron.job_run_details WHERE jobid = $1 AND status <> 'running'`,
        [id],
      )
    ).rows[0];
    assert.ok(stats.runs >= 10, `only ${stats.runs} runs in 20 s`);
    // Every run is of a tick one proxy claimed (a tick is claimed once: the table's primary key), so a
    // tick run twice makes more runs than claims; the last claim's run may still be going. (Not runs per
    // second of start_time: a run that starts late, past its tick's second, shares that second with the
    // next tick's run, which waits for it.)
    assert.ok(stats.runs <= stats.claimed && stats.runs >= stats.claimed - 1, `${stats.runs} runs of ${stats.claimed} claimed ticks`);
    assert.equal(stats.unsuccessful, 0);
    const inserted = (await admin.query('SELECT count(*)::int AS n FROM ticks')).rows[0].n;
    assert.ok(inserted >= stats.runs && inserted <= stats.runs + 1);
  } finally {
    await other.stop();
  }
});

test('pgml.train in a job produces a new model each run', async () => {
  const trains = (await admin.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'train' AND pronamespace = 'pgml'::regnamespace`)).rows[0].n;
  if (trains === 0) return;
  await admin.query(`CREATE TABLE train_data AS SELECT i::float8 AS x, (2 * i + 1)::float8 AS y FROM generate_series(1, 50) i`);
  await admin.query(`CREATE FUNCTION model_train() RETURNS void LANGUAGE sql AS $$
    SELECT * FROM pgml.train('cron_project', 'regression', 'train_data', 'y', algorithm => 'linear') $$`);
  const id = await schedule(admin, '2 seconds', 'SELECT model_train()');
  await waitFor('two training runs', async () => (await runs(admin, id, 'succeeded')).length >= 2, 60_000);
  await admin.query(`SELECT cron.unschedule(${id})`);
  const failed = await runs(admin, id, 'failed');
  assert.deepEqual(failed, []);
  const models = (
    await admin.query(`SELECT count(*)::int AS n FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'cron_project'`)
  ).rows[0].n;
  assert.ok(models >= 2, `${models} models`);
});

test('embedded PGlite: a scheduled job runs', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pgml-cron-pglite-'));
  const embedded = await startProxy({ dataDir });
  try {
    const client = await connect(embedded);
    try {
      await client.query('CREATE TABLE seen (at timestamptz)');
      const id = await schedule(client, '1 seconds', 'INSERT INTO seen VALUES (now())');
      const failing = await schedule(client, '1 seconds', 'SELECT * FROM nosuch');
      const run = await firstRun(client, id, 'succeeded');
      assert.equal(run?.return_message, 'INSERT 0 1');
      // libpq's whole message, as psql prints it for this command.
      const failure = await firstRun(client, failing, 'failed');
      assert.equal(failure.return_message, 'ERROR:  relation "nosuch" does not exist\nLINE 1: SELECT * FROM nosuch\n                      ^\n');
      await client.query(`SELECT cron.unschedule(${id}); SELECT cron.unschedule(${failing})`);
      assert.ok(Number((await client.query('SELECT count(*) AS n FROM seen')).rows[0].n) >= 1);
    } finally {
      await client.end();
    }
  } finally {
    await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
