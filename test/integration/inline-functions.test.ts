// Upstream LANGUAGE sql functions whose bodies call pgml.* (the seed's predict_clickbait): the
// proxy inlines them, so psql, node-postgres (simple and extended protocol) and a second proxy on
// the same upstream all get the model's answer instead of the stub's "must go through pgml-proxy".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { execCapture } from '../support/exec.js';
import { headlinesTable, NEWS_HEADLINE, SEED_HEADLINE } from '../support/clickbait.js';
import { startProxy } from '../support/proxy.js';
import { describeTargets } from '../support/targets.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const HEADLINE = SEED_HEADLINE;
const NEWS = NEWS_HEADLINE;

const SEED_FUNCTION = `
  CREATE FUNCTION predict_clickbait(input_string text) RETURNS TABLE(is_clickbait REAL) LANGUAGE sql AS $$
    SELECT pgml.predict('clickbait_inline', pgml.embed('wink/sg-100d', input_string)::real[]) AS is_clickbait;
  $$;`;

const TRAIN = headlinesTable('inline_headlines');
const EMBED = `
  CREATE TABLE inline_train AS SELECT pgml.embed('wink/sg-100d', headline)::real[] AS embedding, is_clickbait FROM inline_headlines;`;
const TRAIN_MODEL = `
  SELECT * FROM pgml.train(project_name => 'clickbait_inline', algorithm => 'xgboost', task => 'classification',
    relation_name => 'inline_train', y_column_name => 'is_clickbait', test_sampling => 'last');`;

const sqlState = (code: string) => (error: unknown) => (error as { code?: string }).code === code;

/** Retries while the statement fails as the stub does: another process learns of DDL by notification. */
async function eventually<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= 200 || !sqlState('0A000')(error)) throw error;
      await sleep(50);
    }
  }
}

