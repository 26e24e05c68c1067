// Training wall time (issue 15): the whole `SELECT * FROM pgml.train(...)` through pgml-proxy
// against the whole Python path (bench/train_wall_baseline.py: psycopg fetch, native XGBoost or
// scikit-learn's LogisticRegression, same parameters and split, scoring), in one run, on generated
// n×30 classification tables. Per cell also the proxy's peak RSS during the training (VmHWM, reset
// before it) next to the float32 matrix it needs, and the measurement of the event loop: the
// p99 latency of one SELECT 1 loop through the proxy while it trains against the same loop idle
// (BENCH_IDLE_MS, 10 s, through the same proxy just before: no model training), both windows
// observed alike (the CPU sampler below runs in this process, the loop's client, in both; until
// stop 32 only during the fit, whose SELECT 1s alone then waited on it). Only that one loop
// runs during the fit, so nothing but the training shares the machine with it. Then, as context, a
// second pass trains again with the loop through an identical second proxy on the same upstream that
// trains nothing (the twin): the fit's threads, the decoder and the upstream's COPY slow both proxies
// alike, a blocked event loop only the training one. (Until stop 27 the twin's loop ran in the same
// pass, so its client, proxy and backend loaded the machine during the headline measurement.)
// The training proxy paces its read only while another of its own sessions is active
// (--train-read-mb-per-second, PGML_TRAIN_READ_MB_PER_SECOND): with the loop through it, not in the twin's pass.
// Per cell also its phases as the training's notices cut them (bench/train-phases.ts: lookup, read
// and dataset, fit/scoring/serialization, registration), each with the loop's p99 in both passes, the
// CPU time of the training proxy's main thread less what its SELECT 1s cost (own_main_cpu_ms, at the
// twin's cost per query), its run-queue wait (main_runqueue_wait_ms: runnable, not running), the CPU
// time of the training session's upstream backend (backend_cpu_ms: it sends the rows) and the largest
// RSS, and the RSS second by second (what holds memory when). Per cell also that run-queue wait per
// SELECT 1 served, idle and during the fit (/proc schedstat): CPU contention met by the event
// loop, which the machine's other load moves less than a p99 does; and the main thread's CPU per
// SELECT 1 served, idle and during the read (main_cpu_us_per_select1: the read's share on top).
// First the fixed overhead: a linear fit on breast_cancer, wall time minus the fit, as
// bench/train-overhead.ts measures it: the proxy's first training is reported apart (it runs the engine
// thread's warm-up steps for linear first), the others once both proxies have settled (10 s after the
// start, and then their CPU idle for a second: their engine warm-up is over), and their median is the
// figure. Until stop 32 the five tries came right after the two proxies' start, beside the twin's own
// start-up warm-up (about 2 s of CPU on the two cores), best of five: 26–29 ms against
// train-overhead's 15–21 ms on the same build (BENCHMARKS.md, issue 15, ovh2).
// Run: npm run build && node --import tsx bench/train-wall.ts   (prints one JSON line)
// Env: BENCH_ROWS comma list of table sizes (100000); BENCH_MILLION=1 adds 1000000;
//      BENCH_PYTHON interpreter with psycopg, scikit-learn and xgboost (python3);
//      BENCH_ALGORITHMS comma list of the cells' algorithms (xgboost,linear);
//      BENCH_CLI another build's dist/cli.js for both proxies (an A/B against main's build);
//      BENCH_PYTHON=off skips the Python side (the proxy's runs only, for repeated A/B runs);
//      BENCH_IDLE_MS the idle loop's window (10000); BENCH_TWIN=off skips the twin's pass;
//      BENCH_OVERHEAD_AFTER_MS the overhead's least wait after the proxies' start (10000, train-overhead's);
//      BENCH_OVERHEAD_RUNS its trainings after the first (15); BENCH_ROWS= (empty) measures it alone;
//      BENCH_LOOP_TRACE=1 preloads bench/loop-delay-trace.mjs into the proxies: each cell's phases
//      (cut by the training's notices) then also show the training proxy's event-loop stalls.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { execCapture } from '../test/support/exec.js';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { startProxy } from '../test/support/proxy.js';
import { median, p99, selectLoop } from './select-loop.js';
import { ROW_BYTES } from './read-bench-support.js';
import { createTable, FEATURES } from './train-table.js';
import { cpuMs, phaseReport, readStalls, rssTimeline, runqueueWait, sampleCpu, settle, type Notice, type Pass, type TimedLoop } from './train-phases.js';

