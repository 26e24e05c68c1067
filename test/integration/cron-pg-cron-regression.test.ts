// pg_cron 1.6's regression test (sql/pg_cron-test.sql in citusdata/pg_cron), walked through
// statement by statement with node-postgres through the proxy on a real Postgres, each output
// compared with the one in its expected/pg_cron-test.out: result columns and rows as psql prints
// them, or the error's message, hint and detail (with the SQLSTATE pg_cron's source raises), and
// notices.
//
// Adapted only where the test installs the extension: the proxy has no extension to create, update
// or drop. CREATE/ALTER EXTENSION become nothing (the extversion check is left out), and DROP
// EXTENSION becomes what dropping pg_cron does to its objects: no jobs and no run history, both
// sequences restarted, and the grants made on the extension's objects gone with them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';

let cluster: PgCluster;
let proxy: ProxyProcess;
let client: pg.Client;
const notices: string[] = [];

const HINT = "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";

type Expected =
  /** Columns and rows, every value as psql prints it ('' for NULL). */
  | { columns: string[]; rows: string[][] }
  | { error: string; code: string; hint?: string; detail?: string }
  /** A command with no result rows. */
  | 'ok';

interface Step {
  sql: string;
  expect: Expected;
  notices?: string[];
}

/** The roles whose grants on cron's objects DROP EXTENSION takes away in this test. */
const GRANTEES = 'pgcron_cront, "CaseOwner", caseowner';

/** DROP EXTENSION pg_cron, as far as the proxy's permanent cron schema can follow it. */
function dropExtension(grantees: string | null): Step[] {
  const steps: Step[] = [
    { sql: 'DELETE FROM cron.job', expect: 'ok' },
    { sql: 'DELETE FROM cron.job_run_details', expect: 'ok' },
    { sql: 'ALTER SEQUENCE cron.jobid_seq RESTART', expect: 'ok' },
    { sql: 'ALTER SEQUENCE cron.runid_seq RESTART', expect: 'ok' },
    { sql: 'REVOKE EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) FROM public', expect: 'ok' },
  ];
  if (grantees !== null) steps.push({ sql: `REVOKE ALL ON SCHEMA cron FROM ${grantees}`, expect: 'ok' });
  return steps;
}

const one = (column: string, value: string): Expected => ({ columns: [column], rows: [[value]] });
const invalid = (schedule: string): Expected => ({ error: `invalid schedule: ${schedule}`, code: '22023', hint: HINT });
const cronError = (message: string, fields: { hint?: string; detail?: string } = {}): Expected => ({ error: message, code: 'XX000', ...fields });
const JOB_COLUMNS = ['jobid', 'jobname', 'schedule', 'command'];
/** The four valid interval jobs, as the test lists them. */
const INTERVAL_JOBS = [
  ['1', '', '1 second', 'SELECT 1'],
  ['2', '', ' 30 sEcOnDs ', 'SELECT 1'],
  ['3', '', '59 seconds', 'SELECT 1'],
  ['4', '', '17  seconds ', 'SELECT 1'],
];

