// Every ownership and permission check of the cron.* functions and of the policies on pg_cron's
// tables, through the proxy on a real Postgres: role names compare exactly (case and quoting),
// and being a member of the owner's role is not being the owner (SET ROLE to it is), as pg_cron
// compares role oids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { waitFor } from '../support/wait.js';

let cluster: PgCluster;
let proxy: ProxyProcess;
let admin: pg.Client;
/** Owner of the jobs under attack: a quoted, mixed-case role name. */
let owner: pg.Client;
/** The same name in lower case: another role. */
let lookalike: pg.Client;
const clients: pg.Client[] = [];

async function connect(user: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: proxy.url(user) });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

async function rejects(client: pg.Client, sql: string, expected: { code: string; message: string }): Promise<void> {
  await assert.rejects(client.query(sql), (error: pg.DatabaseError) => {
    assert.equal(error.message, expected.message, sql);
    assert.equal(error.code, expected.code, sql);
    // pg_cron raises from C: its errors have no CONTEXT lines.
    assert.equal(error.where, undefined, sql);
    // A position would point into the proxy's own SQL, not the statement sent.
    assert.equal(error.position, undefined, sql);
    return true;
  });
}

async function ownersJob(): Promise<string> {
  const { rows } = await admin.query(
    `SELECT cron.schedule_in_database(job_name:='mixed case owner', schedule:='0 11 * * *', command:='VACUUM',database:=current_database(), username:='CaseOwner') AS id`,
  );
  return rows[0].id;
}

async function jobExists(id: string): Promise<boolean> {
  return (await admin.query('SELECT 1 FROM cron.job WHERE jobid = $1', [id])).rows.length === 1;
}

before(async () => {
  cluster = await startPgCluster();
  proxy = await startProxy({ upstream: cluster.url() });
  admin = await connect('postgres');
  await admin.query(`CREATE USER "CaseOwner"; CREATE USER caseowner; GRANT USAGE ON SCHEMA cron TO "CaseOwner", caseowner`);
  owner = await connect('CaseOwner');
  lookalike = await connect('caseowner');
});

after(async () => {
  for (const client of clients) await client.end().catch(() => undefined);
  await proxy?.stop();
  cluster?.stop();
});

test('unschedule by id: a role whose name differs only in case is not the owner', async () => {
  const id = await ownersJob();
  await rejects(lookalike, `SELECT cron.unschedule(${id})`, { code: '42501', message: 'permission denied for table job' });
  // pg_cron-test.sql's form: the superuser's session switched with SET SESSION AUTHORIZATION.
  await admin.query('SET SESSION AUTHORIZATION caseowner');
  await rejects(admin, `SELECT cron.unschedule(${id})`, { code: '42501', message: 'permission denied for table job' });
  await admin.query('RESET SESSION AUTHORIZATION');
  assert.equal(await jobExists(id), true);
  assert.deepEqual((await owner.query(`SELECT cron.unschedule(${id}) AS ok`)).rows, [{ ok: true }]);
  assert.equal(await jobExists(id), false);
});

test('unschedule by name finds only the caller\'s own job, by exact name', async () => {
  const id = await ownersJob();
  await rejects(lookalike, `SELECT cron.unschedule('mixed case owner')`, { code: 'XX000', message: "could not find valid entry for job 'mixed case owner'" });
  assert.equal(await jobExists(id), true);
  await owner.query(`SELECT cron.unschedule('mixed case owner')`);
  assert.equal(await jobExists(id), false);
});