describeTargets('LANGUAGE sql functions calling pgml.*', { proxyOnly: true }, (target, kind) => {
  let client: pg.Client;
  /** The model's own answer for the news headline (a model trained on 12 rows may call it either way). */
  let news: number;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    for (const step of [TRAIN, EMBED, TRAIN_MODEL]) await client.query(step);
    await client.query(SEED_FUNCTION);
    const direct = await client.query(`SELECT pgml.predict('clickbait_inline', pgml.embed('wink/sg-100d', '${NEWS}')::real[]) AS v`);
    news = direct.rows[0].v;
  });
  after(async () => {
    await client.end();
  });

  test('the seed through psql: SELECT * FROM predict_clickbait(...)', async () => {
    const r = await execCapture(PSQL, ['-X', '-At', '-d', target().url(), '-c', `SELECT * FROM predict_clickbait('${HEADLINE}')`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n');
  });

  test('node-postgres simple protocol: FROM and scalar forms keep column names and types', async () => {
    const from = await client.query(`SELECT * FROM predict_clickbait('${HEADLINE}')`);
    assert.deepEqual(from.rows, [{ is_clickbait: 1 }]);
    assert.equal(from.fields[0]?.dataTypeID, 700); // real
    const scalar = await client.query(`SELECT predict_clickbait('${NEWS}')`);
    assert.deepEqual(scalar.rows, [{ predict_clickbait: news }]);
    const aliased = await client.query(`SELECT p.is_clickbait AS verdict FROM predict_clickbait('${HEADLINE}') AS p`);
    assert.deepEqual(aliased.rows, [{ verdict: 1 }]);
  });

  test('node-postgres extended protocol with a $1 parameter, in both forms', async () => {
    const from = await client.query('SELECT * FROM predict_clickbait($1)', [HEADLINE]);
    assert.deepEqual(from.rows, [{ is_clickbait: 1 }]);
    const scalar = await client.query('SELECT predict_clickbait($1) AS verdict', [NEWS]);
    assert.deepEqual(scalar.rows, [{ verdict: news }]);
    // The same prepared statement with another value: evaluated at each Bind.
    const named = { name: 'inline_prepared', text: 'SELECT * FROM public.predict_clickbait($1)' };
    assert.deepEqual((await client.query({ ...named, values: [HEADLINE] })).rows, [{ is_clickbait: 1 }]);
    assert.deepEqual((await client.query({ ...named, values: [NEWS] })).rows, [{ is_clickbait: news }]);
  });

  test('named arguments, as /rpc calls functions', async () => {
    const r = await client.query('SELECT * FROM "public"."predict_clickbait"("input_string" => $1::text) AS pgrst_call', [HEADLINE]);
    assert.deepEqual(r.rows, [{ is_clickbait: 1 }]);
    const literal = await client.query(`SELECT predict_clickbait(input_string => '${NEWS}')`);
    assert.deepEqual(literal.rows, [{ predict_clickbait: news }]);
  });

  test('per row: SELECT predict_clickbait(headline) FROM t, both calls inside evaluated in batches', async () => {
    const inlined = await client.query(`SELECT headline, predict_clickbait(headline) AS c FROM inline_headlines ORDER BY headline`);
    const direct = await client.query(
      `SELECT headline, pgml.predict('clickbait_inline', pgml.embed('wink/sg-100d', headline)::real[]) AS c FROM inline_headlines ORDER BY headline`,
    );
    assert.equal(inlined.rows.length, 12);
    assert.deepEqual(inlined.rows, direct.rows);
    assert.equal(inlined.rows.find((r) => r.headline === HEADLINE)!.c, 1);
  });

  test('a function created after the proxy started is inlined at once, and so is one calling it', async () => {
    await client.query(`CREATE FUNCTION embedding_size(t text) RETURNS int LANGUAGE sql AS $$
      SELECT array_length(pgml.embed('wink/sg-100d', t), 1) $$`);
    assert.deepEqual((await client.query(`SELECT embedding_size('hello world')`)).rows, [{ embedding_size: 100 }]);
    await client.query(`CREATE FUNCTION looks_like_clickbait(headline text) RETURNS boolean LANGUAGE sql AS $$
      SELECT predict_clickbait(headline) > 0.5 $$`);
    const r = await client.query('SELECT looks_like_clickbait($1) AS a, looks_like_clickbait($2) AS b', [HEADLINE, NEWS]);
    assert.deepEqual(r.rows, [{ a: true, b: news > 0.5 }]);
  });

  test('a body that cannot be inlined is refused with 0A000 and a hint; the session goes on', async () => {
    await client.query(`CREATE FUNCTION two_steps(t text) RETURNS real[] LANGUAGE sql AS $$
      SELECT 1; SELECT pgml.embed('wink/sg-100d', t) $$`);
    await assert.rejects(client.query(`SELECT two_steps('x')`), (error: pg.DatabaseError) => {
      assert.equal(error.code, '0A000');
      assert.match(error.message, /cannot inline public\.two_steps\(\).*not exactly one SELECT/);
      assert.match(error.hint ?? '', /LANGUAGE sql/);
      return true;
    });
    await client.query(`CREATE FUNCTION strict_embed(t text) RETURNS real[] LANGUAGE sql STRICT AS $$ SELECT pgml.embed('wink/sg-100d', t) $$`);
    await assert.rejects(client.query('SELECT strict_embed($1)', ['x']), sqlState('0A000'));
    assert.deepEqual((await client.query('SELECT 1 AS ok')).rows, [{ ok: 1 }]);
  });

  test('a function that does not call pgml passes through untouched', async () => {
    await client.query('CREATE FUNCTION plain_add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$');
    assert.deepEqual((await client.query('SELECT plain_add(1, 2)')).rows, [{ plain_add: 3 }]);
    assert.deepEqual((await client.query('SELECT * FROM plain_add($1, $2)', [2, 3])).rows, [{ plain_add: 5 }]);
  });

  test('a view calling pgml.* is run by Postgres itself: the error says so and names the form that works', async () => {
    await client.query(`CREATE VIEW headline_sizes AS
      SELECT headline, array_length(pgml.embed('wink/sg-100d', headline), 1) AS size FROM inline_headlines`);
    await assert.rejects(client.query('SELECT * FROM headline_sizes'), (error: pg.DatabaseError) => {
      assert.equal(error.code, '0A000');
      assert.equal(error.message, 'pgml.embed() must be called through pgml-proxy');
      assert.match(error.detail ?? '', /Postgres ran the call itself.*a view/);
      assert.match(error.hint ?? '', /call pgml\.embed in the statement itself/);
      return true;
    });
    // The view's query sent as the statement is evaluated by the proxy.
    const r = await client.query(`SELECT DISTINCT array_length(pgml.embed('wink/sg-100d', headline), 1) AS size FROM inline_headlines`);
    assert.deepEqual(r.rows, [{ size: 100 }]);
  });

  if (kind !== 'proxy-postgres') return;

  test('DDL made directly on the upstream is seen through the event trigger', async () => {
    const direct = new pg.Client({ connectionString: target().cluster!.url('postgres', undefined, target().database) });
    await direct.connect();
    try {
      await direct.query(`CREATE FUNCTION direct_size(t text) RETURNS int LANGUAGE sql AS $$
        SELECT array_length(pgml.embed('wink/sg-100d', t), 1) $$`);
    } finally {
      await direct.end();
    }
    const r = await eventually(() => client.query(`SELECT direct_size('made upstream')`));
    assert.deepEqual(r.rows, [{ direct_size: 100 }]);
  });

  test('a second proxy on the same upstream sees the first one\'s CREATE FUNCTION', async () => {
    const second = await startProxy({ upstream: target().cluster!.url('postgres', undefined, target().database) });
    const other = new pg.Client({ connectionString: second.url('postgres', undefined, target().database) });
    try {
      await other.connect();
      // Loaded at start: the seed function.
      assert.deepEqual((await other.query(`SELECT * FROM predict_clickbait('${HEADLINE}')`)).rows, [{ is_clickbait: 1 }]);
      await client.query(`CREATE FUNCTION second_size(t text) RETURNS int LANGUAGE sql AS $$
        SELECT array_length(pgml.embed('wink/sg-100d', t), 1) $$`);
      const r = await eventually(() => other.query(`SELECT second_size('seen elsewhere')`));
      assert.deepEqual(r.rows, [{ second_size: 100 }]);
    } finally {
      await other.end().catch(() => {});
      await second.stop();
    }
  });
});