const STEPS: Step[] = [
  ...dropExtension(null),
  // -- Test binary compatibility with v1.3 function signature.
  { sql: `SELECT cron.schedule('test', '* * * * *', 'SELECT 1');`, expect: one('schedule', '1') },
  { sql: `SELECT cron.unschedule('test');`, expect: one('unschedule', 't') },
  // -- Test binary compatibility with v1.4 function signature.
  { sql: `SELECT cron.unschedule(job_name := 'no_such_job');`, expect: cronError("could not find valid entry for job 'no_such_job'") },
  { sql: `SELECT cron.schedule('testjob', '* * * * *', 'SELECT 1');`, expect: one('schedule', '2') },
  { sql: `SELECT cron.unschedule('testjob');`, expect: one('unschedule', 't') },
  // -- Test cache invalidation
  ...dropExtension(null),
  // -- Vacuum every day at 10:00am (GMT)
  { sql: `SELECT cron.schedule('0 10 * * *', 'VACUUM');`, expect: one('schedule', '1') },
  // -- Stop scheduling a job
  { sql: `SELECT cron.unschedule(1);`, expect: one('unschedule', 't') },
  // -- Invalid input: input too long
  { sql: `SELECT cron.schedule(repeat('a', 1000), '');`, expect: invalid('a'.repeat(1000)) },
  // -- Invalid input: missing parts
  { sql: `SELECT cron.schedule('* * * *', 'SELECT 1'); `, expect: invalid('* * * *') },
  // -- Invalid input: trailing characters
  { sql: `SELECT cron.schedule('5 secondc', 'SELECT 1'); `, expect: invalid('5 secondc') },
  { sql: `SELECT cron.schedule('50 seconds c', 'SELECT 1'); `, expect: invalid('50 seconds c') },
  // -- Invalid input: step out of range
  { sql: `SELECT cron.schedule('*/0 10 * * *', 'SELECT 1');`, expect: invalid('*/0 10 * * *') },
  { sql: `SELECT cron.schedule('-1 * * * *', 'SELECT 1');`, expect: invalid('-1 * * * *') },
  { sql: `SELECT cron.schedule('*/-1 10 * * *', 'SELECT 1');`, expect: invalid('*/-1 10 * * *') },
  { sql: `SELECT cron.schedule('*/60 10 * * *', 'SELECT 1');`, expect: invalid('*/60 10 * * *') },
  { sql: `SELECT cron.schedule('* * * 13 *', 'SELECT 1');`, expect: invalid('* * * 13 *') },
  { sql: `SELECT cron.schedule('* * * 0 *', 'SELECT 1');`, expect: invalid('* * * 0 *') },
  { sql: `SELECT cron.schedule('*/5000000000 10 * * *', 'SELECT 1');`, expect: invalid('*/5000000000 10 * * *') },
  // -- Invalid input: seconds out of range
  { sql: `SELECT cron.schedule('-1 seconds', 'SELECT 1'); `, expect: invalid('-1 seconds') },
  { sql: `SELECT cron.schedule('0 seconds', 'SELECT 1'); `, expect: invalid('0 seconds') },
  { sql: `SELECT cron.schedule('60 seconds', 'SELECT 1'); `, expect: invalid('60 seconds') },
  { sql: `SELECT cron.schedule('10000000000 seconds', 'SELECT 1'); `, expect: invalid('10000000000 seconds') },
  // -- Try to update pg_cron on restart
  { sql: `SELECT cron.schedule('@restar', 'ALTER EXTENSION pg_cron UPDATE');`, expect: invalid('@restar') },
  { sql: `SELECT cron.schedule('@restart', 'ALTER EXTENSION pg_cron UPDATE');`, expect: one('schedule', '2') },
  // -- Vacuum every day at 10:00am (GMT)
  { sql: `SELECT cron.schedule('myvacuum', '0 10 * * *', 'VACUUM');`, expect: one('schedule', '3') },
  {
    sql: `SELECT jobid, jobname, schedule, command FROM cron.job ORDER BY jobid;`,
    expect: { columns: JOB_COLUMNS, rows: [['2', '', '@restart', 'ALTER EXTENSION pg_cron UPDATE'], ['3', 'myvacuum', '0 10 * * *', 'VACUUM']] },
  },
  // -- Make that 11:00am (GMT)
  { sql: `SELECT cron.schedule('myvacuum', '0 11 * * *', 'VACUUM');`, expect: one('schedule', '3') },
  {
    sql: `SELECT jobid, jobname, schedule, command FROM cron.job ORDER BY jobid;`,
    expect: { columns: JOB_COLUMNS, rows: [['2', '', '@restart', 'ALTER EXTENSION pg_cron UPDATE'], ['3', 'myvacuum', '0 11 * * *', 'VACUUM']] },
  },
  // -- Make that VACUUM FULL
  { sql: `SELECT cron.schedule('myvacuum', '0 11 * * *', 'VACUUM FULL');`, expect: one('schedule', '3') },
  {
    sql: `SELECT jobid, jobname, schedule, command FROM cron.job ORDER BY jobid;`,
    expect: { columns: JOB_COLUMNS, rows: [['2', '', '@restart', 'ALTER EXTENSION pg_cron UPDATE'], ['3', 'myvacuum', '0 11 * * *', 'VACUUM FULL']] },
  },
  // -- Stop scheduling a job
  { sql: `SELECT cron.unschedule('myvacuum');`, expect: one('unschedule', 't') },
  {
    sql: `SELECT jobid, jobname, schedule, command FROM cron.job ORDER BY jobid;`,
    expect: { columns: JOB_COLUMNS, rows: [['2', '', '@restart', 'ALTER EXTENSION pg_cron UPDATE']] },
  },
  // -- Testing version >= 1.4 new APIs
  // -- First as superuser
  // -- Update a job without one job attribute to change
  {
    sql: `SELECT cron.alter_job(2);`,
    expect: cronError('no updates specified', { hint: 'You must specify at least one job attribute to change when calling alter_job' }),
  },
  // -- Update to a non existing database
  { sql: `select cron.alter_job(job_id:=2,database:='hopedoesnotexist');`, expect: { error: 'database "hopedoesnotexist" does not exist', code: '3D000' } },
  // -- Create a database that does not allow connection
  { sql: `create database pgcron_dbno;`, expect: 'ok' },
  { sql: `revoke connect on database pgcron_dbno from public;`, expect: 'ok' },
  // -- create a test user
  { sql: `create user pgcron_cront with password 'pwd';`, expect: 'ok' },
  { sql: `GRANT USAGE ON SCHEMA cron TO pgcron_cront;`, expect: 'ok' },
  // -- Schedule a job for this user on the database that does not accept connections
  {
    sql: `SELECT cron.schedule_in_database(job_name:='can not connect', schedule:='0 11 * * *', command:='VACUUM',database:='pgcron_dbno',username:='pgcron_cront');`,
    expect: cronError('User pgcron_cront does not have CONNECT privilege on pgcron_dbno'),
  },
  // -- Create a database that does allow connections
  { sql: `create database pgcron_dbyes;`, expect: 'ok' },
  // -- Schedule a job on the database that does accept connections for a non existing user
  {
    sql: `SELECT cron.schedule_in_database(job_name:='user does not exist', schedule:='0 11 * * *', command:='VACUUM',database:='pgcron_dbyes',username:='pgcron_useraqwxszedc');`,
    expect: cronError('role "pgcron_useraqwxszedc" does not exist'),
  },
  // -- Alter an existing job on a database that does not accept connections
  {
    sql: `SELECT cron.alter_job(job_id:=2,database:='pgcron_dbno',username:='pgcron_cront');`,
    expect: cronError('User pgcron_cront does not have CONNECT privilege on pgcron_dbno'),
  },
  // -- Make sure pgcron_cront can execute alter_job
  { sql: `GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO public;`, expect: 'ok' },
  // -- Second as non superuser
  { sql: `SET SESSION AUTHORIZATION pgcron_cront;`, expect: 'ok' },
  // -- Create a job
  { sql: `SELECT cron.schedule('My vacuum', '0 11 * * *', 'VACUUM');`, expect: one('schedule', '6') },
  // -- Create a job for another user
  {
    sql: `SELECT cron.schedule_in_database(job_name:='his vacuum', schedule:='0 11 * * *', command:='VACUUM',database:=current_database(),username:='anotheruser');`,
    expect: { error: 'permission denied for function schedule_in_database', code: '42501' },
  },
  // -- Change the username of an existing job that the user own
  { sql: `select cron.alter_job(job_id:=6,username:='anotheruser');`, expect: cronError('must be superuser to alter username') },
  // -- Update a job that the user does not own
  { sql: `select cron.alter_job(job_id:=2,database:='pgcron_dbyes');`, expect: cronError("Job 2 does not exist or you don't own it") },
  // -- change the database for a job that the user own and can connect to
  { sql: `select cron.alter_job(job_id:=6,database:='pgcron_dbyes');`, expect: one('alter_job', '') },
  { sql: `SELECT database FROM cron.job;`, expect: one('database', 'pgcron_dbyes') },
  // -- change the database for a job that the user own but can not connect to
  { sql: `select cron.alter_job(job_id:=6,database:='pgcron_dbno');`, expect: cronError('User pgcron_cront does not have CONNECT privilege on pgcron_dbno') },
  { sql: `SELECT database FROM cron.job;`, expect: one('database', 'pgcron_dbyes') },
  // -- back to superuser
  { sql: `RESET SESSION AUTHORIZATION;`, expect: 'ok' },
  // -- Change the username of an existing job
  { sql: `select cron.alter_job(job_id:=2,username:='pgcron_cront');`, expect: one('alter_job', '') },
  { sql: `SELECT username FROM cron.job where jobid=2;`, expect: one('username', 'pgcron_cront') },
  // -- Create a job for another user
  {
    sql: `SELECT cron.schedule_in_database(job_name:='his vacuum', schedule:='0 11 * * *', command:='VACUUM',database:=current_database(), username:='pgcron_cront');`,
    expect: one('schedule_in_database', '7'),
  },
  { sql: `SELECT username FROM cron.job where jobid=7;`, expect: one('username', 'pgcron_cront') },
  // -- Make sure ownership checks remain case-sensitive for quoted role names
  { sql: `CREATE USER "CaseOwner";`, expect: 'ok' },
  { sql: `CREATE USER caseowner;`, expect: 'ok' },
  { sql: `GRANT USAGE ON SCHEMA cron TO "CaseOwner", caseowner;`, expect: 'ok' },
  {
    sql: `SELECT cron.schedule_in_database(job_name:='mixed case owner', schedule:='0 11 * * *', command:='VACUUM',database:=current_database(), username:='CaseOwner');`,
    expect: one('schedule_in_database', '8'),
  },
  { sql: `SET SESSION AUTHORIZATION caseowner;`, expect: 'ok' },
  { sql: `SELECT cron.unschedule(8);`, expect: { error: 'permission denied for table job', code: '42501' } },
  { sql: `RESET SESSION AUTHORIZATION;`, expect: 'ok' },
  // -- Override function
  ...dropExtension(GRANTEES),
  { sql: `CREATE TABLE test (data text);`, expect: 'ok' },
  { sql: `DROP TYPE IF EXISTS current_setting cascade;`, expect: 'ok', notices: ['NOTICE: type "current_setting" does not exist, skipping'] },
  { sql: `CREATE TYPE current_setting AS ENUM ('cron.database_name');`, expect: 'ok' },
  {
    sql: `CREATE OR REPLACE FUNCTION public.func1(text, current_setting) RETURNS text
    LANGUAGE sql volatile AS 'INSERT INTO test(data) VALUES (current_user); SELECT current_database()::text;';`,
    expect: 'ok',
  },
  {
    sql: `CREATE OR REPLACE FUNCTION public.func1(current_setting) RETURNS text
    LANGUAGE sql volatile AS 'INSERT INTO test(data) VALUES (current_user); SELECT current_database()::text;';`,
    expect: 'ok',
  },
  { sql: `CREATE CAST (current_setting AS text) WITH FUNCTION public.func1(current_setting) AS IMPLICIT;`, expect: 'ok' },
  { sql: `select * from public.test;`, expect: { columns: ['data'], rows: [] } },
  // -- valid interval jobs
  { sql: `SELECT cron.schedule('1 second', 'SELECT 1'); `, expect: one('schedule', '1') },
  { sql: `SELECT cron.schedule(' 30 sEcOnDs ', 'SELECT 1'); `, expect: one('schedule', '2') },
  { sql: `SELECT cron.schedule('59 seconds', 'SELECT 1'); `, expect: one('schedule', '3') },
  { sql: `SELECT cron.schedule('17  seconds ', 'SELECT 1'); `, expect: one('schedule', '4') },
  {
    sql: `SELECT jobid, jobname, schedule, command FROM cron.job ORDER BY jobid;`,
    expect: { columns: JOB_COLUMNS, rows: INTERVAL_JOBS },
  },
  // -- valid last of day job
  { sql: `SELECT cron.schedule('last-day-of-month-job1', '0 11 $ * *', 'SELECT 1');`, expect: one('schedule', '5') },
  {
    sql: `SELECT jobid, jobname, schedule, command FROM cron.job ORDER BY jobid;`,
    expect: {
      columns: JOB_COLUMNS,
      rows: [...INTERVAL_JOBS, ['5', 'last-day-of-month-job1', '0 11 $ * *', 'SELECT 1']],
    },
  },
  // -- invalid last of day job
  { sql: `SELECT cron.schedule('bad-last-dom-job1', '0 11 $foo * *', 'VACUUM FULL');`, expect: invalid('0 11 $foo * *') },
  // -- cleaning
  ...dropExtension(null),
  { sql: `drop user pgcron_cront;`, expect: 'ok' },
  { sql: `drop user "CaseOwner";`, expect: 'ok' },
  { sql: `drop user caseowner;`, expect: 'ok' },
  { sql: `drop database pgcron_dbno;`, expect: 'ok' },
  { sql: `drop database pgcron_dbyes;`, expect: 'ok' },
];

