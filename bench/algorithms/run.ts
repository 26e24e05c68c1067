// Issue 17's accuracy and speed table: every algorithm pgml-proxy added for PostgresML's names, trained
// through the proxy (pgml.train on a real Postgres, metrics and fit_time read back from pgml.models)
// next to scikit-learn's or LightGBM's estimator on the same rows, with the same hyperparameters and
// split (test_sampling => 'last', test_size 0.25; iris from a fixed shuffle of pgml.iris), in one run. Key metric: f1 (classification, binary
// or macro, as pgml.models), r2 (regression), silhouette (clustering), cumulative_explained_variance
// (decomposition: the share of the test rows' variance the fitted components keep, both sides the same formula).
// Run: npm run build && node --import tsx bench/algorithms/run.ts   (prints one JSON line)
// Env: BENCH_SYNTHETIC_ROWS (100000), BENCH_ONLY=alg1,alg2 (every algorithm), BENCH_DATASETS=name1,name2
// (every dataset; names as in the table, e.g. diabetes,iris_clusters), BENCH_PYTHON (python3), BENCH_CLI
// (another build's dist/cli.js, for an A/B against it; this checkout's by default), BENCH_SETTLE_MS (0: how
// long to leave the started proxy idle before the first training, so that its engine thread's JIT warm-up,
// which pauses while trainings follow each other, has run: a proxy that has been up a while, as users meet it),
// BENCH_REFERENCE_ORDER (each cell's reference fit right after the proxy's training of it; `after`: every reference
// fit after every proxy cell, one process, as before stop 34).
// Each cell's proxy side also holds train_ms and train_cpu_ms: the whole pgml.train's wall time and the proxy
// process's CPU during it (a first training's JIT warm-up steps included; fit_time is engine.fit's alone).
// Beside each side's fit_time, fit_thread: what the fitting thread went through during that one fit (its CPU time, its
// wait for a core, its preemptions; the proxy's from PGML_FIT_TRACE, the reference's from reference.py), and the
// throwaway Postgres's autovacuum, autoanalyze and checkpoints that overlapped it; the line's `noise` counts them
// over the run, with each side's steal (noise.ts). fit_time stays the measure of the goal: the CPU ratios say why a
// cell moved, not whether it met it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { execCapture } from '../../test/support/exec.js';
import { createDatabase, startPgCluster } from '../../test/support/pg-cluster.js';
import { startProxy } from '../../test/support/proxy.js';
import { addTicks, backgroundRuns, load, machineShares, machineTicks, overlapping, POSTGRES_LOGGING, type BackgroundRun, type FitThread } from './noise.js';
import { ReferenceServer, type ReferenceCell } from './reference-server.js';

const REFERENCE = fileURLToPath(new URL('./reference.py', import.meta.url));
const syntheticRows = Number(process.env.BENCH_SYNTHETIC_ROWS ?? 100_000);
const python = process.env.BENCH_PYTHON ?? 'python3';
const TEST_SIZE = 0.25;
const SEED = { random_state: 0 };

type Task = 'regression' | 'classification' | 'clustering' | 'decomposition';

interface Dataset {
  name: string;
  relation: string;
  label: string | null;
  task: Task;
}

const SYNTHETIC = `synthetic_${syntheticRows / 1000}k_30`;
const DATASETS: Dataset[] = [
  { name: 'breast_cancer', relation: 'pgml.breast_cancer', label: 'malignant', task: 'classification' },
  // pgml.iris is sorted by class: 'last' would test on one class. A fixed shuffle of it (createTables).
  { name: 'iris', relation: 'public.iris_shuffled', label: 'target', task: 'classification' },
  { name: 'digits', relation: 'pgml.digits', label: 'target', task: 'classification' },
  { name: 'diabetes', relation: 'pgml.diabetes', label: 'target', task: 'regression' },
  { name: SYNTHETIC, relation: 'public.synthetic_regression', label: 'label', task: 'regression' },
  { name: 'iris_clusters', relation: 'public.iris_features', label: null, task: 'clustering' },
  { name: 'iris_features', relation: 'public.iris_features', label: null, task: 'decomposition' },
];

