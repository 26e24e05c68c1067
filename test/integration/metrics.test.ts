// GET /metrics sees what the composition root feeds it from the other subsystems: the model cache's
// hits and misses (two predictions of a freshly trained model: a miss, then a hit), how long one-pass
// batches held the event loop, and cron runs by final status, on a proxy in front of real Postgres
// and on embedded PGlite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { freePort } from '../support/ports.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';
import { selectedKinds } from '../support/targets.js';

/** The value of one sample of the /metrics text, 0 when the series has not appeared yet. */
async function sample(base: string, series: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const MISSES = 'pgml_proxy_model_cache_lookups_total{result="miss"}';
const HITS = 'pgml_proxy_model_cache_lookups_total{result="hit"}';
const SUCCEEDED = 'pgml_proxy_cron_runs_total{status="succeeded"}';
const FAILED = 'pgml_proxy_cron_runs_total{status="failed"}';
const HOLD_MAX = 'pgml_proxy_one_pass_batch_hold_seconds{stat="max"}';

/** Polls until `check` holds; the deadline only guards against hanging forever. */
async function waitFor(what: string, check: () => Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function suite(kind: 'proxy-postgres' | 'proxy-pglite'): void {
  describe(`/metrics [${kind}]`, { timeout: 300_000 }, () => {
    let cluster: PgCluster | undefined;
    let dataDir: string | undefined;
    let proxy: ProxyProcess;
    let client: pg.Client;
    let base: string;

    before(async () => {
      const httpPort = await freePort();
      const http = ['--http', `127.0.0.1:${httpPort}`];
      if (kind === 'proxy-postgres') {
        cluster = await startPgCluster();
        proxy = await startProxy({ upstream: cluster.url(), extraArgs: http });
      } else {
        dataDir = mkdtempSync(join(tmpdir(), 'pgml-metrics-'));
        proxy = await startProxy({ dataDir, extraArgs: http });
      }
      base = `http://127.0.0.1:${httpPort}`;
      client = new pg.Client({ connectionString: proxy.url() });
      await client.connect();
    });

    after(async () => {
      await client?.end().catch(() => undefined);
      await proxy?.stop();
      cluster?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('the first prediction of a model misses the cache, the second hits it', async () => {
      await client.query(`CREATE TABLE metrics_data AS SELECT i::real AS x, (3 * i + 2)::real AS y FROM generate_series(1, 40) i`);
      await client.query(`SELECT * FROM pgml.train('metrics_project', 'regression', 'metrics_data', 'y', algorithm => 'linear')`);
      const misses = await sample(base, MISSES);
      const hits = await sample(base, HITS);
      await client.query(`SELECT pgml.predict('metrics_project', ARRAY[5]::real[]) AS y`);
      assert.equal(await sample(base, MISSES), misses + 1);
      assert.equal(await sample(base, HITS), hits);
      await client.query(`SELECT pgml.predict('metrics_project', ARRAY[6]::real[]) AS y`);
      assert.equal(await sample(base, MISSES), misses + 1);
      assert.equal(await sample(base, HITS), hits + 1);
    });

    test('one-pass batches report how long they held the event loop, since the previous scrape', async () => {
      await sample(base, HOLD_MAX);
      const r = await client.query(`SELECT x, pgml.predict('metrics_project', ARRAY[x]) AS y FROM metrics_data`);
      assert.equal(r.rows.length, 40);
      const max = await sample(base, HOLD_MAX);
      assert.ok(max > 0, `largest hold ${max}`);
      // The scrape above read them: nothing ran since.
      assert.equal(await sample(base, HOLD_MAX), 0);
    });

    test('finished cron runs are counted by status', async () => {
      assert.equal(await sample(base, SUCCEEDED), 0);
      assert.equal(await sample(base, FAILED), 0);
      const ok = (await client.query(`SELECT cron.schedule('1 seconds', 'SELECT 1') AS id`)).rows[0].id;
      const failing = (await client.query(`SELECT cron.schedule('1 seconds', 'SELECT 1/0') AS id`)).rows[0].id;
      try {
        await waitFor('a succeeded and a failed run in /metrics', async () => (await sample(base, SUCCEEDED)) >= 1 && (await sample(base, FAILED)) >= 1);
      } finally {
        await client.query(`SELECT cron.unschedule(${ok}); SELECT cron.unschedule(${failing})`);
      }
    });
  });
}

for (const kind of selectedKinds({ proxyOnly: true })) {
  if (kind === 'proxy-postgres' || kind === 'proxy-pglite') suite(kind);
}
