// The pg_cron SQL surface through the proxy with node-postgres on a real Postgres: return values,
// upserts, permissions, row-level security and every bad input of pg_cron's regression test, each
// with pg_cron's message and nothing stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';

let cluster: PgCluster;
let proxy: ProxyProcess;
let admin: pg.Client;
let alice: pg.Client;

const HINT = "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";

async function connect(user = 'postgres'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: proxy.url(user) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

interface Expected {
  code: string;
  message: string;
  hint?: string;
  detail?: string;
  /** A direct call of a cron.pgml_proxy_* helper: its PL/pgSQL frames show as CONTEXT. */
  helper?: true;
}

async function rejects(client: pg.Client, sql: string, expected: Expected): Promise<void> {
  await assert.rejects(client.query(sql), (error: pg.DatabaseError) => {
    assert.equal(error.message, expected.message, sql);
    assert.equal(error.code, expected.code, sql);
    // pg_cron raises from C: its errors have no CONTEXT lines.
    if (!expected.helper) assert.equal(error.where, undefined, sql);
    if (expected.hint !== undefined) assert.equal(error.hint, expected.hint, sql);
    if (expected.detail !== undefined) assert.equal(error.detail, expected.detail, sql);
    return true;
  });
}

async function jobCount(): Promise<number> {
  return Number((await admin.query('SELECT count(*) AS n FROM cron.job')).rows[0].n);
}

before(async () => {
  cluster = await startPgCluster();
  const direct = new pg.Client({ connectionString: cluster.url() });
  await direct.connect();
  await direct.query('CREATE ROLE alice LOGIN; CREATE ROLE nologin NOLOGIN');
  await direct.end();
  proxy = await startProxy({ upstream: cluster.url() });
  admin = await connect();
  alice = await connect('alice');
});

after(async () => {
  await alice?.end().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  await proxy?.stop();
  cluster?.stop();
});

test('schedule returns the new job id and stores pg_cron columns', async () => {
  const { rows } = await admin.query(`SELECT cron.schedule('0 10 * * *', 'VACUUM') AS id`);
  const id = rows[0].id;
  const job = (await admin.query('SELECT * FROM cron.job WHERE jobid = $1', [id])).rows[0];
  assert.equal(job.schedule, '0 10 * * *');
  assert.equal(job.command, 'VACUUM');
  assert.equal(job.username, 'postgres');
  assert.equal(job.database, 'postgres');
  assert.equal(job.nodename, 'localhost');
  assert.equal(job.active, true);
  assert.equal(job.jobname, null);
  assert.deepEqual((await admin.query(`SELECT cron.unschedule(${id}) AS ok`)).rows, [{ ok: true }]);
  assert.equal(await jobCount(), 0);
});

test('a named schedule upserts on job name and user, as in pg_cron-test.sql', async () => {
  const first = (await admin.query(`SELECT cron.schedule('myvacuum', '0 10 * * *', 'VACUUM') AS id`)).rows[0].id;
  const second = (await admin.query(`SELECT cron.schedule(job_name => 'myvacuum', schedule => '0 11 * * *', command => 'VACUUM FULL') AS id`)).rows[0].id;
  assert.equal(second, first);
  const jobs = (await admin.query(`SELECT jobname, schedule, command FROM cron.job`)).rows;
  assert.deepEqual(jobs, [{ jobname: 'myvacuum', schedule: '0 11 * * *', command: 'VACUUM FULL' }]);
  // The same name for another user is another job.
  const hers = (await alice.query(`SELECT cron.schedule('myvacuum', '0 12 * * *', 'SELECT 1') AS id`)).rows[0].id;
  assert.notEqual(hers, first);
  assert.deepEqual((await admin.query(`SELECT cron.unschedule('myvacuum') AS ok`)).rows, [{ ok: true }]);
  assert.deepEqual((await alice.query(`SELECT cron.unschedule('myvacuum') AS ok`)).rows, [{ ok: true }]);
  assert.equal(await jobCount(), 0);
});

test('every invalid schedule of pg_cron-test.sql is refused with its message and hint, nothing stored', async () => {
  const invalid = [
    'a'.repeat(1000),
    '* * * *',
    '5 secondc',
    '50 seconds c',
    '-1 seconds',
    '0 seconds',
    '60 seconds',
    '10000000000 seconds',
    '@restar',
    '*/0 * * * *',
    '*/-1 * * * *',
    '*/99999999999 * * * *',
    // Steps above the field's high value (issue 13).
    '*/60 10 * * *',
    '*/61 * * * *',
    '0 */24 * * *',
    '0 0 */32 * *',
    '0 0 1 */13 *',
    '0 0 * * */8',
    '0 0 1 0 *',
    '0 0 1 13 *',
    '0 0 $foo * *',
    '',
  ];
  for (const schedule of invalid) {
    await rejects(admin, `SELECT cron.schedule('${schedule}', 'SELECT 1')`, {
      code: '22023',
      message: `invalid schedule: ${schedule}`,
      hint: HINT,
    });
  }
  await rejects(admin, `SELECT cron.schedule('named', '* * * *', 'SELECT 1')`, { code: '22023', message: 'invalid schedule: * * * *', hint: HINT });
  assert.equal(await jobCount(), 0);
  // The valid interval forms of the regression test are stored as written.
  for (const schedule of ['1 second', ' 30 sEcOnDs ', '59 seconds', '17  seconds ', '@restart', '0 0 $ * *']) {
    const id = (await admin.query('SELECT cron.schedule($1, $2) AS id', [schedule, 'SELECT 1'])).rows[0].id;
    assert.equal((await admin.query('SELECT schedule FROM cron.job WHERE jobid = $1', [id])).rows[0].schedule, schedule);
    await admin.query(`UPDATE cron.job SET active = false WHERE jobid = $1`, [id]);
  }
  await admin.query('DELETE FROM cron.job');
});

test('NULL arguments: STRICT overloads return NULL, the others raise pg_cron errors', async () => {
  assert.deepEqual((await admin.query(`SELECT cron.schedule(NULL, 'SELECT 1') AS id`)).rows, [{ id: null }]);
  assert.deepEqual((await admin.query(`SELECT cron.schedule('* * * * *', NULL) AS id`)).rows, [{ id: null }]);
  assert.deepEqual((await admin.query(`SELECT cron.unschedule(NULL::bigint) AS ok`)).rows, [{ ok: null }]);
  assert.deepEqual((await admin.query(`SELECT cron.unschedule(NULL::text) AS ok`)).rows, [{ ok: null }]);
  await rejects(admin, `SELECT cron.schedule(NULL, '* * * * *', 'SELECT 1')`, { code: 'XX000', message: 'job_name can not be NULL' });
  await rejects(admin, `SELECT cron.schedule('j', NULL, 'SELECT 1')`, { code: 'XX000', message: 'schedule can not be NULL' });
  await rejects(admin, `SELECT cron.schedule('j', '* * * * *', NULL)`, { code: 'XX000', message: 'command can not be NULL' });
  await rejects(admin, `SELECT cron.alter_job(NULL, schedule => '* * * * *')`, { code: 'XX000', message: 'job_id can not be NULL' });
  // Parameters too: the extended protocol binds NULL the same way.
  assert.deepEqual((await admin.query('SELECT cron.schedule($1, $2) AS id', [null, 'SELECT 1'])).rows, [{ id: null }]);
  assert.equal(await jobCount(), 0);
});

test('unknown job id or name', async () => {
  await rejects(admin, 'SELECT cron.unschedule(424242)', { code: 'XX000', message: 'could not find valid entry for job 424242' });
  await rejects(admin, `SELECT cron.unschedule('no_such_job')`, { code: 'XX000', message: "could not find valid entry for job 'no_such_job'" });
  await rejects(admin, `SELECT cron.alter_job(424242, command => 'SELECT 2')`, { code: 'XX000', message: "Job 424242 does not exist or you don't own it" });
});

test('alter_job changes only the given attributes and validates them', async () => {
  const id = (await admin.query(`SELECT cron.schedule('0 10 * * *', 'VACUUM') AS id`)).rows[0].id;
  await rejects(admin, `SELECT cron.alter_job(${id})`, {
    code: 'XX000',
    message: 'no updates specified',
    hint: 'You must specify at least one job attribute to change when calling alter_job',
  });
  await rejects(admin, `SELECT cron.alter_job(${id}, schedule => '0 0 1 13 *')`, { code: '22023', message: 'invalid schedule: 0 0 1 13 *', hint: HINT });
  await rejects(admin, `SELECT cron.alter_job(job_id := ${id}, database := 'hopedoesnotexist')`, { code: '3D000', message: 'database "hopedoesnotexist" does not exist' });
  await rejects(admin, `SELECT cron.alter_job(${id}, username => 'nosuchrole')`, { code: 'XX000', message: 'role "nosuchrole" does not exist' });
  await rejects(admin, `SELECT cron.alter_job(${id}, username => 'nologin')`, {
    code: 'XX000',
    message: 'role "nologin" can not log in',
    detail: 'Jobs may only be run by roles that have the LOGIN attribute.',
  });
  const { rows } = await admin.query(`SELECT cron.alter_job(${id}, command => 'VACUUM FULL', active => false) AS r`);
  assert.deepEqual(rows, [{ r: '' }]);
  const job = (await admin.query('SELECT schedule, command, active, username FROM cron.job WHERE jobid = $1', [id])).rows[0];
  assert.deepEqual(job, { schedule: '0 10 * * *', command: 'VACUUM FULL', active: false, username: 'postgres' });
  await admin.query(`SELECT cron.alter_job(${id}, username => 'alice')`);
  assert.equal((await alice.query('SELECT count(*) AS n FROM cron.job WHERE jobid = $1', [id])).rows[0].n, '1');
  await admin.query('DELETE FROM cron.job');
});

test("permissions: users see and change only their own jobs; admin functions are revoked from PUBLIC", async () => {
  const mine = (await admin.query(`SELECT cron.schedule('0 10 * * *', 'VACUUM') AS id`)).rows[0].id;
  const hers = (await alice.query(`SELECT cron.schedule('My vacuum', '0 11 * * *', 'SELECT 1') AS id`)).rows[0].id;
  assert.deepEqual((await alice.query('SELECT jobid, username FROM cron.job')).rows, [{ jobid: hers, username: 'alice' }]);

  // pg_cron's EnsureDeletePermission: another user's job exists, but is not hers to remove.
  await rejects(alice, `SELECT cron.unschedule(${mine})`, { code: '42501', message: 'permission denied for table job' });
  // As in pg_cron, users may read cron.job but not write it, even their own rows.
  await rejects(alice, `DELETE FROM cron.job WHERE jobid = ${hers}`, { code: '42501', message: 'permission denied for table job' });
  await rejects(alice, `UPDATE cron.job SET command = 'SELECT 2' WHERE jobid = ${hers}`, { code: '42501', message: 'permission denied for table job' });
  await rejects(alice, `INSERT INTO cron.job (schedule, command) VALUES ('* * * * *', 'SELECT 1')`, { code: '42501', message: 'permission denied for table job' });
  // The functions that write on the proxy's behalf make the same checks when called directly.
  await rejects(alice, `SELECT cron.pgml_proxy_alter_job(${hers}, NULL, 'SELECT 2', NULL, NULL, NULL)`, {
    code: '42501',
    message: 'permission denied for function alter_job',
    helper: true,
  });
  await rejects(alice, `SELECT cron.pgml_proxy_schedule(false, NULL, '* * * * *', 'SELECT 1', NULL, 'postgres', true)`, {
    code: '42501',
    message: 'permission denied for function schedule_in_database',
    helper: true,
  });
  await rejects(alice, `SELECT cron.pgml_proxy_unschedule(${mine}, NULL)`, { code: '42501', message: 'permission denied for table job', helper: true });
  assert.equal((await admin.query('SELECT count(*)::int AS n FROM cron.job WHERE jobid = $1', [mine])).rows[0].n, 1);
  await rejects(alice, `SELECT cron.alter_job(job_id := ${hers}, command := 'SELECT 2')`, { code: '42501', message: 'permission denied for function alter_job' });
  await rejects(alice, `SELECT cron.schedule_in_database(job_name := 'his vacuum', schedule := '0 11 * * *', command := 'VACUUM', database := current_database(), username := 'postgres')`, {
    code: '42501',
    message: 'permission denied for function schedule_in_database',
  });
  // An admin may grant them, as pg_cron's documentation says.
  await admin.query('GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO PUBLIC');
  await admin.query('GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) TO PUBLIC');
  await rejects(alice, `SELECT cron.alter_job(job_id := ${mine}, command := 'SELECT 2')`, { code: 'XX000', message: `Job ${mine} does not exist or you don't own it` });
  await rejects(alice, `SELECT cron.alter_job(job_id := ${hers}, username := 'postgres')`, { code: 'XX000', message: 'must be superuser to alter username' });
  await rejects(alice, `SELECT cron.schedule_in_database('x', '0 11 * * *', 'VACUUM', current_database(), 'postgres')`, {
    code: 'XX000',
    message: 'must be superuser to create a job for another role',
  });
  await rejects(alice, `SELECT cron.pgml_proxy_schedule(true, 'x', '0 11 * * *', 'VACUUM', NULL, 'postgres', true)`, {
    code: 'XX000',
    message: 'must be superuser to create a job for another role',
    helper: true,
  });
  // SET ROLE to a role she belongs to is who she may act as; the owner is that role.
  await admin.query('CREATE ROLE team NOLOGIN; GRANT team TO alice');
  await alice.query('SET ROLE team');
  await rejects(alice, `SELECT cron.unschedule(${hers})`, { code: '42501', message: 'permission denied for table job' });
  await alice.query('RESET ROLE');
  await alice.query(`SELECT cron.alter_job(job_id := ${hers}, schedule := '0 12 * * *')`);
  const id = (await alice.query(`SELECT cron.schedule_in_database('in db', '0 13 * * *', 'SELECT 3', current_database(), active => false) AS id`)).rows[0].id;
  assert.deepEqual((await alice.query('SELECT username, active FROM cron.job WHERE jobid = $1', [id])).rows, [{ username: 'alice', active: false }]);

  // A superuser schedules for, and unschedules, another role's jobs.
  await admin.query(`SELECT cron.unschedule(${hers})`);
  const forHer = (await admin.query(`SELECT cron.schedule_in_database('his vacuum', '0 11 * * *', 'VACUUM', current_database(), 'alice') AS id`)).rows[0].id;
  assert.equal((await admin.query('SELECT username FROM cron.job WHERE jobid = $1', [forHer])).rows[0].username, 'alice');
  await admin.query('REVOKE EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) FROM PUBLIC');
  await admin.query('REVOKE EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) FROM PUBLIC');
  await admin.query('DELETE FROM cron.job');
});

test('a rolled-back schedule leaves nothing behind', async () => {
  await admin.query('BEGIN');
  await admin.query(`SELECT cron.schedule('0 10 * * *', 'VACUUM')`);
  await admin.query('ROLLBACK');
  assert.equal(await jobCount(), 0);
});

test('calls in FROM with bound parameters give the rows the literal calls give', async () => {
  // Evaluated at Bind, each call's rows travel to the upstream as one parameter: a scalar, a void
  // and a boolean result, with and without ORDINALITY, as drivers send them.
  const literal = await admin.query(`SELECT * FROM cron.schedule('from bound', '0 10 * * *', 'VACUUM')`);
  const id = literal.rows[0].schedule;
  const bound = await admin.query(`SELECT * FROM cron.schedule($1, $2, 'VACUUM')`, ['from bound', '0 11 * * *']);
  assert.deepEqual(bound.fields.map((f) => [f.name, f.dataTypeID]), literal.fields.map((f) => [f.name, f.dataTypeID]));
  assert.deepEqual(bound.rows, [{ schedule: id }], 'the named schedule upserts the same job');
  const paused = await admin.query('SELECT * FROM cron.alter_job(job_id => $1::bigint, active => $2::boolean) WITH ORDINALITY', [id, false]);
  assert.deepEqual(paused.rows, [{ alter_job: '', ordinality: '1' }]);
  assert.deepEqual((await admin.query('SELECT schedule, active FROM cron.job WHERE jobid = $1', [id])).rows, [
    { schedule: '0 11 * * *', active: false },
  ]);
  assert.deepEqual((await admin.query('SELECT ok FROM cron.unschedule($1) AS u(ok)', [Number(id)])).rows, [{ ok: true }]);
  assert.equal(await jobCount(), 0);
});