/** Kernel methods keep a rows × rows matrix: 75,000 training rows need 45 GB on both sides. */
function kernelSkip(d: Dataset): string | undefined {
  return d.name === SYNTHETIC ? 'not run: kernel matrix of 75k × 75k rows (45 GB, both sides)' : undefined;
}

/** Same hyperparameters on both sides; a seed wherever the estimator draws random numbers. */
const ALGORITHMS: { algorithm: string; tasks: Task[]; hyperparams: Record<string, unknown>; skip?: (d: Dataset) => string | undefined }[] = [
  // The names that trained before issue 17 (LogisticRegression/LinearRegression, Ridge*, Lasso, ElasticNet,
  // SVC/SVR, XGBoost's and XGBRF's estimators), so the table covers every algorithm.
  { algorithm: 'linear', tasks: ['classification', 'regression'], hyperparams: {} },
  { algorithm: 'ridge', tasks: ['classification', 'regression'], hyperparams: {} },
  { algorithm: 'lasso', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'elastic_net', tasks: ['regression'], hyperparams: {} },
  {
    algorithm: 'svm',
    tasks: ['classification', 'regression'],
    hyperparams: {},
    skip: (d) => (d.name === SYNTHETIC ? 'not run: kernel SVM on 75k rows (quadratic, both sides)' : undefined),
  },
  { algorithm: 'xgboost', tasks: ['classification', 'regression'], hyperparams: { n_estimators: 100, max_depth: 6, learning_rate: 0.3, ...SEED } },
  { algorithm: 'xgboost_random_forest', tasks: ['classification', 'regression'], hyperparams: { n_estimators: 100, max_depth: 6, ...SEED } },
  { algorithm: 'lightgbm', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'gradient_boosting_trees', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'hist_gradient_boosting', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'random_forest', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'extra_trees', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'bagging', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'ada_boost', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'stochastic_gradient_descent', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'perceptron', tasks: ['classification'], hyperparams: SEED },
  { algorithm: 'passive_aggressive', tasks: ['classification', 'regression'], hyperparams: SEED },
  {
    algorithm: 'nu_svm',
    tasks: ['classification', 'regression'],
    hyperparams: {},
    // libsvm's kernel solver is quadratic in the rows on both sides: hours at 75,000 training rows.
    skip: (d) => (d.name === SYNTHETIC ? 'not run: kernel SVM on 75k rows (quadratic, both sides)' : undefined),
  },
  { algorithm: 'kmeans', tasks: ['clustering'], hyperparams: { n_clusters: 3, ...SEED } },
  { algorithm: 'mini_batch_kmeans', tasks: ['clustering'], hyperparams: { n_clusters: 3, ...SEED } },
  { algorithm: 'linear_svm', tasks: ['classification', 'regression'], hyperparams: SEED },
  { algorithm: 'bayesian_ridge', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'automatic_relevance_determination', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'huber', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'quantile', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'least_angle', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'lasso_least_angle', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'orthogonal_matching_pursuit', tasks: ['regression'], hyperparams: {} },
  { algorithm: 'ransac', tasks: ['regression'], hyperparams: SEED },
  { algorithm: 'theil_sen', tasks: ['regression'], hyperparams: SEED },
  { algorithm: 'kernel_ridge', tasks: ['regression'], hyperparams: {}, skip: kernelSkip },
  { algorithm: 'gaussian_process', tasks: ['classification', 'regression'], hyperparams: {}, skip: kernelSkip },
  { algorithm: 'birch', tasks: ['clustering'], hyperparams: {} },
  { algorithm: 'mean_shift', tasks: ['clustering'], hyperparams: {} },
  { algorithm: 'affinity_propagation', tasks: ['clustering'], hyperparams: SEED },
  // Two of iris's four components: with all four kept, every fit explains all the test variance (1.0).
  { algorithm: 'pca', tasks: ['decomposition'], hyperparams: { n_components: 2 } },
];

function log(message: string): void {
  process.stderr.write(`[algorithms] ${message}\n`);
}