const DATABASE = 'bench';
const BASELINE = fileURLToPath(new URL('./train_wall_baseline.py', import.meta.url));
const TEST_SIZE = 0.25;
const sizes = [
  ...(process.env.BENCH_ROWS ?? '100000').split(',').filter(Boolean).map(Number),
  ...(process.env.BENCH_MILLION === '1' ? [1_000_000] : []),
];
const python = process.env.BENCH_PYTHON ?? 'python3';
const cliPath = process.env.BENCH_CLI;
const algorithms = (process.env.BENCH_ALGORITHMS ?? 'xgboost,linear').split(',').filter(Boolean) as Algorithm[];
const threads = availableParallelism();
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const OVERHEAD_AFTER_MS = Number(process.env.BENCH_OVERHEAD_AFTER_MS ?? 10_000);
const OVERHEAD_RUNS = Number(process.env.BENCH_OVERHEAD_RUNS ?? 15);
const twinPasses = process.env.BENCH_TWIN !== 'off';
const traceDir = process.env.BENCH_LOOP_TRACE === '1' ? mkdtempSync(join(tmpdir(), 'loop-trace-')) : undefined;
if (traceDir !== undefined) {
  const preload = fileURLToPath(new URL('./loop-delay-trace.mjs', import.meta.url));
  process.env.PGML_PROXY_NODE_ARGS = `${process.env.PGML_PROXY_NODE_ARGS ?? ''} --import ${preload}`.trim();
  process.env.BENCH_LOOP_TRACE_DIR = traceDir;
}

const PARAMS = {
  xgboost: { n_estimators: 100, max_depth: 6, eta: 0.3, tree_method: 'hist', nthread: threads },
  linear: { C: 1.0, max_iter: 100, tol: 1e-4, fit_intercept: true },
};
type Algorithm = keyof typeof PARAMS;
const COMPARED = ['accuracy', 'f1', 'precision', 'recall', 'roc_auc', 'mcc'];

function log(message: string): void {
  process.stderr.write(`[train-wall] ${message}\n`);
}

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}

/** The proxy's resident set now and at its peak since the last reset, in MB (Linux /proc). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss: round(kb('VmRSS') / 1024), peak: round(kb('VmHWM') / 1024) };
}

function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

interface ProxyRun {
  wall: number;
  fit_time: number;
  metrics: Record<string, number>;
}

async function trainThroughProxy(db: pg.Client, project: string, table: string, label: string, algorithm: Algorithm): Promise<ProxyRun> {
  const started = performance.now();
  await db.query(
    `SELECT * FROM pgml.train(project_name => $1, task => 'classification', relation_name => $2, y_column_name => $3,
       algorithm => $4, hyperparams => $5::jsonb, test_size => $6, test_sampling => 'last')`,
    [project, table, label, algorithm, JSON.stringify(PARAMS[algorithm]), TEST_SIZE],
  );
  const wall = (performance.now() - started) / 1000;
  const m = await db.query<{ metrics: Record<string, number> }>(
    `SELECT m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
    [project],
  );
  const metrics = m.rows[0]!.metrics;
  return { wall: round(wall), fit_time: round(metrics.fit_time!), metrics: Object.fromEntries(COMPARED.map((k) => [k, round(metrics[k]!)])) };
}

interface PythonRun {
  wall: number;
  fetch: number;
  fit_time: number;
  xgboost_version: string;
  metrics: Record<string, number>;
}

async function pythonRun(direct: string, table: string, algorithm: Algorithm): Promise<PythonRun> {
  log(`${table} ${algorithm}: python`);
  const py = await execCapture(python, [BASELINE, direct, table, 'label', algorithm, JSON.stringify(PARAMS[algorithm]), String(TEST_SIZE)]);
  if (py.code !== 0) throw new Error(`python baseline failed:\n${py.stderr}`);
  return JSON.parse(py.stdout) as PythonRun;
}

/**
 * One training through `db` (the training proxy) with one SELECT 1 loop through `loopUrl` beside it,
 * and the CPU of the proxy `pid` that loop goes through sampled meanwhile.
 */
