// Issue 12 §3: a running pgml.train stops with 57014 on CancelRequest, on statement_timeout and
// when its client goes away, its fit's worker is stopped (the engine-task gauge of /metrics falls
// back to zero) and nothing is left registered; absurd hyperparameters are refused up front.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeTargets, type Target } from '../support/targets.js';

// Minutes of work if nothing stopped it: 10,000 trees (the limit) over 4,000 rows.
const SLOW_TRAIN = `SELECT * FROM pgml.train('slow', 'regression', 'slow_data', 'y', 'random_forest', hyperparams => '{"n_estimators": 10000}')`;

/** A CancelRequest on a fresh connection, as libpq's PQcancel sends it. */
function sendCancel(target: Target, client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host, () => socket.end(packet));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

/** The pgml_proxy_engine_tasks gauge: operations on (or waiting for) an engine worker. */
async function engineTasks(target: Target): Promise<number> {
  const text = await (await fetch(`${target.proxy!.httpUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('pgml_proxy_engine_tasks{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** Waits for a condition that must come true soon; fails after ~20 s. */
async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

describeTargets('stopping pgml.train', { proxyOnly: true, http: true }, (target) => {
  let admin: pg.Client;
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: target().url() });
    client.on('notice', () => {});
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const registry = async (): Promise<Record<string, unknown>> =>
    (
      await admin.query(`SELECT (SELECT count(*) FROM pgml.projects) AS projects, (SELECT count(*) FROM pgml.models) AS models,
        (SELECT count(*) FROM pgml.snapshots) AS snapshots, (SELECT count(*) FROM pgml.deployments) AS deployments,
        (SELECT count(*) FROM pgml.files) AS files`)
    ).rows[0];
  /** Starts the slow training on `client`; resolves once its fit runs on a worker, with the training's error. */
  const startSlowTraining = async (client: pg.Client): Promise<{ outcome: Promise<unknown> }> => {
    const outcome = client.query(SLOW_TRAIN).then(
      () => assert.fail('the training was not stopped'),
      (error: unknown) => error,
    );
    await until('the fit runs on a worker', async () => (await engineTasks(target())) > 0);
    return { outcome };
  };

  before(async () => {
    admin = await connect();
    await admin.query(`CREATE TABLE slow_data AS
      SELECT sin(i)::real AS a, cos(i)::real AS b, (i % 13)::real AS c, sin(i * 0.3)::real AS d, (sin(i) + cos(i * 0.7))::real AS y
        FROM generate_series(1, 4000) AS i`);
  });
  after(async () => {
    await admin.end();
  });

  it('CancelRequest stops a running training with 57014 and leaves nothing registered', async () => {
    const before = await registry();
    const client = await connect();
    try {
      const { outcome } = await startSlowTraining(client);
      await sendCancel(target(), client);
      const error = (await outcome) as { code?: string; message?: string };
      assert.equal(error.code, '57014', String(error));
      assert.equal(error.message, 'canceling statement due to user request');
      await until('the fit worker stopped', async () => (await engineTasks(target())) === 0);
      assert.deepEqual(await registry(), before);
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await client.end();
    }
  });

  it('statement_timeout stops a running training with 57014', async () => {
    const before = await registry();
    const client = await connect();
    try {
      await client.query(`SET statement_timeout = '3s'`);
      const error = (await client.query(SLOW_TRAIN).then(
        () => assert.fail('the training outlived statement_timeout'),
        (e: unknown) => e,
      )) as { code?: string; message?: string };
      assert.equal(error.code, '57014', String(error));
      assert.equal(error.message, 'canceling statement due to statement timeout');
      await client.query('RESET statement_timeout');
      await until('the fit worker stopped', async () => (await engineTasks(target())) === 0);
      assert.deepEqual(await registry(), before);
    } finally {
      await client.end();
    }
  });

  it('a client that closes its connection stops its training', async () => {
    const before = await registry();
    const client = await connect();
    const { outcome } = await startSlowTraining(client);
    (client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    await outcome;
    await until('the fit worker stopped', async () => (await engineTasks(target())) === 0);
    assert.deepEqual(await registry(), before);
  });

  it('trains normally after stopped trainings (their workers were replaced)', async () => {
    const { rows } = await admin.query(`SELECT * FROM pgml.train('quick', 'regression', 'slow_data', 'y', 'random_forest', hyperparams => '{"n_estimators": 5}')`);
    assert.equal(rows[0].project, 'quick');
  });

  it('refuses absurd hyperparameters up front with 22023 naming the limit', async () => {
    const before = await registry();
    await assert.rejects(
      admin.query(`SELECT * FROM pgml.train('absurd', 'regression', 'slow_data', 'y', 'xgboost', hyperparams => '{"n_estimators": 1000000000}')`),
      (error: { code?: string; message?: string }) =>
        error.code === '22023' && error.message === 'hyperparameter n_estimators for xgboost must be at most 10000, got 1000000000',
    );
    await assert.rejects(
      admin.query(`SELECT * FROM pgml.train('absurd', 'regression', 'slow_data', 'y', 'random_forest', hyperparams => '{"max_depth": -3}')`),
      (error: { code?: string; message?: string }) =>
        error.code === '22023' && error.message === 'hyperparameter max_depth for random_forest must be at least 0, got -3',
    );
    await assert.rejects(
      admin.query(`SELECT * FROM pgml.train('absurd', 'regression', 'slow_data', 'y', 'xgboost', search => 'grid',
        search_params => '{"n_estimators": [10, 20000]}')`),
      (error: { code?: string; message?: string }) => error.code === '22023' && /at most 10000, got 20000/.test(error.message ?? ''),
    );
    assert.deepEqual(await registry(), before);
  });

  it('hyperparams with NaN are invalid JSON, in Postgres words', async () => {
    await assert.rejects(
      admin.query(`SELECT * FROM pgml.train('nan', 'regression', 'slow_data', 'y', 'ridge', hyperparams => '{"alpha": NaN}')`),
      (error: { code?: string; message?: string }) => error.code === '22P02' && error.message === 'invalid input syntax for type json',
    );
  });
});
