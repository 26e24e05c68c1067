// The Tembo ML Stack walkthrough's functions exactly as users copy them (issue 11; only the model
// name is the offline wink/sg-100d): predict_clickbait, whose body wraps pgml.embed in a scalar
// subquery and passes arguments by name, over psql, node-postgres (simple and extended protocol)
// and POST /rpc; the same call written at top level; and every answer compared with the constant
// call pgml.predict('clickbait_classifier', pgml.embed('wink/sg-100d', '<headline>')).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';
import { execCapture } from '../support/exec.js';
import { headlinesTable, MODEL_TRAIN, NEWS_HEADLINE, SEED_HEADLINE } from '../support/clickbait.js';
import { describeTargets } from '../support/targets.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';

// Byte for byte the walkthrough's text, but for the model name.
const PREDICT_CLICKBAIT = `CREATE OR REPLACE FUNCTION predict_clickbait(
    input_string text
) RETURNS TABLE(is_clickbait REAL) LANGUAGE sql AS $$
    SELECT pgml.predict(
        project_name => 'clickbait_classifier',
        features => (select pgml.embed(
            'wink/sg-100d',
            input_string
        ))
    )
$$;`;

const TOP_LEVEL = `SELECT pgml.predict(
        project_name => 'clickbait_classifier',
        features => (select pgml.embed(
            'wink/sg-100d',
            'HEADLINE'
        ))
    )`;