/** Every value as text, as psql shows it: the protocol's text form, '' for NULL. */
const asText = { getTypeParser: () => (value: string) => value };

async function outcome(sql: string): Promise<Expected> {
  try {
    const result = await client.query({ text: sql, rowMode: 'array', types: asText });
    if (result.fields.length === 0) return 'ok';
    return { columns: result.fields.map((f) => f.name), rows: (result.rows as (string | null)[][]).map((row) => row.map((v) => v ?? '')) };
  } catch (error) {
    const e = error as pg.DatabaseError;
    if (e.where !== undefined) assert.fail(`${sql}: unexpected CONTEXT ${e.where}`);
    return {
      error: e.message,
      code: e.code ?? '',
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    };
  }
}

before(async () => {
  cluster = await startPgCluster();
  proxy = await startProxy({ upstream: cluster.url() });
  client = new pg.Client({ connectionString: proxy.url('postgres') });
  client.on('notice', (n) => notices.push(`${n.severity}: ${n.message}`));
  await client.connect();
});

after(async () => {
  await client?.end().catch(() => undefined);
  await proxy?.stop();
  cluster?.stop();
});

test("pg_cron's regression test, statement by statement, with its expected outputs", async () => {
  for (const step of STEPS) {
    notices.length = 0;
    assert.deepEqual(await outcome(step.sql), step.expect, step.sql);
    assert.deepEqual(notices, step.notices ?? [], `notices of ${step.sql}`);
  }
});
