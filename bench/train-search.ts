// Hyperparameter search (issue 15): the wall time of a grid search with cross-validation through
// pgml-proxy, and the p99 latency of a SELECT 1 loop through the same proxy while it runs against
// the same loop idle just before. With BENCH_BASELINE_CLI (another build's dist/cli.js, e.g. main's)
// the same measurement runs first through that build, on the same upstream and table: the baseline
// of the same run. The split is the table's last 25% (test_sampling => 'last'), so both builds
// train on the same rows and must find the same winner with the same r2.
// Run: npm run build && node --import tsx bench/train-search.ts   (prints one JSON line)
// Env: BENCH_ROWS table size (20000); BENCH_BASELINE_CLI path of the baseline build's cli.js.
import { loadavg } from 'node:os';
import pg from 'pg';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { startProxy } from '../test/support/proxy.js';
import { p99, selectLoop } from './select-loop.js';

const DATABASE = 'bench';
const FEATURES = 30;
const ROWS = Number(process.env.BENCH_ROWS ?? 20000);
const SEARCH = {
  algorithm: 'xgboost',
  hyperparams: { eta: 0.3, tree_method: 'hist' },
  search_params: { n_estimators: [10, 30], max_depth: [3, 6] },
  search_args: { cv: 3 },
};

function log(message: string): void {
  process.stderr.write(`[train-search] ${message}\n`);
}

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}

/** Gaussian features (Box–Muller in SQL) and a real label from fixed weights plus noise. */
async function createTable(db: pg.Client, rows: number): Promise<void> {
  const columns = Array.from({ length: FEATURES }, (_, j) => `v[${j + 1}]::real AS x${j}`);
  const target = Array.from({ length: FEATURES }, (_, j) => `${round(Math.sin(j * 12.9898) * 1.7, 3)} * v[${j + 1}]`).join(' + ');
  await db.query('SELECT setseed(0.42)');
  await db.query(`
    CREATE TABLE search_data AS
    WITH g AS (
      SELECT ARRAY(SELECT (sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::real
                     FROM generate_series(1, ${FEATURES + 1}) WHERE i > 0) AS v
        FROM generate_series(1, ${rows}) AS i)
    SELECT ${columns.join(', ')}, ((${target}) + 1.5 * v[1] * v[2] + 0.5 * v[${FEATURES + 1}])::real AS y
      FROM g`);
  await db.query('VACUUM ANALYZE search_data');
}

/** One build: SELECT 1 idle for 2 s, then during the search; the search's wall time and winner's r2. */
async function measure(upstream: string, cliPath: string | undefined, project: string): Promise<Record<string, number>> {
  const proxy = await startProxy({ upstream, ...(cliPath === undefined ? {} : { cliPath }) });
  const url = proxy.url('postgres', undefined, DATABASE);
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => undefined);
  try {
    await db.connect();
    // A first training starts the engine workers: not what is measured.
    await db.query(`SELECT * FROM pgml.train('${project}_warm', 'regression', 'search_data', 'y', 'ridge')`);
    const idle = await selectLoop(url, new Promise((resolve) => setTimeout(resolve, 2000)));
    const started = performance.now();
    const search = db.query(
      `SELECT * FROM pgml.train($1, 'regression', 'search_data', 'y', $2, hyperparams => $3::jsonb,
         search => 'grid', search_params => $4::jsonb, search_args => $5::jsonb, test_sampling => 'last')`,
      [project, SEARCH.algorithm, JSON.stringify(SEARCH.hyperparams), JSON.stringify(SEARCH.search_params), JSON.stringify(SEARCH.search_args)],
    );
    const busy = await selectLoop(url, search);
    await search;
    const wall = (performance.now() - started) / 1000;
    const m = await db.query<{ metrics: Record<string, number> }>(
      `SELECT m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
      [project],
    );
    return { wall_s: round(wall), r2: round(m.rows[0]!.metrics.r2!), select1_p99_idle_ms: p99(idle), select1_p99_search_ms: p99(busy), select1_n: busy.length };
  } finally {
    await db.end().catch(() => undefined);
    await proxy.stop();
  }
}

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  const loadStart = loadavg().map((v) => round(v, 2));
  try {
    await createDatabase(cluster, DATABASE);
    const upstream = cluster.url('postgres', undefined, DATABASE);
    const setup = new pg.Client({ connectionString: upstream });
    await setup.connect();
    await createTable(setup, ROWS);
    await setup.end();
    const baselineCli = process.env.BENCH_BASELINE_CLI;
    const baseline = baselineCli === undefined ? undefined : await measure(upstream, baselineCli, 'baseline');
    if (baseline) log(`baseline ${JSON.stringify(baseline)}`);
    const current = await measure(upstream, undefined, 'current');
    log(`current ${JSON.stringify(current)}`);
    const candidates = SEARCH.search_params.n_estimators.length * SEARCH.search_params.max_depth.length;
    console.log(
      JSON.stringify({
        bench: 'train-search',
        rows: ROWS,
        features: FEATURES,
        search: { ...SEARCH, jobs: candidates * SEARCH.search_args.cv },
        current,
        ...(baseline ? { baseline } : {}),
        load_start: loadStart,
        load_end: loadavg().map((v) => round(v, 2)),
      }),
    );
  } finally {
    await cluster.stop();
  }
}

await main();