test('alter_job changes only the caller\'s own jobs, by exact name', async () => {
  const id = await ownersJob();
  await admin.query('GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO caseowner, "CaseOwner"');
  try {
    await rejects(lookalike, `SELECT cron.alter_job(job_id:=${id}, command:='SELECT 2')`, {
      code: 'XX000',
      message: `Job ${id} does not exist or you don't own it`,
    });
    // The same call with bound parameters (as drivers and the dashboard send it) must fail the same way.
    await assert.rejects(
      lookalike.query('SELECT cron.alter_job(job_id => $1::bigint, active => $2::boolean)', [id, false]),
      (error: pg.DatabaseError) => {
        assert.equal(error.message, `Job ${id} does not exist or you don't own it`);
        assert.equal(error.code, 'XX000');
        return true;
      },
    );
    const unchanged = (await admin.query('SELECT command, active FROM cron.job WHERE jobid = $1', [id])).rows[0];
    assert.deepEqual(unchanged, { command: 'VACUUM', active: true });
    await owner.query(`SELECT cron.alter_job(job_id:=${id}, command:='SELECT 2')`);
    assert.equal((await admin.query('SELECT command FROM cron.job WHERE jobid = $1', [id])).rows[0].command, 'SELECT 2');
  } finally {
    await admin.query('REVOKE EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) FROM caseowner, "CaseOwner"');
    await admin.query('DELETE FROM cron.job');
  }
});

test('a named schedule upserts only the caller\'s own job of that name', async () => {
  const id = await ownersJob();
  const { rows } = await lookalike.query(`SELECT cron.schedule('mixed case owner', '0 12 * * *', 'SELECT 1') AS id`);
  assert.notEqual(rows[0].id, id);
  const jobs = (await admin.query('SELECT username, schedule, command FROM cron.job ORDER BY jobid')).rows;
  assert.deepEqual(jobs, [
    { username: 'CaseOwner', schedule: '0 11 * * *', command: 'VACUUM' },
    { username: 'caseowner', schedule: '0 12 * * *', command: 'SELECT 1' },
  ]);
  await admin.query('DELETE FROM cron.job');
});

test('row-level security: cron.job, run history and its deletes, and job timeouts are per exact role', async () => {
  const id = await ownersJob();
  await admin.query(
    `INSERT INTO cron.job_run_details (jobid, username, command, status) VALUES ($1, 'CaseOwner', 'VACUUM', 'succeeded')`,
    [id],
  );
  assert.deepEqual((await lookalike.query('SELECT jobid FROM cron.job')).rows, []);
  assert.deepEqual((await lookalike.query('SELECT runid FROM cron.job_run_details')).rows, []);
  assert.equal((await lookalike.query('DELETE FROM cron.job_run_details')).rowCount, 0);
  await rejects(lookalike, `INSERT INTO cron.job_timeout VALUES (${id}, '1 minute')`, {
    code: '42501',
    message: 'new row violates row-level security policy for table "job_timeout"',
  });
  assert.deepEqual((await owner.query('SELECT jobid FROM cron.job')).rows, [{ jobid: id }]);
  await owner.query(`INSERT INTO cron.job_timeout VALUES (${id}, '1 minute')`);
  assert.equal((await lookalike.query('DELETE FROM cron.job_timeout')).rowCount, 0);
  assert.equal((await owner.query('DELETE FROM cron.job_run_details')).rowCount, 1);
  await admin.query('DELETE FROM cron.job');
});

test('membership in the owner\'s role is not ownership; SET ROLE to it is', async () => {
  const id = await ownersJob();
  await admin.query('GRANT "CaseOwner" TO caseowner');
  try {
    await rejects(lookalike, `SELECT cron.unschedule(${id})`, { code: '42501', message: 'permission denied for table job' });
    await rejects(lookalike, `SELECT cron.unschedule('mixed case owner')`, { code: 'XX000', message: "could not find valid entry for job 'mixed case owner'" });
    assert.deepEqual((await lookalike.query('SELECT jobid FROM cron.job')).rows, []);
    await lookalike.query('SET ROLE "CaseOwner"');
    assert.deepEqual((await lookalike.query('SELECT jobid FROM cron.job')).rows, [{ jobid: id }]);
    await lookalike.query(`SELECT cron.unschedule('mixed case owner')`);
    assert.equal(await jobExists(id), false);
  } finally {
    await lookalike.query('RESET ROLE');
    await admin.query('REVOKE "CaseOwner" FROM caseowner');
  }
});

