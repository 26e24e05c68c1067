// pgml.embed, pgml.transform and the vector functions through the proxy, on Postgres and on
// embedded PGlite, with the generated tiny BERT fixture and the offline wink model.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '../support/proxy.js';
import { describeTargets } from '../support/targets.js';

// The spawned proxies inherit the environment: PGML_MODELS_DIR is --models-dir's variable.
const MODELS = join(REPO_ROOT, 'test', 'fixtures', 'models');
process.env.PGML_MODELS_DIR = MODELS;
const TINY = 'pgml-test/tiny-bert';
const reference = JSON.parse(readFileSync(join(MODELS, TINY, 'reference.json'), 'utf8')) as {
  sentences: string[];
  mean: number[][];
  mean_normalized: number[][];
};

function assertClose(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-4, `[${i}] ${x} vs ${expected[i]}`));
}

function sqlState(code: string) {
  return (error: unknown) => (error as { code?: string }).code === code;
}

describeTargets('pgml.embed and vector functions', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
  });
  after(async () => {
    await client.end();
  });

  it('installs PostgresML vector functions that run inside the database', async () => {
    const { rows } = await client.query(`SELECT
      pgml.add(ARRAY[1,2,3]::real[], 1) AS add_s,
      pgml.subtract(ARRAY[1,2,3]::float8[], ARRAY[1,1,1]::float8[]) AS sub_v,
      pgml.multiply(ARRAY[1,2,3]::real[], ARRAY[1,2,3]::real[]) AS mul_v,
      pgml.divide(ARRAY[1,2,3]::real[], 10) AS div_s,
      pgml.norm_l0(ARRAY[0,1,-2]::real[]) AS l0, pgml.norm_l1(ARRAY[-1,2]::real[]) AS l1,
      pgml.norm_l2(ARRAY[3,4]::real[]) AS l2, pgml.norm_max(ARRAY[-5,4]::float8[]) AS lmax,
      pgml.normalize_l1(ARRAY[1,3]::real[]) AS n1, pgml.normalize_l2(ARRAY[3,4]::real[]) AS n2,
      pgml.normalize_max(ARRAY[-4,2]::real[]) AS nmax,
      pgml.distance_l1(ARRAY[1,2]::real[], ARRAY[3,5]::real[]) AS d1,
      pgml.distance_l2(ARRAY[0,0]::real[], ARRAY[3,4]::real[]) AS d2,
      pgml.dot_product(ARRAY[1,2,3]::real[], ARRAY[4,5,6]::real[]) AS dot,
      pgml.cosine_similarity(ARRAY[1,0]::real[], ARRAY[1,1]::real[]) AS cos,
      pg_typeof(pgml.norm_l2(ARRAY[1]::real[]))::text AS l2_type`);
    const r = rows[0];
    assert.deepEqual(r.add_s, [2, 3, 4]);
    assert.deepEqual(r.sub_v, [0, 1, 2]);
    assert.deepEqual(r.mul_v, [1, 4, 9]);
    assert.deepEqual(r.div_s, [0.1, 0.2, 0.3]);
    assert.deepEqual([r.l0, r.l1, r.l2, r.lmax], [2, 3, 5, 5]);
    assert.deepEqual([r.n1, r.n2, r.nmax], [[0.25, 0.75], [0.6, 0.8], [-1, 0.5]]);
    assert.deepEqual([r.d1, r.d2, r.dot], [5, 5, 32]);
    assert.ok(Math.abs(r.cos - Math.SQRT1_2) < 1e-6);
    assert.equal(r.l2_type, 'real');

    const agg = await client.query(`SELECT pgml.sum(v) AS s, pgml.max(v) AS mx, pgml.min(v) AS mn,
      pgml.max_abs(v) AS mxa, pgml.min_abs(v) AS mna
      FROM (VALUES (ARRAY[1,-5,3]::real[]), (NULL), (ARRAY[-4,2,2]::real[])) AS t(v)`);
    assert.deepEqual(agg.rows[0], { s: [-3, -3, 5], mx: [1, 2, 3], mn: [-4, -5, 2], mxa: [4, 5, 3], mna: [1, 2, 2] });
  });

  it('embeds with the tiny BERT exactly like the Python reference, constants and parameters alike', async () => {
    const constant = await client.query(`SELECT pgml.embed('${TINY}', 'The cat sat on the mat.') AS e`);
    assertClose(constant.rows[0].e, reference.mean_normalized[0]!);
    const param = await client.query(`SELECT pgml.embed($1, $2) AS e`, [TINY, reference.sentences[1]]);
    assertClose(param.rows[0].e, reference.mean_normalized[1]!);
    const huge = await client.query(`SELECT pgml.embed($1, $2) AS e`, [TINY, reference.sentences.at(-1)!.repeat(600)]);
    assertClose(huge.rows[0].e, reference.mean_normalized.at(-1)!);
  });

  it('embeds many inputs as a set, honours kwargs, keeps NULL as NULL', async () => {
    const set = await client.query(`SELECT e FROM pgml.embed('${TINY}', ARRAY['The cat sat on the mat.', '']) AS e`);
    assert.equal(set.rows.length, 2);
    assertClose(set.rows[0].e, reference.mean_normalized[0]!);
    assertClose(set.rows[1].e, reference.mean_normalized[3]!);
    // The same in FROM with bound parameters (evaluated at Bind): one row per input, never one per element.
    const boundSet = await client.query(`SELECT e FROM pgml.embed($1, $2::text[]) AS e`, [TINY, ['The cat sat on the mat.', '']]);
    assert.deepEqual(boundSet.rows.map((r) => r.e), set.rows.map((r) => r.e));
    const boundOne = await client.query(`SELECT * FROM pgml.embed($1, $2) WITH ORDINALITY AS e(v, n)`, [TINY, reference.sentences[1]]);
    assert.equal(boundOne.rows.length, 1);
    assertClose(boundOne.rows[0].v, reference.mean_normalized[1]!);
    assert.equal(boundOne.rows[0].n, '1');
    const raw = await client.query(`SELECT pgml.norm_l2(pgml.embed('${TINY}', 'The cat sat', '{"normalize": false}')) AS n,
      pgml.norm_l2(pgml.embed('${TINY}', 'The cat sat', '{"pooling": "cls", "prompt": "query: "}')) AS m`);
    assert.ok(Math.abs(raw.rows[0].n - 1) > 1e-3);
    assert.ok(Math.abs(raw.rows[0].m - 1) < 1e-5);
    const nul = await client.query(`SELECT pgml.embed('${TINY}', NULL::text) AS e`);
    assert.equal(nul.rows[0].e, null);
  });

  it('takes sentence-transformers prompts: prompt, prompt_name from the model config, PostgresML instruction', async () => {
    const { rows } = await client.query(`SELECT
      pgml.embed('${TINY}', 'The cat sat on the mat.') AS plain,
      pgml.embed('${TINY}', 'The cat sat on the mat.', '{"prompt": "query: "}') AS prompt,
      pgml.embed('${TINY}', 'The cat sat on the mat.', '{"prompt_name": "query"}') AS named,
      pgml.embed('${TINY}', 'The cat sat on the mat.', '{"instruction": "query: "}') AS instruction,
      pgml.embed('${TINY}', 'query: The cat sat on the mat.') AS prefixed,
      pgml.embed('${TINY}', 'The cat sat on the mat.', '{"normalize": false}') AS raw`);
    const r = rows[0];
    assertClose(r.plain, reference.mean_normalized[0]!);
    assertClose(r.prompt, r.prefixed);
    assertClose(r.named, r.prefixed);
    assertClose(r.instruction, r.prefixed);
    assert.ok(r.prefixed.some((x: number, i: number) => Math.abs(x - r.plain[i]) > 1e-3), 'the prompt changes the vector');
    assertClose(r.raw, reference.mean[0]!);
    await assert.rejects(client.query(`SELECT pgml.embed('${TINY}', 'x', '{"prompt_name": "nope"}')`), sqlState('22023'));
  });

  it('refuses unknown models and kwargs with real SQLSTATEs', async () => {
    await assert.rejects(client.query(`SELECT pgml.embed('no-such-model', 'x')`), sqlState('42704'));
    await assert.rejects(client.query(`SELECT pgml.embed('../../etc', 'x')`), sqlState('22023'));
    await assert.rejects(client.query(`SELECT pgml.embed('${TINY}', 'x', '{"pooling": "median"}')`), sqlState('22023'));
    await assert.rejects(client.query(`SELECT pgml.embed('${TINY}', 42)`), sqlState('42883'));
  });

  it('classifies text with pgml.transform, the task as text or as PostgresML jsonb', async () => {
    const byJson = await client.query(
      `SELECT pgml.transform('{"task": "text-classification", "model": "pgml-test/tiny-bert-sentiment"}'::jsonb,
         inputs => ARRAY['I love it', 'I hate it']) AS t`,
    );
    assert.equal(byJson.rows[0].t.length, 2);
    for (const r of byJson.rows[0].t) assert.ok(['NEGATIVE', 'POSITIVE'].includes(r.label) && r.score > 0.5);
    // Bound inputs are evaluated at Bind, the jsonb result travelling as a parameter of its own.
    const bound = await client.query(
      `SELECT pgml.transform('{"task": "text-classification", "model": "pgml-test/tiny-bert-sentiment"}'::jsonb, inputs => $1::text[]) AS t`,
      [['I love it', 'I hate it']],
    );
    assert.deepEqual(bound.rows[0].t, byJson.rows[0].t);
    const all = await client.query(
      `SELECT pgml.transform('{"task": "sentiment-analysis", "model": "pgml-test/tiny-bert-sentiment"}'::jsonb,
         '{"top_k": null}', ARRAY['I love it']) AS t`,
    );
    const scores = all.rows[0].t[0] as { label: string; score: number }[];
    assert.deepEqual(scores.map((s) => s.label).sort(), ['NEGATIVE', 'POSITIVE']);
    assert.ok(Math.abs(scores[0]!.score + scores[1]!.score - 1) < 1e-6);
    await assert.rejects(client.query(`SELECT pgml.transform('image-classification', inputs => ARRAY['x'])`), sqlState('0A000'));
  });

  it('gives the offline wink model meaning: related sentences are closer, search ranks them first', async () => {
    const m = 'wink/sg-100d';
    const { rows } = await client.query(
      `SELECT pgml.cosine_similarity(pgml.embed($1, 'The cat sat on the mat'), pgml.embed($1, 'A kitten is sitting on a rug')) AS related,
              pgml.cosine_similarity(pgml.embed($1, 'The cat sat on the mat'), pgml.embed($1, 'Stock markets fell after the earnings report')) AS unrelated,
              array_length(pgml.embed($1, 'anything'), 1) AS dims`,
      [m],
    );
    assert.equal(rows[0].dims, 100);
    assert.ok(rows[0].related > rows[0].unrelated + 0.1, JSON.stringify(rows[0]));

    await client.query('CREATE TABLE wink_docs (id serial PRIMARY KEY, body text, emb real[])');
    for (const body of ['Stock markets fell sharply', 'My dog loves to chase cats', 'The election results were announced']) {
      await client.query('INSERT INTO wink_docs (body, emb) VALUES ($1, pgml.embed($2, $1))', [body, m]);
    }
    const search = await client.query(
      `SELECT body FROM wink_docs ORDER BY pgml.cosine_similarity(emb, pgml.embed($1, 'puppies and kittens')) DESC LIMIT 1`,
      [m],
    );
    assert.equal(search.rows[0].body, 'My dog loves to chase cats');
  });
});