/**
 * A regression target with a linear part, interactions and noise, from Postgres's seeded random(), when the run has the
 * synthetic dataset: otherwise its 100k rows were written for nothing, and the autovacuum that came for them a minute
 * after the start (its analyze 0.21 s of a worker's CPU, 0.82 s long at load 12) fell among the small datasets' timed fits.
 */
async function createTables(db: pg.Client, synthetic: boolean): Promise<void> {
  const xs = Array.from({ length: 30 }, (_, j) => `x${j}`);
  await db.query('SELECT setseed(0.17)');
  if (synthetic) {
    await db.query(
      `CREATE TABLE synthetic_regression AS
       SELECT ${xs.join(', ')},
              (${xs.map((x, j) => `${((j % 7) - 3) / 3} * ${x}`).join(' + ')} + 2 * x0 * x1 + sin(3 * x2) + 0.3 * (random() - 0.5))::real AS label
         FROM (SELECT ${xs.map((x) => `(random() * 2 - 1)::real AS ${x}`).join(', ')} FROM generate_series(1, ${syntheticRows})) AS features`,
    );
  }
  // pgml.iris is sorted by class: its last 25% would be one class (one cluster, which no silhouette can
  // score). A fixed shuffle (rows ordered by a hash of their values) gives both sides the same mixed test rows.
  await db.query(
    `CREATE TABLE iris_shuffled AS SELECT * FROM pgml.iris
      ORDER BY md5(ROW(sepal_length, sepal_width, petal_length, petal_width, target)::text)`,
  );
  await db.query(
    `CREATE TABLE iris_features AS SELECT sepal_length, sepal_width, petal_length, petal_width FROM pgml.iris
      ORDER BY md5(ROW(sepal_length, sepal_width, petal_length, petal_width)::text)`,
  );
}

/** The relation in table order as CSV, label last (0 for clustering), as pgml.train reads it. */
async function exportCsv(db: pg.Client, d: Dataset, path: string): Promise<{ rows: number; numClasses: number }> {
  const r = await db.query({ text: `SELECT * FROM ${d.relation}`, rowMode: 'array' });
  const labelIndex = d.label === null ? -1 : r.fields.findIndex((f) => f.name === d.label);
  const classes = new Set<number>();
  const lines = (r.rows as unknown[][]).map((row) => {
    // Array columns (digits' image) expand in place, as pgml.train reads them.
    const features = row.filter((_, i) => i !== labelIndex).flatMap((v) => (Array.isArray(v) ? v.flat(Infinity) : [v])).map(Number);
    const raw = labelIndex < 0 ? 0 : row[labelIndex];
    const y = typeof raw === 'boolean' ? (raw ? 1 : 0) : Number(raw);
    classes.add(y);
    return [...features, y].join(',');
  });
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { rows: r.rows.length, numClasses: d.task === 'classification' ? classes.size : 0 };
}

const KEY_METRIC: Record<Task, string> = {
  classification: 'f1',
  regression: 'r2',
  clustering: 'silhouette',
  decomposition: 'cumulative_explained_variance',
};

/**
 * CPU time the proxy process has used, ms: the sum over its live threads' /proc schedstat (ns), so the engine
 * threads, V8's compiler threads and the event loop (a thread that exits takes its time with it).
 */
function proxyCpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

