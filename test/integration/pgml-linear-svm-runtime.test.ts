// linear_svm says what trained it: liblinear (runtime native) when it is installed, otherwise the
// TypeScript port with an INFO notice saying why (here: PGML_LIBLINEAR_LIB naming a missing file),
// recorded in pgml.models.runtime either way, and the model predicts the same way afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { liblinearStatus } from '../../src/pgml/engines/liblinear.js';
import { noticingClient, type Notice } from '../support/pg-client.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { describeTargets } from '../support/targets.js';

const TABLE = `
  CREATE TABLE svm_binary AS
  SELECT sin(i)::float8 AS x1, cos(i * 1.3)::float8 AS x2, ((i % 11) / 11.0)::float8 AS x3,
         (sin(i) + cos(i * 1.3) > 0.2) AS label
    FROM generate_series(1, 160) AS i;`;

const nativeSkip = liblinearStatus().status === 'loaded' ? false : 'liblinear 2.3 (Debian: liblinear4) is not installed';

describeTargets('linear_svm runtimes', { proxyOnly: true, realPostgresOnly: true }, (target) => {
  let client: pg.Client;
  let missing: ProxyProcess | undefined;
  let fallback: pg.Client | undefined;
  const notices: Notice[] = [];
  const fallbackNotices: Notice[] = [];
  before(async () => {
    client = await noticingClient(target().url(), notices);
    await client.query(TABLE);
    missing = await startProxy({
      upstream: target().cluster!.url('postgres', undefined, target().database),
      env: { PGML_LIBLINEAR_LIB: '/nonexistent/liblinear.so.4' },
    });
    fallback = await noticingClient(missing.url('postgres', undefined, target().database), fallbackNotices);
  });
  after(async () => {
    await fallback?.end();
    await missing?.stop();
    await client?.end();
  });

  async function train(db: pg.Client, project: string, hyperparams: string): Promise<{ runtime: string; metrics: Record<string, number> }> {
    await db.query(`SELECT * FROM pgml.train($1, 'classification', 'svm_binary', 'label', 'linear_svm', hyperparams => $2::jsonb, test_sampling => 'last')`, [project, hyperparams]);
    const r = await db.query(
      `SELECT m.runtime::text AS runtime, m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
      [project],
    );
    return r.rows[0];
  }

  const portNotices = (list: Notice[]) => list.filter((n) => n.message.includes("TypeScript port of liblinear"));

  test('trains on liblinear when it is installed, without a notice', { skip: nativeSkip }, async () => {
    notices.length = 0;
    const { runtime, metrics } = await train(client, 'svm_native', '{"random_state": 0}');
    assert.equal(runtime, 'native');
    assert.ok(metrics.accuracy! > 0.8, `accuracy ${metrics.accuracy}`);
    assert.deepEqual(portNotices(notices), []);
    const p = await client.query(`SELECT pgml.predict('svm_native', ARRAY[1.0, 0.5, 0.2]::float8[]) AS p`);
    assert.ok([0, 1].includes(p.rows[0].p));
  });

  test('max_iter other than 1000 trains on the port, and the notice says why', { skip: nativeSkip }, async () => {
    notices.length = 0;
    const { runtime } = await train(client, 'svm_max_iter', '{"random_state": 0, "max_iter": 500}');
    assert.equal(runtime, 'js');
    assert.match(portNotices(notices)[0]?.message ?? '', /max_iter/);
  });

  test('with PGML_LIBLINEAR_LIB naming a missing file: the port, an INFO notice naming the file, runtime js', async () => {
    const { runtime, metrics } = await train(fallback!, 'svm_fallback', '{"random_state": 0}');
    assert.equal(runtime, 'js');
    assert.ok(metrics.accuracy! > 0.8, `accuracy ${metrics.accuracy}`);
    const [notice] = portNotices(fallbackNotices);
    assert.equal(notice?.severity, 'INFO');
    assert.match(notice!.message, /\/nonexistent\/liblinear\.so\.4: no such file \(PGML_LIBLINEAR_LIB\)/);
    const p = await fallback!.query(`SELECT pgml.predict('svm_fallback', ARRAY[1.0, 0.5, 0.2]::float8[]) AS p`);
    assert.ok([0, 1].includes(p.rows[0].p));
  });
});
