// Issue 19 end to end, in Debian's Chromium driven by playwright-core: log in (real Postgres) or
// open without a login (embedded), open every page after training models and scheduling jobs,
// check the content and that each chart drew one mark per thing it plots, watch a training
// started from SQL on the project page, deploy a model and pause a job with the keyboard.
// Screenshots of each page go to test-results/screenshots (gitignored).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { launchBrowser, SCREENSHOT_DIR } from '../support/browser.js';
import { createDatabase, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { waitFor } from '../support/wait.js';

const DATA = `
  CREATE TABLE fruit AS
    SELECT i, (sin(i) + cos(2 * i))::real AS a, cos(i)::real AS b, (i % 7)::real AS c,
           CASE WHEN sin(i) + cos(2 * i) + 0.3 * cos(i) > 0.3 THEN 'ripe' ELSE 'raw' END AS state
      FROM generate_series(1, 200) AS i;
  CREATE TABLE houses AS
    SELECT (i % 13)::real AS rooms, sin(i)::real AS noise, (3 * (i % 13) + 2 * sin(i) + 5)::real AS price
      FROM generate_series(1, 150) AS i;
  CREATE TABLE fruit_features AS SELECT a, b, c FROM fruit;`;
const TRAININGS = [
  `SELECT * FROM pgml.train('fruit', 'classification', 'fruit', 'state', 'random_forest')`,
  `SELECT * FROM pgml.train('fruit', algorithm => 'linear')`,
  `SELECT * FROM pgml.train('houses', 'regression', 'houses', 'price', 'ridge', search => 'grid', search_params => '{"alpha": [0.1, 1, 10]}')`,
  `SELECT * FROM pgml.train('fruit_clusters', 'clustering', 'fruit_features', hyperparams => '{"n_clusters": 3}')`,
  `SELECT * FROM pgml.train('fruit_pca', 'decomposition', 'fruit_features', hyperparams => '{"n_components": 2}')`,
];
const JOBS = [
  `SELECT cron.schedule('nightly-retrain', '0 3 * * *', $$SELECT * FROM pgml.train('fruit')$$)`,
  `SELECT cron.schedule('broken', '2 seconds', 'SELECT 1/0')`,
];
const ROLE_SETUP = `
  CREATE ROLE analyst LOGIN PASSWORD 'analyst-pw';
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgml TO analyst;
  GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgml TO analyst;
  GRANT CREATE ON SCHEMA public TO analyst;
  GRANT EXECUTE ON FUNCTION cron.alter_job(bigint, text, text, text, text, boolean) TO analyst;`;

interface Target {
  name: string;
  proxy: ProxyProcess;
  /** The role's own session through the proxy: what it trains and schedules, the page shows. */
  sql: pg.Client;
  login?: { user: string; password: string };
  cleanup(): Promise<void>;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('notice', () => {});
  await client.connect();
  return client;
}

async function prepare(sql: pg.Client): Promise<void> {
  await sql.query(DATA);
  for (const statement of [...TRAININGS, ...JOBS]) await sql.query(statement);
}

async function realPostgres(): Promise<Target> {
  const cluster: PgCluster = await startPgCluster();
  await createDatabase(cluster, 'dashboard');
  const proxy = await startProxy({ upstream: cluster.url('postgres', undefined, 'dashboard'), http: true });
  const admin = await connect(proxy.url('postgres', undefined, 'dashboard'));
  await admin.query(ROLE_SETUP);
  await admin.end();
  const sql = await connect(proxy.url('analyst', 'analyst-pw', 'dashboard'));
  await prepare(sql);
  return {
    name: 'postgres',
    proxy,
    sql,
    login: { user: 'analyst', password: 'analyst-pw' },
    cleanup: async () => {
      await sql.end().catch(() => {});
      await proxy.stop();
      cluster.stop();
    },
  };
}

async function embedded(): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pgml-dashboard-'));
  const proxy = await startProxy({ dataDir, http: true });
  const sql = await connect(proxy.url());
  await prepare(sql);
  return {
    name: 'pglite',
    proxy,
    sql,
    cleanup: async () => {
      await sql.end().catch(() => {});
      await proxy.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const count = (page: Page, selector: string): Promise<number> => page.locator(selector).count();
const marks = (page: Page, chart: string, mark: string, element: string): Promise<number> =>
  count(page, `figure[data-chart="${chart}"] svg g[aria-label="${mark}"] > ${element}`);

async function one<T>(sql: pg.Client, text: string, params: unknown[] = []): Promise<T> {
  return (await sql.query(text, params)).rows[0] as T;
}

/** Every chart on the page has a labelled SVG and its data as a table: the text alternative. */
async function assertTextAlternatives(page: Page): Promise<void> {
  const figures = await count(page, 'figure[data-chart]');
  assert.ok(figures > 0);
  assert.equal(await count(page, 'figure[data-chart] svg[aria-label][aria-description]'), figures);
  assert.equal(await count(page, 'figure[data-chart] details table'), figures);
}

async function shot(page: Page, target: Target, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${target.name}-${name}.png`), fullPage: true });
}

for (const [label, start] of [
  ['proxy-postgres', realPostgres],
  ['proxy-pglite', embedded],
] as const) {
  describe(`dashboard in Chromium [${label}]`, { timeout: 600_000 }, () => {
    let target: Target;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    const url = (path: string) => `${target.proxy.httpUrl}${path}`;

    before(async () => {
      target = await start();
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.on('pageerror', (error) => assert.fail(`script error on ${page.url()}: ${error.message}`));
    });

    after(async () => {
      await browser?.close();
      await target?.cleanup();
    });

    test('log in, and the projects page lists each project with a bar per model', async () => {
      await page.goto(url('/dashboard'));
      if (target.login) {
        await page.locator('#user').waitFor();
        await shot(page, target, 'login');
        await page.fill('#user', target.login.user);
        await page.fill('#password', target.login.password);
        await page.keyboard.press('Enter');
      }
      await page.locator('table[data-table="projects"]').waitFor();
      assert.match((await page.locator('#who').textContent())!, new RegExp(`^${target.login?.user ?? 'postgres'} @ ${target.login ? 'dashboard' : 'postgres'}`));
      assert.equal(await count(page, '#logout'), target.login ? 1 : 0);
      assert.equal(await count(page, 'table[data-table="projects"] tbody tr'), 4);
      const fruit = page.locator('section.card', { has: page.getByRole('link', { name: 'fruit', exact: true }) });
      assert.equal(await fruit.locator('svg g[aria-label="bar"] > rect').count(), 2);
      await assertTextAlternatives(page);
      await shot(page, target, 'projects');

      // Hashed assets are cached for a year; the page itself is revalidated.
      const html = await fetch(url('/dashboard'));
      assert.equal(html.headers.get('cache-control'), 'no-cache');
      const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(await html.text())![1]!;
      assert.equal((await fetch(url(script))).headers.get('cache-control'), 'public, max-age=31536000, immutable');
    });

    test('the project page compares models, shows the deployment timeline, follows a training live, and deploys with the keyboard', async () => {
      // Keyboard: from the projects page, Tab to the project's link and follow it with Enter.
      await page.locator('table[data-table="projects"]').getByRole('link', { name: 'fruit', exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.locator('table[data-table="models"]').waitFor();
      assert.equal(await count(page, 'table[data-table="models"] tbody tr'), 2);
      assert.equal(await marks(page, 'comparison', 'bar', 'rect'), 2);
      const deployments = async () =>
        (await one<{ n: number }>(target.sql, `SELECT count(*)::int AS n FROM pgml.deployments d JOIN pgml.projects p ON p.id = d.project_id WHERE p.name = 'fruit'`)).n;
      assert.equal(await marks(page, 'deployments', 'dot', 'circle'), await deployments());
      await assertTextAlternatives(page);

      await page.locator('#live-log[data-state="open"]').waitFor();
      const training = target.sql.query(`SELECT * FROM pgml.train('fruit', algorithm => 'linear')`);
      await page.locator('#live-log', { hasText: 'Training Model { task: classification, algorithm: linear }' }).waitFor();
      await page.locator('#live-log', { hasText: 'finished' }).waitFor();
      await training;
      await page.locator('table[data-table="models"] tbody tr:nth-child(3)').waitFor();
      assert.equal(await marks(page, 'comparison', 'bar', 'rect'), 3);
      await shot(page, target, 'project-live');

      const button = page.locator('button[data-deploy]').first();
      const modelId = await button.getAttribute('data-deploy');
      await button.focus();
      await page.keyboard.press('Enter');
      await page.locator('[role="status"]', { hasText: `Model #${modelId} deployed.` }).waitFor();
      const last = await one<{ model_id: string; strategy: string }>(
        target.sql,
        `SELECT d.model_id, d.strategy::text FROM pgml.deployments d JOIN pgml.projects p ON p.id = d.project_id WHERE p.name = 'fruit' ORDER BY d.id DESC LIMIT 1`,
      );
      assert.deepEqual(last, { model_id: modelId, strategy: 'specific' });
      // The live training may have deployed itself too (new_score): count what the upstream holds.
      assert.equal(await marks(page, 'deployments', 'dot', 'circle'), await deployments());
      await shot(page, target, 'project');

      await page.locator('#rollback').focus();
      await page.keyboard.press('Enter');
      await page.locator('[role="status"]', { hasText: 'Rolled back.' }).waitFor();
      const rolledBack = await one<{ strategy: string }>(
        target.sql,
        `SELECT d.strategy::text FROM pgml.deployments d JOIN pgml.projects p ON p.id = d.project_id WHERE p.name = 'fruit' ORDER BY d.id DESC LIMIT 1`,
      );
      assert.equal(rolledBack.strategy, 'rollback');
      assert.equal(await marks(page, 'deployments', 'dot', 'circle'), await deployments());
    });

    test('a classification model page draws its confusion matrix, ROC and PR curves and feature importance', async () => {
      const model = await one<{ id: string; classes: number; importance: number }>(
        target.sql,
        `SELECT m.id, jsonb_array_length(r.results -> 'classes') AS classes, jsonb_array_length(r.results -> 'importance') AS importance
           FROM pgml.models m JOIN pgml.model_test_results r ON r.model_id = m.id WHERE m.algorithm = 'random_forest'`,
      );
      await page.goto(url(`/dashboard/models/${model.id}`));
      await page.locator('figure[data-chart="confusion-matrix"]').waitFor();
      assert.match((await page.locator('table[data-table="metrics"]').textContent())!, /f1.*roc_auc/s);
      assert.equal(model.classes, 2);
      assert.equal(await marks(page, 'confusion-matrix', 'cell', 'rect'), model.classes ** 2);
      assert.equal(await marks(page, 'roc-curve', 'line', 'path'), 1);
      assert.equal(await marks(page, 'pr-curve', 'line', 'path'), 1);
      assert.equal(await marks(page, 'feature-importance', 'bar', 'rect'), model.importance);
      assert.ok(model.importance >= 4);
      await assertTextAlternatives(page);
      await shot(page, target, 'model-classification');
    });

    test('a regression model trained with a search plots predicted vs actual, residuals and score per alpha', async () => {
      const model = await one<{ id: string; rows: number; snapshot_id: string }>(
        target.sql,
        `SELECT m.id, (r.results ->> 'rows')::int AS rows, m.snapshot_id FROM pgml.models m JOIN pgml.model_test_results r ON r.model_id = m.id WHERE m.algorithm = 'ridge'`,
      );
      await page.goto(url(`/dashboard/models/${model.id}`));
      await page.locator('figure[data-chart="predicted-vs-actual"]').waitFor();
      assert.ok(model.rows > 0);
      assert.equal(await marks(page, 'predicted-vs-actual', 'dot', 'circle'), model.rows);
      assert.equal(await marks(page, 'residuals', 'dot', 'circle'), model.rows);
      assert.equal(await marks(page, 'search-alpha', 'dot', 'circle'), 3);
      await assertTextAlternatives(page);
      await shot(page, target, 'model-regression');

      await page.locator('a', { hasText: `#${model.snapshot_id}` }).click();
      await page.locator('table[data-table="columns"]').waitFor();
      assert.match((await page.locator('main').textContent())!, /150 rows and 3 columns/);
      assert.equal(await count(page, 'figure[data-chart="distribution"]'), 3);
      assert.equal(await count(page, 'figure[data-chart="distribution"] svg g[aria-label="rect"] > rect'), 3 * 20);
      assert.equal(await marks(page, 'correlation', 'bar', 'rect'), 2);
      await assertTextAlternatives(page);
      await shot(page, target, 'snapshot');
    });

    test('clustering and decomposition models plot cluster sizes and explained variance', async () => {
      const clusters = await one<{ id: string; sizes: number }>(
        target.sql,
        `SELECT m.id, (SELECT count(DISTINCT c) FROM jsonb_array_elements(r.results -> 'y_pred') AS c)::int AS sizes
           FROM pgml.models m JOIN pgml.model_test_results r ON r.model_id = m.id WHERE m.algorithm = 'kmeans'`,
      );
      await page.goto(url(`/dashboard/models/${clusters.id}`));
      await page.locator('figure[data-chart="cluster-sizes"]').waitFor();
      assert.ok(clusters.sizes >= 2);
      assert.equal(await marks(page, 'cluster-sizes', 'bar', 'rect'), clusters.sizes);
      await assertTextAlternatives(page);
      await shot(page, target, 'model-clustering');

      const pca = await one<{ id: string }>(target.sql, `SELECT id FROM pgml.models WHERE algorithm = 'pca'`);
      await page.goto(url(`/dashboard/models/${pca.id}`));
      await page.locator('figure[data-chart="explained-variance"]').waitFor();
      assert.equal(await marks(page, 'explained-variance', 'bar', 'rect'), 2);
      await assertTextAlternatives(page);
    });

    test('the jobs page shows next runs, the run history and the last error in full, and pauses a job with the keyboard', async () => {
      const failed = `SELECT count(*)::int AS n FROM cron.job_run_details WHERE status = 'failed'`;
      await waitFor('two failed runs of the broken job', async () => (await one<{ n: number }>(target.sql, failed)).n >= 2, 60_000);
      await page.goto(url('/dashboard/jobs'));
      await page.locator('table[data-table="jobs"]').waitFor();
      assert.equal(await count(page, 'table[data-table="jobs"] tbody tr'), 2);
      assert.match((await page.locator('table[data-table="jobs"] tr', { hasText: 'nightly-retrain' }).textContent())!, /03:00:00 UTC/);
      const runs = await count(page, 'figure[data-chart="runs"] details tbody tr');
      assert.ok(runs >= 2);
      assert.equal(await marks(page, 'runs', 'dot', 'path'), runs);
      assert.match((await page.locator('[data-errors] pre').first().textContent())!, /ERROR: {2}division by zero/);
      await assertTextAlternatives(page);

      await page.locator('button', { hasText: 'Pause broken' }).focus();
      await page.keyboard.press('Enter');
      await page.locator('[role="status"]', { hasText: 'Job broken paused.' }).waitFor();
      assert.equal((await one<{ active: boolean }>(target.sql, `SELECT active FROM cron.job WHERE jobname = 'broken'`)).active, false);
      assert.match((await page.locator('table[data-table="jobs"] tr', { hasText: 'broken' }).textContent())!, /paused/);
      await shot(page, target, 'jobs');

      if (target.login) {
        await page.locator('#logout').click();
        await page.locator('#user').waitFor();
        assert.equal((await fetch(url('/dashboard/api/jobs'))).status, 401);
      }
    });
  });
}