describeTargets('the walkthrough functions, verbatim', { proxyOnly: true, http: true, proxyArgs: ['--anon-role', 'postgres'] }, (target) => {
  let client: pg.Client;
  /** headline -> the model's answer by a constant call. */
  const expected = new Map<string, number>();
  let headlines: string[] = [];

  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(headlinesTable('walkthrough_headlines'));
    await client.query(`CREATE TABLE walkthrough_train AS
      SELECT pgml.embed('wink/sg-100d', headline)::real[] AS embedding, is_clickbait FROM walkthrough_headlines`);
    await client.query(`SELECT * FROM pgml.train(project_name => 'clickbait_classifier', algorithm => 'xgboost', task => 'classification',
      relation_name => 'walkthrough_train', y_column_name => 'is_clickbait', test_sampling => 'last')`);
    await client.query(PREDICT_CLICKBAIT);
    headlines = (await client.query('SELECT headline FROM walkthrough_headlines ORDER BY headline')).rows.map((r) => r.headline);
    for (const headline of headlines) {
      const literal = headline.replaceAll("'", "''");
      const r = await client.query(`SELECT pgml.predict('clickbait_classifier', pgml.embed('wink/sg-100d', '${literal}')) AS v`);
      expected.set(headline, r.rows[0].v);
    }
  });
  after(async () => {
    await client.end();
  });

  test('the seed headline, which the model was trained on, is clickbait', () => {
    assert.equal(expected.get(SEED_HEADLINE), 1);
  });

  test('psql: SELECT * FROM predict_clickbait(...) and SELECT predict_clickbait(...)', async () => {
    for (const sql of [`SELECT * FROM predict_clickbait('${SEED_HEADLINE}')`, `SELECT predict_clickbait('${SEED_HEADLINE}')`]) {
      const r = await execCapture(PSQL, ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', target().url(), '-c', sql]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), String(expected.get(SEED_HEADLINE)), sql);
    }
  });

  test('node-postgres, simple and extended protocol', async () => {
    const news = expected.get(NEWS_HEADLINE);
    assert.deepEqual((await client.query(`SELECT * FROM predict_clickbait('${NEWS_HEADLINE}')`)).rows, [{ is_clickbait: news }]);
    assert.deepEqual((await client.query(`SELECT predict_clickbait('${NEWS_HEADLINE}')`)).rows, [{ predict_clickbait: news }]);
    assert.deepEqual((await client.query('SELECT * FROM predict_clickbait($1)', [NEWS_HEADLINE])).rows, [{ is_clickbait: news }]);
    assert.deepEqual((await client.query('SELECT predict_clickbait($1)', [SEED_HEADLINE])).rows, [{ predict_clickbait: 1 }]);
  });

  test('POST /rest/v1/rpc/predict_clickbait', async () => {
    const reply = await fetch(`${target().proxy!.httpUrl}/rpc/predict_clickbait`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ input_string: SEED_HEADLINE }),
    });
    const text = await reply.text();
    assert.equal(reply.status, 200, text);
    assert.deepEqual(JSON.parse(text), [{ is_clickbait: 1 }]);
  });

  test('the same call written at top level, with constants and with parameters', async () => {
    const constant = await client.query(TOP_LEVEL.replace('HEADLINE', NEWS_HEADLINE));
    assert.deepEqual(constant.rows, [{ predict: expected.get(NEWS_HEADLINE) }]);
    const bound = await client.query(TOP_LEVEL.replace("'HEADLINE'", '$1'), [SEED_HEADLINE]);
    assert.deepEqual(bound.rows, [{ predict: 1 }]);
    // Every argument bound, the nested call's too.
    const nested = 'SELECT pgml.predict($1, (SELECT pgml.embed($2, $3)))';
    for (const headline of [SEED_HEADLINE, NEWS_HEADLINE]) {
      const all = await client.query(nested, ['clickbait_classifier', 'wink/sg-100d', headline]);
      assert.deepEqual(all.rows, [{ predict: expected.get(headline) }], headline);
    }
    const sql = postgres(target().url());
    try {
      const all = await sql.unsafe(nested, ['clickbait_classifier', 'wink/sg-100d', NEWS_HEADLINE]);
      assert.deepEqual([...all], [{ predict: expected.get(NEWS_HEADLINE) }]);
    } finally {
      await sql.end();
    }
  });

  test('per row: the function and the top-level form over every headline', async () => {
    const inlined = await client.query('SELECT headline, predict_clickbait(headline) AS v FROM walkthrough_headlines ORDER BY headline');
    assert.deepEqual(inlined.rows, headlines.map((headline) => ({ headline, v: expected.get(headline) })));
    const topLevel = await client.query(`${TOP_LEVEL.replace("'HEADLINE'", 'headline')} AS v, headline FROM walkthrough_headlines ORDER BY headline`);
    assert.deepEqual(topLevel.rows, headlines.map((headline) => ({ headline, v: expected.get(headline) })));
  });

  test('psql: SELECT model_train() retrains the project, as a scheduled job would', async () => {
    await client.query(MODEL_TRAIN);
    const models = async (): Promise<number> =>
      (await client.query(`SELECT count(*)::int AS n FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'clickbait_classifier'`)).rows[0].n;
    const before = await models();
    const r = await execCapture(PSQL, ['-X', '-A', '-v', 'ON_ERROR_STOP=1', '-d', target().url(), '-c', 'SELECT model_train()']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^model_train\n\n\(1 row\)$/m, r.stdout);
    assert.equal(await models(), before + 1);
    // In the client's own block, and rolled back with it.
    await client.query('BEGIN');
    assert.deepEqual((await client.query('SELECT model_train() AS retrained')).rows, [{ retrained: '' }]);
    await client.query('ROLLBACK');
    assert.equal(await models(), before + 1);
  });

  test('SELECT model_train() through the extended protocol: node-postgres (a named statement bound twice) and postgres.js', async () => {
    await client.query(MODEL_TRAIN);
    const models = async (): Promise<number> =>
      (await client.query(`SELECT count(*)::int AS n FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'clickbait_classifier'`)).rows[0].n;
    const before = await models();
    const named = { name: 'retrain', text: 'SELECT model_train()' };
    assert.deepEqual((await client.query(named)).rows, [{ model_train: '' }]);
    assert.deepEqual((await client.query(named)).rows, [{ model_train: '' }]);
    assert.equal(await models(), before + 2);
    // In the client's own block, and rolled back with it.
    await client.query('BEGIN');
    assert.deepEqual((await client.query(named)).rows, [{ model_train: '' }]);
    await client.query('ROLLBACK');
    assert.equal(await models(), before + 2);
    const sql = postgres(target().url(), { onnotice: () => {} });
    try {
      assert.deepEqual([...(await sql`SELECT model_train()`)], [{ model_train: '' }]);
    } finally {
      await sql.end();
    }
    assert.equal(await models(), before + 3);
  });

  test('a body the session cannot run statement by statement is refused saying what and why', async () => {
    await client.query(`CREATE FUNCTION retrain_if_needed() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN IF true THEN PERFORM pgml.train(project_name => 'clickbait_classifier'); END IF; END $$`);
    const r = await execCapture(PSQL, ['-X', '-At', '-d', target().url(), '-c', 'SELECT retrain_if_needed()']);
    assert.match(r.stderr, /ERROR: {2}pgml-proxy cannot run retrain_if_needed\(\): IF statements are not expanded/, r.stderr);
    assert.doesNotMatch(r.stderr, /must be called through pgml-proxy/);
    assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await assert.rejects(client.query({ name: 'retrain_if', text: 'SELECT retrain_if_needed()' }), { code: '0A000', message: /IF statements are not expanded/ });
    assert.deepEqual((await client.query({ text: 'SELECT $1::int AS one', values: [1] })).rows, [{ one: 1 }]);
  });
});