async function trainBesideLoop(db: pg.Client, project: string, table: string, algorithm: Algorithm, loopUrl: string, pid: number): Promise<{ run: ProxyRun; pass: Pass }> {
  const notices: Notice[] = [];
  const onNotice = (n: { message?: string }): void => void notices.push([performance.timeOrigin + performance.now(), n.message ?? '']);
  db.on('notice', onNotice);
  const loop: TimedLoop = { starts: [], latencies: [] };
  // Only the training proxy's pass: the backend that sends its rows shares the machine with the loop.
  const backendPid = pid === trainingPid ? await backendPidOf(db) : undefined;
  const stopCpu = sampleCpu(pid, backendPid);
  const start = performance.timeOrigin + performance.now();
  try {
    const training = trainThroughProxy(db, project, table, 'label', algorithm);
    const [run, latencies] = await Promise.all([training, selectLoop(loopUrl, training.catch(() => undefined), loop.starts)]);
    loop.latencies = latencies;
    return { run, pass: { start, end: performance.timeOrigin + performance.now(), notices, loop, cpu: stopCpu() } };
  } finally {
    db.off('notice', onNotice);
  }
}

/** The upstream backend of the session `db` (through the proxy: the training's own session). */
async function backendPidOf(db: pg.Client): Promise<number> {
  return Number((await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
}

/** The training proxy's pid: its passes also sample the training session's upstream backend. */
let trainingPid = -1;

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let idleTwin: Awaited<ReturnType<typeof startProxy>> | undefined;
  let db: pg.Client | undefined;
  const loadStart = loadavg().map((v) => round(v, 2));
  try {
    await createDatabase(cluster, DATABASE);
    const direct = cluster.url('postgres', undefined, DATABASE);
    const build = cliPath === undefined ? {} : { cliPath };
    proxy = await startProxy({ upstream: direct, ...build });
    trainingPid = proxy.pid;
    const url = proxy.url('postgres', undefined, DATABASE);
    idleTwin = await startProxy({ upstream: direct, ...build });
    const idleUrl = idleTwin.url('postgres', undefined, DATABASE);
    db = new pg.Client({ connectionString: url });
    db.on('error', () => undefined);
    await db.connect();

    log('breast_cancer linear: fixed overhead');
    const started = performance.now();
    await db.query('SELECT * FROM pgml.load_dataset($1)', ['breast_cancer']);
    const overhead = async () => {
      const run = await trainThroughProxy(db!, 'bench_overhead', 'pgml.breast_cancer', 'malignant', 'linear');
      return { wall: run.wall, fit_time: run.fit_time, outside_ms: round((run.wall - run.fit_time) * 1000) };
    };
    const firstOverhead = await overhead();
    await new Promise((r) => setTimeout(r, Math.max(0, OVERHEAD_AFTER_MS - (performance.now() - started))));
    await settle([proxy.pid, idleTwin.pid]);
    const settledAfterMs = Math.round(performance.now() - started);
    const overheads = [];
    for (let i = 0; i < OVERHEAD_RUNS; i++) overheads.push(await overhead());
    const cells = [];
    for (const rows of sizes) {
      const table = `synthetic_${rows}`;
      log(`generating ${rows}×${FEATURES}`);
      const setup = new pg.Client({ connectionString: direct });
      await setup.connect();
      await createTable(setup, table, rows);
      await setup.end();
      for (const algorithm of algorithms) {
        log(`${table} ${algorithm}: idle SELECT 1 loop, ${IDLE_MS} ms`);
        // Sampled as the fit's window is (same sampler, same process, same 50 ms): each sample blocks
        // this process's event loop, the loop's client, for about 75 µs, so a window sampled alone
        // would carry slow SELECT 1s that the other does not.
        const stopIdleCpu = sampleCpu(proxy.pid, await backendPidOf(db));
        const idle = await selectLoop(url, new Promise((r) => setTimeout(r, IDLE_MS)));
        const idleCpu = stopIdleCpu();
        const idleWait = idleCpu[idleCpu.length - 1]![4] - idleCpu[0]![4];
        const idleMainCpu = idleCpu[idleCpu.length - 1]![1] - idleCpu[0]![1];
        log(`${table} ${algorithm}: pgml.train with one SELECT 1 loop through the training proxy`);
        const before = memory(proxy.pid);
        resetPeak(proxy.pid);
        const { run: ours, pass } = await trainBesideLoop(db, `bench_${table}_${algorithm}`, table, algorithm, url, proxy.pid);
        await new Promise((r) => setTimeout(r, traceDir === undefined ? 0 : 600));
        const stalls = readStalls(traceDir, proxy.pid);
        let twinPass: Pass | null = null;
        if (twinPasses) {
          log(`${table} ${algorithm}: pgml.train again, the SELECT 1 loop through the idle twin`);
          twinPass = (await trainBesideLoop(db, `bench_${table}_${algorithm}_twin`, table, algorithm, idleUrl, idleTwin.pid)).pass;
        }
        const phases = phaseReport(pass, twinPass, stalls);
        const read = phases.find((p) => p.phase === 'read_and_dataset')!;
        const [busy, twin] = [pass.loop.latencies, twinPass?.loop.latencies ?? []];
        const after = memory(proxy.pid);
        const reference = python === 'off' ? null : await pythonRun(direct, table, algorithm);
        const matrixMb = round((rows * FEATURES * 4) / (1024 * 1024));
        const diff = reference === null ? null : Math.max(...COMPARED.map((k) => Math.abs(ours.metrics[k]! - reference.metrics[k]!)));
        const cell = {
          rows,
          features: FEATURES,
          algorithm,
          proxy: { ...ours, rss_before_mb: before.rss, peak_rss_mb: after.peak, matrix_mb: matrixMb, peak_over_before_per_matrix: round((after.peak - before.rss) / matrixMb, 3) },
          python:
            reference === null
              ? null
              : {
                  impl: algorithm === 'xgboost' ? `psycopg + xgboost ${reference.xgboost_version}` : 'psycopg + scikit-learn LogisticRegression',
                  wall: round(reference.wall),
                  fetch: round(reference.fetch),
                  fit_time: round(reference.fit_time),
                  metrics: Object.fromEntries(Object.entries(reference.metrics).map(([k, v]) => [k, round(v)])),
                },
          wall_ratio: reference === null ? null : round(ours.wall / reference.wall, 3),
          max_metric_abs_diff: diff === null ? null : round(diff, 3),
          select1_p99_ms: {
            idle: p99(idle),
            during_fit: p99(busy),
            ratio: round(p99(busy) / p99(idle), 3),
            samples_during_fit: busy.length,
            samples_idle: idle.length,
            idle_ms: IDLE_MS,
            ...(twinPass === null
              ? {}
              : { twin_pass_during_fit: p99(twin), samples_twin_pass: twin.length, ratio_vs_twin_pass: round(p99(busy) / p99(twin), 3) }),
          },
          // The main thread's CPU per SELECT 1 served idle and during the read and dataset phase, with
          // the MB of DataRows that phase read (this table's rows have no NULLs: ROW_BYTES each).
          main_cpu_us_per_select1: {
            idle: round((idleMainCpu * 1000) / idle.length),
            read: round((read.main_cpu_ms * 1000) / read.select1_n),
            read_mb: round((rows * ROW_BYTES) / (1024 * 1024)),
          },
          // The proxy's main thread's time runnable but not running, per SELECT 1 served (µs).
          main_runqueue_wait_us_per_select1: {
            idle: round((idleWait * 1000) / idle.length, 3),
            during_fit: round((runqueueWait(pass) * 1000) / busy.length, 3),
            ...(twinPass === null ? {} : { twin_pass: round((runqueueWait(twinPass) * 1000) / twin.length, 3) }),
          },
          phases,
          rss_timeline_mb: rssTimeline(pass.cpu, pass.start),
        };
        log(JSON.stringify(cell));
        cells.push(cell);
      }
    }

    const best = overheads.reduce((a, b) => (b.outside_ms < a.outside_ms ? b : a));

    process.stdout.write(
      `${JSON.stringify({
        bench: 'train-wall',
        ...(cliPath === undefined ? {} : { cli: cliPath }),
        cpus: threads,
        load_average: { start: loadStart, end: loadavg().map((v) => round(v, 2)) },
        test_size: TEST_SIZE,
        test_sampling: 'last',
        hyperparams: PARAMS,
        summary: {
          wall_within_1x: cells.filter((c) => c.wall_ratio !== null && c.wall_ratio <= 1).length,
          metrics_within_0_01: cells.filter((c) => c.max_metric_abs_diff !== null && c.max_metric_abs_diff <= 0.01).length,
          cells: cells.length,
        },
        cells,
        breast_cancer_linear_overhead: { first_training: firstOverhead, settled_after_ms: settledAfterMs, median_outside_ms: median(overheads.map((o) => o.outside_ms)), best, runs: overheads },
      })}\n`,
    );
  } finally {
    await db?.end().catch(() => undefined);
    await proxy?.stop();
    await idleTwin?.stop();
    cluster.stop();
  }
}

await main();
