// Issue 12 §1: the shared model cache never answers a role that could not read the deployment,
// model and files through the upstream itself. Grants and revokes between calls, from other
// sessions, over SQL, per row and over /rpc with a JWT; role membership; SET ROLE and friends
// inside a session; privileges changed directly on the upstream. Real Postgres only: embedded
// PGlite has no logins (every client is `postgres`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import pg from 'pg';
import { createDatabase, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { freePort } from '../support/ports.js';
import { RawConnection, errorFields, extendedQueryMessages, queryMessage, syncMessage } from '../support/raw-wire.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const PREDICT = `SELECT pgml.predict('alice_proj', ARRAY[0.1, 0.2, 0.3]::real[])`;
const PER_ROW = `SELECT pgml.predict('alice_proj', ARRAY[a, b, c]::real[]) AS p FROM points ORDER BY id`;
const READ_MODELS = 'SELECT ON pgml.projects, pgml.deployments, pgml.models, pgml.files';

const SETUP = `
  CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE readers NOLOGIN;
  CREATE TABLE alice_data AS
    SELECT sin(i)::real AS a, cos(i)::real AS b, (i % 7)::real AS c, (sin(i) * 2 + cos(i))::real AS y
      FROM generate_series(1, 200) AS i;
  CREATE TABLE points AS SELECT i AS id, (i / 10.0)::real AS a, 0.2::real AS b, 0.3::real AS c FROM generate_series(1, 3) AS i;
  GRANT SELECT ON points TO PUBLIC;
  CREATE FUNCTION become(role_name text) RETURNS text LANGUAGE sql AS $$ SELECT set_config('role', role_name, false) $$;
  CREATE FUNCTION become_bob() RETURNS void LANGUAGE plpgsql AS $$ BEGIN SET ROLE bob; END $$;
  CREATE FUNCTION predict_alice() RETURNS TABLE(prediction real) LANGUAGE sql
    AS $$ SELECT pgml.predict('alice_proj', ARRAY[0.1, 0.2, 0.3]::real[]) AS prediction $$;
  GRANT SELECT ON pgml.projects, pgml.deployments, pgml.models, pgml.files TO alice;`;

function sqlState(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

function token(role: string): Promise<string> {
  return new SignJWT({ role, exp: Math.floor(Date.now() / 1000) + 600 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(SECRET));
}

describe('cached models obey privileges [proxy-postgres]', { timeout: 300_000 }, () => {
  let cluster: PgCluster;
  let proxy: ProxyProcess;
  let httpBase: string;
  let admin: pg.Client;
  let alice: pg.Client;
  let bob: pg.Client;
  let expected: number;

  const connect = async (user: string): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: proxy.url(user, undefined, 'privileges') });
    await client.connect();
    return client;
  };
  const predictAs = async (client: pg.Client): Promise<number> => (await client.query<{ predict: number }>(PREDICT)).rows[0]!.predict;
  const rpcAs = async (role: string): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(`${httpBase}/rpc/predict_alice`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await token(role)}` },
      body: '{}',
    });
    const text = await response.text();
    return { status: response.status, json: JSON.parse(text) as unknown };
  };

  before(async () => {
    cluster = await startPgCluster();
    await createDatabase(cluster, 'privileges');
    const httpPort = await freePort();
    proxy = await startProxy({
      upstream: cluster.url('postgres', undefined, 'privileges'),
      extraArgs: ['--http', `127.0.0.1:${httpPort}`, '--jwt-secret', SECRET],
    });
    httpBase = `http://127.0.0.1:${httpPort}`;
    admin = await connect('postgres');
    admin.on('notice', () => {});
    await admin.query(SETUP);
    await admin.query(`SELECT * FROM pgml.train('alice_proj', 'regression', 'alice_data', 'y')`);
    alice = await connect('alice');
    bob = await connect('bob');
  });

  after(async () => {
    for (const client of [alice, bob, admin]) await client?.end().catch(() => {});
    await proxy?.stop();
    cluster?.stop();
  });

  test('a fresh cache and a warm one both refuse bob until he is granted, from other sessions, between calls', async () => {
    await assert.rejects(predictAs(bob), sqlState('42501'));
    expected = await predictAs(alice);
    // The model is cached now: bob's same query must still be refused.
    await assert.rejects(predictAs(bob), sqlState('42501'));
    await admin.query(`GRANT ${READ_MODELS} TO bob`);
    assert.equal(await predictAs(bob), expected);
    assert.equal(await predictAs(bob), expected);
    await admin.query(`REVOKE ${READ_MODELS} FROM bob`);
    await assert.rejects(predictAs(bob), sqlState('42501'));
    await assert.rejects(predictAs(bob), sqlState('42501'));
    await admin.query(`GRANT ${READ_MODELS} TO bob`);
    assert.equal(await predictAs(bob), expected);
    // Alice was never affected.
    assert.equal(await predictAs(alice), expected);
  });

  test('by model id too, and a privilege on one table short is enough to refuse', async () => {
    const { rows } = await admin.query<{ id: string }>(`SELECT id FROM pgml.deployed_models WHERE name = 'alice_proj'`);
    const byId = `SELECT pgml.predict(${rows[0]!.id}, ARRAY[0.1, 0.2, 0.3]::real[])`;
    assert.equal((await bob.query(byId)).rows[0].predict, expected);
    await admin.query('REVOKE SELECT ON pgml.files FROM bob');
    await assert.rejects(bob.query(byId), sqlState('42501'));
    await assert.rejects(predictAs(bob), sqlState('42501'));
    await admin.query('GRANT SELECT ON pgml.files TO bob');
    assert.equal((await bob.query(byId)).rows[0].predict, expected);
  });

  test('per row: grant, revoke and re-grant between calls', async () => {
    const granted = await bob.query<{ p: number }>(PER_ROW);
    assert.equal(granted.rows.length, 3);
    assert.equal(granted.rows[0]!.p, (await alice.query<{ p: number }>(PER_ROW)).rows[0]!.p);
    await admin.query(`REVOKE ${READ_MODELS} FROM bob`);
    await assert.rejects(bob.query(PER_ROW), sqlState('42501'));
    await admin.query(`GRANT ${READ_MODELS} TO bob`);
    assert.equal((await bob.query<{ p: number }>(PER_ROW)).rows.length, 3);
  });

  test('over /rpc with a JWT carrying role bob', async () => {
    const granted = await rpcAs('bob');
    assert.equal(granted.status, 200, JSON.stringify(granted.json));
    assert.deepEqual(granted.json, [{ prediction: expected }]);
    await admin.query(`REVOKE ${READ_MODELS} FROM bob`);
    const refused = await rpcAs('bob');
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    assert.equal((refused.json as { code: string }).code, '42501');
    await admin.query(`GRANT ${READ_MODELS} TO bob`);
    assert.deepEqual((await rpcAs('bob')).json, [{ prediction: expected }]);
  });

  test('a role that reads through a role membership, granted and revoked', async () => {
    await admin.query(`GRANT ${READ_MODELS} TO readers`);
    const carol = await connect('carol');
    try {
      await assert.rejects(predictAs(carol), sqlState('42501'));
      await admin.query('GRANT readers TO carol');
      assert.equal(await predictAs(carol), expected);
      await admin.query('REVOKE readers FROM carol');
      await assert.rejects(predictAs(carol), sqlState('42501'));
      await admin.query('GRANT readers TO carol');
      assert.equal(await predictAs(carol), expected);
    } finally {
      await carol.end();
    }
  });

  test('SET ROLE, SET SESSION AUTHORIZATION, RESET ROLE and SET LOCAL ROLE inside one session', async () => {
    await admin.query(`REVOKE ${READ_MODELS} FROM bob`);
    const session = await connect('postgres');
    try {
      assert.equal(await predictAs(session), expected);
      await session.query('SET ROLE bob');
      await assert.rejects(predictAs(session), sqlState('42501'));
      await session.query('RESET ROLE');
      assert.equal(await predictAs(session), expected);
      await session.query('SET SESSION AUTHORIZATION bob');
      await assert.rejects(predictAs(session), sqlState('42501'));
      await session.query('RESET SESSION AUTHORIZATION');
      assert.equal(await predictAs(session), expected);
      await session.query('BEGIN');
      await session.query('SET LOCAL ROLE bob');
      await assert.rejects(predictAs(session), sqlState('42501'));
      await session.query('ROLLBACK');
      assert.equal(await predictAs(session), expected);
      // A transaction that commits a SET LOCAL ROLE leaves the role as it was.
      await session.query('BEGIN; SET LOCAL ROLE alice; COMMIT');
      await session.query('SET ROLE bob');
      await assert.rejects(predictAs(session), sqlState('42501'));
    } finally {
      await session.end();
    }
  });

  test('a role changed inside a called function (set_config, SET in PL/pgSQL) is the role the next call checks', async () => {
    await admin.query(`REVOKE ${READ_MODELS} FROM bob`);
    const session = await connect('postgres');
    try {
      // Each time the model is cached and this session's answer remembered before the role changes.
      assert.equal(await predictAs(session), expected);
      await session.query(`SELECT become('bob')`);
      await assert.rejects(predictAs(session), sqlState('42501'));
      await session.query('RESET ROLE');
      assert.equal(await predictAs(session), expected);
      await session.query('SELECT become_bob()');
      await assert.rejects(predictAs(session), sqlState('42501'));
      await session.query('RESET ROLE');
      assert.equal(await predictAs(session), expected);
      await session.query(`SELECT 1 AS before; SELECT become('bob')`);
      await assert.rejects(predictAs(session), sqlState('42501'));
    } finally {
      await session.end();
    }
  });

  test('in a pipeline, a call evaluated at Bind checks the role an earlier Execute of the same pipeline set', async () => {
    await admin.query(`REVOKE ${READ_MODELS} FROM bob`);
    const raw = await RawConnection.open(proxy.host, proxy.port);
    try {
      await raw.startup('postgres', 'privileges');
      // The session's answer for the model is remembered before the pipeline.
      raw.write(queryMessage(PREDICT));
      assert.ok((await raw.readUntil('Z')).some((m) => m.type === 'D'));
      // One write: the predict's Bind reaches the proxy before the upstream has run become('bob').
      raw.write(Buffer.concat([extendedQueryMessages(`SELECT become('bob')`), extendedQueryMessages(PREDICT), syncMessage()]));
      const answers = await raw.readUntil('Z');
      const error = answers.find((m) => m.type === 'E');
      assert.ok(error, `expected 42501, got ${answers.map((m) => m.type).join(',')}`);
      assert.equal(errorFields(error).C, '42501');
      assert.equal(answers.filter((m) => m.type === 'C').length, 1, 'become(bob) ran, the prediction did not');
    } finally {
      raw.destroy();
    }
  });

  test('privileges changed directly on the upstream reach the cache (event trigger of migration 0011)', async () => {
    await admin.query(`GRANT ${READ_MODELS} TO bob`);
    assert.equal(await predictAs(bob), expected);
    const direct = new pg.Client({ connectionString: cluster.url('postgres', undefined, 'privileges') });
    await direct.connect();
    try {
      await direct.query(`REVOKE ${READ_MODELS} FROM bob`);
    } finally {
      await direct.end();
    }
    // The notification travels on its own connection: wait until it has landed, then bob stays refused.
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      refused = await predictAs(bob).then(
        () => false,
        (error: { code?: string }) => error.code === '42501',
      );
      if (!refused) await sleep(50);
    }
    assert.ok(refused, 'bob was still answered after a direct REVOKE');
    await assert.rejects(predictAs(bob), sqlState('42501'));
  });
});
