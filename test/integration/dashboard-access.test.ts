// Issue 19, access: the dashboard reads through a Postgres session of the person looking, opened
// with their role and password through the proxy's listener. With row-level security on
// pgml.projects (pg_cron's own on cron.job), alice sees her project and job and not bob's; actions
// need the signed session cookie and the CSRF token; a wrong password is the upstream's 28P01.
// Embedded PGlite has no logins: it opens on loopback without one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, SCRAM_USER, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';

const SETUP = `
  CREATE ROLE alice LOGIN PASSWORD 'alice-pw'; CREATE ROLE bob LOGIN PASSWORD 'bob-pw';
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgml TO alice, bob;
  GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgml TO alice, bob;
  GRANT CREATE ON SCHEMA public TO alice, bob;
  -- pg_cron 1.6 revokes alter_job from PUBLIC: pausing from the dashboard needs it, as in psql.
  GRANT EXECUTE ON FUNCTION cron.alter_job(bigint, text, text, text, text, boolean) TO alice, bob;
  -- Each role reads only the projects named after it: the dashboard must show exactly that.
  ALTER TABLE pgml.projects ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own_projects ON pgml.projects USING (name LIKE current_user || '\\_%');`;

function dataFor(role: string): string {
  return `CREATE TABLE ${role}_data AS
    SELECT sin(i)::real AS a, cos(i)::real AS b, (sin(i) * 2 + cos(i))::real AS y FROM generate_series(1, 120) AS i`;
}

interface Answer {
  status: number;
  json: Record<string, unknown> & Record<string, unknown>[];
  cookie?: string;
}