test('DELETE on cron.job, granted directly or through a role, lets a role unschedule others\' jobs', async () => {
  const id = await ownersJob();
  await admin.query('CREATE ROLE job_cleaner NOLOGIN; GRANT DELETE ON cron.job TO job_cleaner; GRANT job_cleaner TO caseowner');
  try {
    assert.deepEqual((await lookalike.query(`SELECT cron.unschedule(${id}) AS ok`)).rows, [{ ok: true }]);
    assert.equal(await jobExists(id), false);
  } finally {
    await admin.query('REVOKE job_cleaner FROM caseowner; DROP OWNED BY job_cleaner; DROP ROLE job_cleaner');
  }
});

test('role names that need quoting own and manage their jobs', async () => {
  const name = `o'Neil "x" Case`;
  await admin.query(`CREATE USER "o'Neil ""x"" Case"; GRANT USAGE ON SCHEMA cron TO "o'Neil ""x"" Case"`);
  const quoted = await connect(name);
  const id = (await quoted.query(`SELECT cron.schedule('quoted', '0 11 * * *', 'SELECT 1') AS id`)).rows[0].id;
  assert.deepEqual((await admin.query('SELECT username FROM cron.job WHERE jobid = $1', [id])).rows, [{ username: name }]);
  assert.deepEqual((await quoted.query('SELECT jobid FROM cron.job')).rows, [{ jobid: id }]);
  await rejects(lookalike, `SELECT cron.unschedule(${id})`, { code: '42501', message: 'permission denied for table job' });
  assert.deepEqual((await quoted.query(`SELECT cron.unschedule('quoted') AS ok`)).rows, [{ ok: true }]);
});

test("everyone may read cron's sequences, as pg_cron 1.4-1 grants for pg_dump, but not draw from them", async () => {
  assert.equal((await lookalike.query('SELECT is_called FROM cron.jobid_seq')).rows.length, 1);
  assert.equal((await lookalike.query('SELECT is_called FROM cron.runid_seq')).rows.length, 1);
  await rejects(lookalike, `SELECT nextval('cron.jobid_seq')`, { code: '42501', message: 'permission denied for sequence jobid_seq' });
  await rejects(lookalike, `SELECT nextval('cron.runid_seq')`, { code: '42501', message: 'permission denied for sequence runid_seq' });
});

test('DROP ROLE of a job owner needs no revokes: the jobs stay, and their runs fail to log in', async () => {
  await admin.query('CREATE USER leaver');
  const leaver = await connect('leaver');
  // No GRANT was needed to schedule: the cron schema is usable by PUBLIC.
  const id = (await leaver.query(`SELECT cron.schedule('leaving', '1 second', 'SELECT 1') AS id`)).rows[0].id;
  await leaver.end();
  await admin.query('DROP ROLE leaver');
  assert.deepEqual((await admin.query('SELECT username, active FROM cron.job WHERE jobid = $1', [id])).rows, [{ username: 'leaver', active: true }]);
  const message = await waitFor('a failed run', async () => {
    const r = await admin.query(`SELECT return_message FROM cron.job_run_details WHERE jobid = $1 AND status = 'failed' LIMIT 1`, [id]);
    return r.rows[0]?.return_message as string | undefined;
  });
  assert.equal(message, 'connection failed: FATAL:  role "leaver" does not exist\n');
  assert.deepEqual((await admin.query(`SELECT cron.unschedule(${id}) AS ok`)).rows, [{ ok: true }]);
});

test('without USAGE on the cron schema the cron functions fail as Postgres would, with no stray position', async () => {
  await admin.query('REVOKE USAGE ON SCHEMA cron FROM PUBLIC, caseowner');
  try {
    await rejects(lookalike, `SELECT cron.unschedule(1)`, { code: '42501', message: 'permission denied for schema cron' });
    await rejects(lookalike, `SELECT cron.schedule('0 11 * * *', 'VACUUM')`, { code: '42501', message: 'permission denied for schema cron' });
  } finally {
    await admin.query('GRANT USAGE ON SCHEMA cron TO PUBLIC, caseowner');
  }
});
