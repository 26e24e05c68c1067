// pgml.deploy through the proxy: strategies most_recent, best_score, rollback, the algorithm
// filter, pgml.deploy(model_id), and the errors; plus the store's checksum check on model bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Queryable } from '../../src/db/queryable.js';
import { deployedModel, modelBytes } from '../../src/pgml/store/index.js';
import { describeTargets } from '../support/targets.js';

describeTargets('pgml.deploy', { proxyOnly: true, realPostgresOnly: true }, (target) => {
  let client: pg.Client;
  const ids: Record<string, number> = {};

  async function deployedId(): Promise<number> {
    const r = await client.query(`SELECT id FROM pgml.deployed_models WHERE name = 'deploy_project'`);
    return Number(r.rows[0].id);
  }

  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    // The target's own after hook may stop the server before ours ends the client.
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`CREATE TABLE deploy_data AS
      SELECT sin(i)::float8 AS x1, cos(i)::float8 AS x2, (4 * sin(i) + cos(i))::float8 AS y FROM generate_series(1, 120) AS i`);
    // A good linear model first, then a weak lasso (not auto-deployed), then a ridge without auto-deploy.
    for (const [algorithm, hyperparams, auto] of [
      ['linear', '{}', true],
      ['lasso', '{"alpha": 10}', true],
      ['ridge', '{"alpha": 0.01}', false],
    ] as const) {
      await client.query(
        `SELECT * FROM pgml.train('deploy_project', 'regression', 'deploy_data', 'y', $1, $2::jsonb, test_sampling => 'last', automatic_deploy => $3)`,
        [algorithm, hyperparams, auto],
      );
      const r = await client.query(`SELECT max(id) AS id FROM pgml.models`);
      ids[algorithm] = Number(r.rows[0].id);
    }
  });
  after(async () => {
    await client?.end();
  });

  test('auto-deploy kept the better model', async () => {
    assert.equal(await deployedId(), ids.linear);
  });

  test('most_recent, algorithm filter, best_score, rollback', async () => {
    const recent = await client.query(`SELECT * FROM pgml.deploy('deploy_project', 'most_recent')`);
    assert.deepEqual(recent.rows, [{ project: 'deploy_project', strategy: 'most_recent', algorithm: 'ridge' }]);
    assert.equal(await deployedId(), ids.ridge);

    const lasso = await client.query(`SELECT * FROM pgml.deploy('deploy_project', 'best_score', 'lasso')`);
    assert.equal(lasso.rows[0].algorithm, 'lasso');
    assert.equal(await deployedId(), ids.lasso);

    const best = await client.query(`SELECT * FROM pgml.deploy(project_name => 'deploy_project', strategy => 'best_score')`);
    assert.ok(['linear', 'ridge'].includes(best.rows[0].algorithm));
    const bestId = await deployedId();

    const rollback = await client.query(`SELECT * FROM pgml.deploy('deploy_project', 'rollback')`);
    assert.equal(rollback.rows[0].strategy, 'rollback');
    assert.equal(await deployedId(), ids.lasso);
    assert.notEqual(bestId, ids.lasso);

    const strategies = await client.query(
      `SELECT d.strategy::text AS s FROM pgml.deployments d JOIN pgml.projects p ON p.id = d.project_id
        WHERE p.name = 'deploy_project' ORDER BY d.id`,
    );
    assert.deepEqual(strategies.rows.map((r) => r.s), ['new_score', 'most_recent', 'best_score', 'best_score', 'rollback']);
  });

  test('pgml.deploy(model_id) deploys that model with strategy specific', async () => {
    const r = await client.query(`SELECT * FROM pgml.deploy($1::bigint)`, [ids.ridge]);
    assert.deepEqual(r.rows, [{ project: 'deploy_project', strategy: 'specific', algorithm: 'ridge' }]);
    assert.equal(await deployedId(), ids.ridge);
    const literal = await client.query(`SELECT * FROM pgml.deploy(${ids.linear})`);
    assert.equal(literal.rows[0].algorithm, 'linear');
  });

  test('errors: no qualified model, unknown project, strategy, model id', async () => {
    const cases: [string, string, RegExp][] = [
      [`SELECT * FROM pgml.deploy('deploy_project', 'best_score', 'xgboost')`, '42704', /^No qualified models exist for this deployment\.$/],
      [`SELECT * FROM pgml.deploy('no_such_project', 'most_recent')`, '42704', /does not exist/],
      [`SELECT * FROM pgml.deploy('deploy_project', 'sideways')`, '22023', /invalid strategy/],
      [`SELECT * FROM pgml.deploy(999999)`, '42704', /999999/],
    ];
    for (const [sql, code, message] of cases) {
      await assert.rejects(client.query(sql), (err: pg.DatabaseError) => {
        assert.equal(err.code, code, `${sql}: ${err.message}`);
        assert.match(err.message, message);
        return true;
      });
    }
    await client.query(`SELECT * FROM pgml.train('lonely', 'regression', 'deploy_data', 'y')`);
    await client.query(`SELECT * FROM pgml.deploy('lonely', 'most_recent')`);
    await assert.rejects(client.query(`SELECT * FROM pgml.deploy('lonely', 'rollback')`), {
      code: '42704',
      message: 'No qualified models exist for this deployment.',
    });
  });

  test('store: deployedModel and modelBytes on real Postgres; a damaged part is refused with XX001', async () => {
    const cluster = target().cluster;
    assert.ok(cluster);
    const direct = new pg.Client({ connectionString: cluster.url('postgres', undefined, target().database) });
    await direct.connect();
    const db: Queryable = {
      query: async <Row>(sql: string, params: readonly unknown[] = []) => {
        const r = await direct.query(sql, [...params]);
        return { fields: [], rows: r.rows as Row[], command: r.command, rowCount: r.rowCount ?? 0 };
      },
    };
    try {
      const model = await deployedModel(db, 'deploy_project');
      assert.equal(model.projectName, 'deploy_project');
      assert.equal(model.task, 'regression');
      assert.equal(model.numFeatures, 2);
      assert.ok(model.pipeline && model.pipeline.features.length === 2);
      assert.deepEqual(model.labels, { kind: 'values', columns: ['y'] });
      const bytes = await modelBytes(db, model.modelId);
      assert.ok(bytes.length > 0);
      await direct.query(`UPDATE pgml.files SET data = data || '\\x00'::bytea WHERE model_id = $1`, [model.modelId]);
      await assert.rejects(modelBytes(db, model.modelId), { code: 'XX001', message: /checksum mismatch/ });
      await assert.rejects(deployedModel(db, 'no_such_project'), { code: '42704' });
    } finally {
      await direct.end();
    }
  });
});