describe('dashboard access [proxy-postgres]', { timeout: 300_000 }, () => {
  let cluster: PgCluster;
  let proxy: ProxyProcess;
  let base: string;
  let admin: pg.Client;

  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetch(`${base}/dashboard/api/${path}`, init);
    const text = await response.text();
    const cookie = response.headers.get('set-cookie')?.split(';')[0];
    return { status: response.status, json: text === '' ? ({} as Answer['json']) : JSON.parse(text), ...(cookie ? { cookie } : {}) };
  };
  const login = async (user: string, password: string): Promise<{ cookie: string; csrf: string }> => {
    const answer = await call('login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return { cookie: answer.cookie!, csrf: answer.json.csrf as string };
  };
  const asRole = async (role: string): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: proxy.url(role, `${role}-pw`, 'dashboard') });
    client.on('notice', () => {});
    await client.connect();
    return client;
  };

  before(async () => {
    cluster = await startPgCluster();
    await createDatabase(cluster, 'dashboard');
    proxy = await startProxy({ upstream: cluster.url('postgres', undefined, 'dashboard'), http: true });
    base = proxy.httpUrl!;
    admin = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'dashboard') });
    await admin.connect();
    await admin.query(SETUP);
    for (const role of ['alice', 'bob']) {
      const client = await asRole(role);
      await client.query(dataFor(role));
      await client.query(`SELECT * FROM pgml.train('${role}_proj', 'regression', '${role}_data', 'y')`);
      await client.query(`SELECT cron.schedule('${role}_nightly', '0 3 * * *', 'SELECT 1')`);
      await client.end();
    }
  });

  after(async () => {
    await admin?.end().catch(() => {});
    await proxy?.stop();
    cluster?.stop();
  });

  test('a role sees only its own projects, models and jobs', async () => {
    const alice = await login('alice', 'alice-pw');
    const headers = { Cookie: alice.cookie };
    const projects = await call('projects', { headers });
    assert.equal(projects.status, 200);
    assert.deepEqual(projects.json.map((p) => p.name), ['alice_proj']);
    const own = await call('projects/alice_proj', { headers });
    assert.equal(own.status, 200);
    assert.equal((own.json.models as unknown[]).length, 1);

    const bobs = await call('projects/bob_proj', { headers });
    assert.equal(bobs.status, 404);
    const bobModel = (await admin.query<{ id: string }>(`SELECT m.id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'bob_proj'`)).rows[0]!.id;
    assert.equal((await call(`models/${bobModel}`, { headers })).status, 404);

    const jobs = await call('jobs', { headers });
    assert.equal(jobs.status, 200);
    assert.deepEqual(jobs.json.map((j) => [j.jobname, j.username]), [['alice_nightly', 'alice']]);
  });

  test('a wrong password is refused by the upstream, and no cookie is set', async () => {
    const answer = await call('login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: SCRAM_USER.user, password: 'not-the-password' }),
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.json.code, '28P01');
    assert.equal(answer.cookie, undefined);
    const right = await login(SCRAM_USER.user, SCRAM_USER.password);
    assert.equal((await call('session', { headers: { Cookie: right.cookie } })).json.role, SCRAM_USER.user);
  });

  test('actions need a valid session and its CSRF token; with both, pause and deploy run as the user', async () => {
    const alice = await login('alice', 'alice-pw');
    const jobId = (await admin.query<{ jobid: string }>(`SELECT jobid FROM cron.job WHERE jobname = 'alice_nightly'`)).rows[0]!.jobid;
    const pause = (headers: Record<string, string>) => call(`jobs/${jobId}/pause`, { method: 'POST', headers });
    const active = async () => (await admin.query<{ active: boolean }>('SELECT active FROM cron.job WHERE jobid = $1', [jobId])).rows[0]!.active;

    assert.equal((await pause({ 'X-CSRF-Token': alice.csrf })).status, 401, 'no cookie');
    const [id, signature] = alice.cookie.split('=')[1]!.split('.');
    assert.equal((await pause({ Cookie: `pgml_dashboard=${id}.${signature!.slice(1)}x`, 'X-CSRF-Token': alice.csrf })).status, 401, 'forged signature');
    assert.equal((await pause({ Cookie: alice.cookie })).status, 403, 'no CSRF token');
    assert.equal((await pause({ Cookie: alice.cookie, 'X-CSRF-Token': 'guess' })).status, 403, 'wrong CSRF token');
    assert.equal((await pause({ Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf, Origin: 'http://evil.example' })).status, 403, 'cross-origin');
    assert.equal(await active(), true);

    const paused = await pause({ Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf });
    assert.equal(paused.status, 200, JSON.stringify(paused.json));
    assert.equal(await active(), false);

    // Bob's job is not alice's to pause: cron.alter_job refuses her, as in psql.
    const bobJob = (await admin.query<{ jobid: string }>(`SELECT jobid FROM cron.job WHERE jobname = 'bob_nightly'`)).rows[0]!.jobid;
    const refused = await call(`jobs/${bobJob}/pause`, { method: 'POST', headers: { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf } });
    assert.ok(refused.status >= 400 && refused.status < 500, JSON.stringify(refused.json));
    assert.ok(typeof refused.json.code === 'string');
    assert.equal((await admin.query('SELECT active FROM cron.job WHERE jobid = $1', [bobJob])).rows[0].active, true);

    const modelId = (await admin.query<{ id: string }>(`SELECT m.id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'alice_proj'`)).rows[0]!.id;
    const deployed = await call(`models/${modelId}/deploy`, { method: 'POST', headers: { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf } });
    assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
    const last = await admin.query(`SELECT strategy::text FROM pgml.deployments WHERE model_id = $1 ORDER BY id DESC LIMIT 1`, [modelId]);
    assert.equal(last.rows[0].strategy, 'specific');

    const out = await call('logout', { method: 'POST', headers: { Cookie: alice.cookie, 'X-CSRF-Token': alice.csrf } });
    assert.equal(out.status, 204);
    assert.equal((await call('projects', { headers: { Cookie: alice.cookie } })).status, 401);
  });

  test('a session whose connection is terminated ends: the next request asks for a login again', async () => {
    const alice = await login('alice', 'alice-pw');
    assert.equal((await call('projects', { headers: { Cookie: alice.cookie } })).status, 200);
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'alice' AND application_name = 'pgml-proxy-dashboard'`);
    assert.ok(killed.rows.length >= 1);
    // The request that meets the dropped connection gets Postgres's error (57P01) or the login prompt; the next one the prompt.
    const first = await call('projects', { headers: { Cookie: alice.cookie } });
    assert.ok(first.status === 503 || first.status === 401, JSON.stringify(first.json));
    assert.equal((await call('projects', { headers: { Cookie: alice.cookie } })).status, 401);
    const again = await login('alice', 'alice-pw');
    assert.equal((await call('projects', { headers: { Cookie: again.cookie } })).status, 200);
  });

  test('without a login there is nothing to read', async () => {
    assert.equal((await call('session')).status, 401);
    assert.equal((await call('projects')).status, 401);
  });
});

describe('dashboard access [proxy-pglite]', { timeout: 300_000 }, () => {
  let proxy: ProxyProcess;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pgml-dashboard-'));
    proxy = await startProxy({ dataDir, http: true });
  });

  after(async () => {
    await proxy?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('opens without a login on loopback, as postgres; actions still need the CSRF token', async () => {
    const session = await fetch(`${proxy.httpUrl}/dashboard/api/session`);
    assert.equal(session.status, 200);
    const body = (await session.json()) as { role: string; csrf: string; embedded: boolean };
    assert.equal(body.role, 'postgres');
    assert.equal(body.embedded, true);
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    assert.match(session.headers.get('set-cookie')!, /HttpOnly; SameSite=Strict/);
    assert.equal((await fetch(`${proxy.httpUrl}/dashboard/api/projects`, { headers: { Cookie: cookie } })).status, 200);
    assert.equal((await fetch(`${proxy.httpUrl}/dashboard/api/logout`, { method: 'POST', headers: { Cookie: cookie } })).status, 403);
    // A name that is not the loopback (DNS rebinding) gets no session without a login.
    const rebound = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${proxy.httpUrl}/dashboard/api/session`);
      http
        .get({ host: url.hostname, port: url.port, path: url.pathname, headers: { Host: 'attacker.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(rebound, 403);
  });
});