async function trainThroughProxy(db: pg.Client, pid: number, d: Dataset, algorithm: string, hyperparams: Record<string, unknown>) {
  const project = `bench_${d.name}_${algorithm}`;
  // The whole pgml.train, beside fit_time (engine.fit alone): what a training cost the proxy, a first
  // training's JIT warm-up steps (src/pgml/engines/warm-up.ts) included.
  const cpuBefore = proxyCpuMs(pid);
  const wallBefore = performance.now();
  try {
    await db.query(
      `SELECT * FROM pgml.train(project_name => $1, task => $2, relation_name => $3, y_column_name => $4,
         algorithm => $5, hyperparams => $6::jsonb, test_size => $7, test_sampling => 'last')`,
      [project, d.task, d.relation, d.label, algorithm, JSON.stringify(hyperparams), TEST_SIZE],
    );
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  const train = { wallMs: performance.now() - wallBefore, cpuMs: proxyCpuMs(pid) - cpuBefore };
  const m = await db.query<{ metrics: Record<string, number>; runtime: string }>(
    `SELECT m.metrics, m.runtime::text AS runtime FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
      WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
    [project],
  );
  const row = m.rows[0]!;
  return {
    fit_time: round(row.metrics.fit_time!),
    metric: round(row.metrics[KEY_METRIC[d.task]]!),
    runtime: row.runtime,
    train_ms: round(train.wallMs),
    train_cpu_ms: round(train.cpuMs),
  };
}

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}

/**
 * The fitting threads' CPU time, proxy over reference: the thread alone, and the process (the thread and every other
 * thread of the process meanwhile: V8's compiler and GC threads and the event loop; OpenMP's and OpenBLAS's threads).
 */
function cpuRatios(ours: FitThread | undefined, ref: FitThread | undefined): { thread_cpu_ratio?: number; process_cpu_ratio?: number } {
  if (!ours || !ref || !(ref.thread_cpu_ms > 0)) return {};
  return {
    thread_cpu_ratio: round(ours.thread_cpu_ms / ref.thread_cpu_ms, 3),
    process_cpu_ratio: round((ours.thread_cpu_ms + ours.other_threads_cpu_ms) / (ref.thread_cpu_ms + ref.other_threads_cpu_ms), 3),
  };
}

/** Postgres's autovacuum, autoanalyze and checkpoints that overlapped either side's fit. */
function backgroundDuring(runs: BackgroundRun[], ours: FitThread | undefined, ref: FitThread | undefined): { postgres_during_fit?: { proxy: string[]; reference: string[] } } {
  const during = (t: FitThread | undefined) => (t === undefined ? [] : overlapping(runs, t.start_epoch_ms, t.end_epoch_ms));
  const proxy = during(ours);
  const reference = during(ref);
  return proxy.length + reference.length > 0 ? { postgres_during_fit: { proxy, reference } } : {};
}

interface NoiseCell {
  proxy: { fit_time?: number; fit_thread?: FitThread };
  reference: { fit_time?: number; fit_thread?: FitThread };
  time_ok?: boolean;
  thread_cpu_ratio?: number;
  postgres_during_fit?: { proxy: string[]; reference: string[] };
}

/**
 * Over the run, per side: the fits that waited for a core for more than a tenth of their wall time, preemptions, the
 * fits Postgres's background work overlapped; the time misses whose fitting thread's CPU ratio was within 1.5.
 */
function noiseSummary(cells: NoiseCell[], runs: BackgroundRun[], phases: Record<string, unknown>): Record<string, unknown> {
  const side = (pick: (c: NoiseCell) => FitThread | undefined, during: (c: NoiseCell) => string[] | undefined) => {
    const threads = cells.map(pick).filter((t): t is FitThread => t !== undefined);
    return {
      fits_traced: threads.length,
      fits_waiting_over_10pct: threads.filter((t) => t.run_delay_ms > 0.1 * (t.fit_ms ?? t.thread_cpu_ms + t.run_delay_ms)).length,
      run_delay_ms_total: round(threads.reduce((s, t) => s + t.run_delay_ms, 0)),
      involuntary_switches_total: threads.reduce((s, t) => s + t.involuntary_switches, 0),
      fits_with_postgres_background: cells.filter((c) => (during(c)?.length ?? 0) > 0).length,
    };
  };
  const misses = cells.filter((c) => c.time_ok === false);
  return {
    phases,
    proxy: side((c) => c.proxy.fit_thread, (c) => c.postgres_during_fit?.proxy),
    reference: side((c) => c.reference.fit_thread, (c) => c.postgres_during_fit?.reference),
    postgres_background_runs: runs.length,
    time_misses: misses.length,
    time_misses_with_thread_cpu_within_1_5x: misses.filter((c) => c.thread_cpu_ratio !== undefined && c.thread_cpu_ratio <= 1.5).length,
  };
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',');
  const onlyDatasets = process.env.BENCH_DATASETS?.split(',');
  const wanted = DATASETS.filter((d) => !onlyDatasets || onlyDatasets.includes(d.name));
  const scratch = mkdtempSync(join(tmpdir(), 'pgml-bench-algorithms-'));
  const cluster = await startPgCluster({ settings: POSTGRES_LOGGING });
  const tracePath = join(scratch, 'fit-trace.jsonl');
  writeFileSync(tracePath, '');
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let db: pg.Client | undefined;
  let server: ReferenceServer | undefined;
  try {
    await createDatabase(cluster, 'bench');
    proxy = await startProxy({ upstream: cluster.url('postgres', undefined, 'bench'), env: { PGML_FIT_TRACE: tracePath }, ...(process.env.BENCH_CLI ? { cliPath: process.env.BENCH_CLI } : {}) });
    db = new pg.Client({ connectionString: proxy.url('postgres', undefined, 'bench') });
    db.on('error', () => undefined);
    await db.connect();
    for (const name of ['breast_cancer', 'iris', 'digits', 'diabetes']) await db.query('SELECT * FROM pgml.load_dataset($1)', [name]);
    await createTables(db, wanted.some((d) => d.name === SYNTHETIC));
    // The tables just loaded and created are vacuumed and analyzed now, before anything is timed: autovacuum would do it
    // about a minute after the start (log_autovacuum_min_duration shows it), in the middle of the proxy's cells.
    await db.query('VACUUM ANALYZE');

    const datasets = [];
    for (const d of wanted) {
      const csv = join(scratch, `${d.name}.csv`);
      const e = await exportCsv(db, d, csv);
      datasets.push({ name: d.name, csv, task: d.task, num_classes: e.numClasses, rows: e.rows, n_test: Math.round(e.rows * TEST_SIZE) });
    }
    const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 0);
    if (settleMs > 0) {
      log(`leaving the proxy idle for ${settleMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, settleMs));
    }
    const plan = wanted.flatMap((d) =>
      ALGORITHMS.filter((a) => a.tasks.includes(d.task) && (!only || only.includes(a.algorithm))).map((a) => ({ d, a })),
    );
    const cells = plan.filter(({ d, a }) => !a.skip?.(d)).map(({ d, a }) => ({ dataset: d.name, algorithm: a.algorithm, hyperparams: a.hyperparams }));
    const specPath = join(scratch, 'spec.json');
    writeFileSync(specPath, JSON.stringify({ datasets, cells }));
    // Each cell's reference right after the proxy's training of it (reference-server.ts), or, with
    // BENCH_REFERENCE_ORDER=after, every reference after every proxy cell in one process (the order before stop 34).
    const interleaved = process.env.BENCH_REFERENCE_ORDER !== 'after';
    server = interleaved ? await ReferenceServer.start(python, REFERENCE, specPath) : undefined;
    const ticks = { proxy: { busy: 0, idle: 0, steal: 0 }, reference: { busy: 0, idle: 0, steal: 0 } };
    const counted = async <T>(side: keyof typeof ticks, step: () => Promise<T>): Promise<T> => {
      const before = machineTicks();
      const result = await step();
      addTicks(ticks[side], before, machineTicks());
      return result;
    };
    const loads = { start: load(), end: [] as number[] };
    const ours: Record<string, unknown> = {};
    let referenceCells: Record<string, ReferenceCell> = {};
    // The proxy is idle while the reference fits, but alive: its engine threads' JIT warm-up may run beside them.
    let proxyCpuDuringReference = 0;
    let traced = 0;
    for (const cell of cells) {
      const key = `${cell.dataset}/${cell.algorithm}`;
      log(`pgml.train ${cell.dataset} ${cell.algorithm}`);
      const d = wanted.find((w) => w.name === cell.dataset)!;
      const trained = await counted('proxy', () => trainThroughProxy(db!, proxy!.pid, d, cell.algorithm, cell.hyperparams));
      // The trace's lines of this training: one fit (a build without the trace writes none).
      const lines = readFileSync(tracePath, 'utf8').split('\n').filter(Boolean);
      const fits = lines.slice(traced).map((line) => JSON.parse(line) as FitThread);
      traced = lines.length;
      ours[key] = fits.length === 1 ? { ...trained, fit_thread: fits[0] } : trained;
      if (server) {
        const proxyCpu = proxyCpuMs(proxy.pid);
        const fitted = await counted('reference', () => server!.fit(cell));
        const meanwhile = proxyCpuMs(proxy.pid) - proxyCpu;
        proxyCpuDuringReference += meanwhile;
        // The proxy's threads' CPU while this reference fitted: its idle engine threads' JIT warm-up starts once the
        // clients have been quiet 2 s, so inside a reference fit longer than that.
        referenceCells[key] = fitted.error ? fitted : { ...fitted, proxy_cpu_ms_meanwhile: round(meanwhile) };
      }
    }
    let versions: { sklearn: string; lightgbm: string };
    if (server) {
      await server.close();
      versions = server.versions;
    } else {
      const outPath = join(scratch, 'reference.json');
      log(`python reference (${python})`);
      const proxyCpu = proxyCpuMs(proxy.pid);
      const run = await counted('reference', () => execCapture(python, [REFERENCE, specPath, outPath]));
      if (run.code !== 0) throw new Error(`reference failed:\n${run.stderr}`);
      proxyCpuDuringReference = proxyCpuMs(proxy.pid) - proxyCpu;
      const out = JSON.parse(readFileSync(outPath, 'utf8')) as { sklearn: string; lightgbm: string; cells: Record<string, ReferenceCell> };
      referenceCells = out.cells;
      versions = { sklearn: out.sklearn, lightgbm: out.lightgbm };
    }
    loads.end = load();
    const background = backgroundRuns(cluster.logFile);

    const table = plan.map(({ d, a }) => {
      const key = `${d.name}/${a.algorithm}`;
      const skipped = a.skip?.(d);
      if (skipped) return { dataset: d.name, algorithm: a.algorithm, skipped };
      const proxySide = ours[key] as { fit_time?: number; metric?: number; runtime?: string; error?: string; fit_thread?: FitThread };
      const ref = referenceCells[key]!;
      const metricGap = proxySide.metric !== undefined && ref.metric !== undefined ? round(proxySide.metric - ref.metric) : undefined;
      const fitRatio = proxySide.fit_time !== undefined && ref.fit_time ? round(proxySide.fit_time / ref.fit_time, 3) : undefined;
      return {
        dataset: d.name,
        algorithm: a.algorithm,
        metric: KEY_METRIC[d.task],
        proxy: proxySide,
        reference: ref.error
          ? { error: ref.error }
          : {
              fit_time: round(ref.fit_time!),
              metric: round(ref.metric!),
              ...(ref.fit_thread ? { fit_thread: ref.fit_thread } : {}),
              ...(ref.proxy_cpu_ms_meanwhile === undefined ? {} : { proxy_cpu_ms_meanwhile: ref.proxy_cpu_ms_meanwhile }),
            },
        metric_gap: metricGap,
        fit_time_ratio: fitRatio,
        ...cpuRatios(proxySide.fit_thread, ref.fit_thread),
        ...backgroundDuring(background, proxySide.fit_thread, ref.fit_thread),
        metric_ok: metricGap !== undefined && metricGap >= -0.02,
        time_ok: fitRatio !== undefined && fitRatio <= 1.5,
      };
    });
    const run_cells = table.filter((c) => !('skipped' in c));
    process.stdout.write(
      `${JSON.stringify({
        bench: 'algorithms',
        cpus: availableParallelism(),
        load_average: loadavg().map((v) => round(v, 2)),
        ...versions,
        summary: {
          cells: run_cells.length,
          metric_within_0_02: run_cells.filter((c) => 'metric_ok' in c && c.metric_ok).length,
          fit_time_within_1_5x: run_cells.filter((c) => 'time_ok' in c && c.time_ok).length,
        },
        noise: noiseSummary(run_cells as NoiseCell[], background, {
          reference_order: interleaved ? 'each cell after the proxy training of it' : 'every cell after the proxy cells',
          load: loads,
          proxy_steps: machineShares(ticks.proxy),
          reference_steps: { ...machineShares(ticks.reference), proxy_cpu_ms_meanwhile: round(proxyCpuDuringReference) },
        }),
        cells: table,
      })}\n`,
    );
  } finally {
    server?.kill();
    await db?.end().catch(() => undefined);
    await proxy?.stop();
    cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
