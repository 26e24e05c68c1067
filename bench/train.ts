// Training: pgml-proxy's `xgboost` and `linear` (pgml.train through the proxy, metrics read back
// from pgml.models) next to Python's xgboost (Debian python3-xgboost, the same libxgboost) and
// scikit-learn, on breast_cancer, diabetes, digits and a generated 100k×30 table, with the same
// hyperparameters and the same split (test_sampling => 'last': the last 25% of the table's rows).
// The tables are exported in table order, so Python reads exactly the rows pgml.train read.
// Run: npm run build && node --import tsx bench/train.ts   (prints one JSON line)
// Env: BENCH_REPEATS fits per cell, best time kept (3); BENCH_SYNTHETIC_ROWS (100000);
//      BENCH_XGBOOST_THREADS nthread on both sides (all cores); BENCH_PYTHON_XGBOOST /
//      BENCH_PYTHON_SKLEARN interpreters (auto-detected).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { execCapture } from '../test/support/exec.js';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { startProxy } from '../test/support/proxy.js';

const DATABASE = 'bench';
const BASELINE = fileURLToPath(new URL('./train_baseline.py', import.meta.url));
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const syntheticRows = Number(process.env.BENCH_SYNTHETIC_ROWS ?? 100_000);
const SYNTHETIC_FEATURES = 30;
const TEST_SIZE = 0.25;
const threads = Number(process.env.BENCH_XGBOOST_THREADS ?? availableParallelism());

/** The one place both sides take their hyperparameters from. */
const XGBOOST_PARAMS = { n_estimators: 100, max_depth: 6, eta: 0.3, tree_method: 'hist', nthread: threads };
const LINEAR_PARAMS = {
  regression: { fit_intercept: true },
  classification: { C: 1.0, max_iter: 100, tol: 1e-4, fit_intercept: true },
};

type Task = 'regression' | 'classification';

interface Case {
  name: string;
  relation: string;
  label: string;
  task: Task;
}

const CASES: Case[] = [
  { name: 'breast_cancer', relation: 'pgml.breast_cancer', label: 'malignant', task: 'classification' },
  { name: 'diabetes', relation: 'pgml.diabetes', label: 'target', task: 'regression' },
  { name: 'digits', relation: 'pgml.digits', label: 'target', task: 'classification' },
  { name: `synthetic_${syntheticRows / 1000}k_${SYNTHETIC_FEATURES}`, relation: 'public.synthetic', label: 'label', task: 'classification' },
];

function log(message: string): void {
  process.stderr.write(`[train] ${message}\n`);
}

/** The first interpreter that imports every module: the override, then pyenv's/PATH's, then Debian's. */
function findPython(override: string | undefined, modules: string[]): { python: string; error?: string } {
  const candidates = override ? [override] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { python: candidates[0]!, error: `no Python among ${candidates.join(', ')} imports ${modules.join(', ')}` };
}

/** Mulberry32: a small seeded generator, so the synthetic table is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian features; a label from a linear part, two interactions and noise, so both models have work. */
async function createSynthetic(db: pg.Client): Promise<void> {
  const random = seededRandom(42);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const weights = Array.from({ length: SYNTHETIC_FEATURES }, () => gaussian());
  const columns = Array.from({ length: SYNTHETIC_FEATURES }, (_, j) => `x${j}`);
  await db.query(`CREATE TABLE synthetic (${columns.map((c) => `${c} real`).join(', ')}, label boolean)`);
  const insert =
    `INSERT INTO synthetic SELECT * FROM unnest(${columns.map((_, j) => `$${j + 1}::real[]`).join(', ')}, ` +
    `$${SYNTHETIC_FEATURES + 1}::boolean[])`;
  const batch = 10_000;
  for (let start = 0; start < syntheticRows; start += batch) {
    const n = Math.min(batch, syntheticRows - start);
    const cols = columns.map(() => new Array<number>(n));
    const labels = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      let logit = 0;
      for (let j = 0; j < SYNTHETIC_FEATURES; j++) {
        const v = Math.fround(gaussian());
        cols[j]![i] = v;
        logit += (weights[j]! * v) / Math.sqrt(SYNTHETIC_FEATURES);
      }
      logit += 1.5 * cols[0]![i]! * cols[1]![i]! + Math.sin(3 * cols[2]![i]!) + 0.5 * gaussian();
      labels[i] = logit > 0;
    }
    await db.query(insert, [...cols, labels]);
  }
}

interface Exported {
  csv: string;
  rows: number;
  features: number;
  numClasses: number;
}

/** The relation in table order as CSV: features in column order (arrays expanded), label last. */
async function exportCsv(db: pg.Client, c: Case, path: string): Promise<Exported> {
  const r = await db.query({ text: `SELECT * FROM ${c.relation}`, rowMode: 'array' });
  const labelIndex = r.fields.findIndex((f) => f.name === c.label);
  const classes = new Set<string>();
  const lines: string[] = [];
  let features = 0;
  for (const row of r.rows as unknown[][]) {
    const values: unknown[] = [];
    row.forEach((v, i) => {
      if (i !== labelIndex) values.push(...(Array.isArray(v) ? v.flat(Infinity) : [v]));
    });
    features = values.length;
    const label = row[labelIndex];
    const y = typeof label === 'boolean' ? (label ? 1 : 0) : Number(label);
    classes.add(String(y));
    lines.push([...values, y].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { csv: path, rows: r.rows.length, features, numClasses: c.task === 'classification' ? classes.size : 0 };
}

type ReferenceCell = Record<'xgboost' | 'linear', { fit_time: number; metrics: Record<string, number> }>;

interface ProxyResult {
  train_wall: number;
  fit_time: number;
  runtime: string;
  metrics: Record<string, number>;
}

async function trainThroughProxy(db: pg.Client, c: Case, algorithm: 'xgboost' | 'linear'): Promise<ProxyResult> {
  const hyperparams = algorithm === 'xgboost' ? XGBOOST_PARAMS : LINEAR_PARAMS[c.task];
  const project = `bench_${c.name}_${algorithm}`;
  let best: ProxyResult | undefined;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await db.query(
      `SELECT * FROM pgml.train(project_name => $1, task => $2, relation_name => $3, y_column_name => $4,
         algorithm => $5, hyperparams => $6::jsonb, test_size => $7, test_sampling => 'last')`,
      [project, c.task, c.relation, c.label, algorithm, JSON.stringify(hyperparams), TEST_SIZE],
    );
    const wall = (performance.now() - started) / 1000;
    const m = await db.query<{ metrics: Record<string, number>; runtime: string }>(
      `SELECT m.metrics, m.runtime::text AS runtime FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
        WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
      [project],
    );
    const row = m.rows[0];
    if (!row) throw new Error(`pgml.train left no model for ${project}`);
    const { fit_time: fitTime, score_time: _scoreTime, ...metrics } = row.metrics;
    // Best of the repeats for each time, as the Python side keeps its best fit time.
    best = {
      train_wall: round(Math.min(wall, best?.train_wall ?? Infinity)),
      fit_time: round(Math.min(fitTime!, best?.fit_time ?? Infinity)),
      runtime: row.runtime,
      metrics: roundAll(metrics),
    };
  }
  if (!best) throw new Error('BENCH_REPEATS must be at least 1');
  return best;
}

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits + 2));
}

function roundAll(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, round(v)]));
}

/** Largest relative difference over the metrics both sides report. */
function maxRelativeDiff(ours: Record<string, number>, reference: Record<string, number>): { metric: string; diff: number } {
  let worst = { metric: '', diff: 0 };
  for (const [k, ref] of Object.entries(reference)) {
    const v = ours[k];
    if (v === undefined) continue;
    const diff = Math.abs(v - ref) / Math.max(Math.abs(ref), 1e-9);
    if (diff >= worst.diff) worst = { metric: k, diff: round(diff) };
  }
  return worst;
}

async function main(): Promise<void> {
  const xgbPython = findPython(process.env.BENCH_PYTHON_XGBOOST, ['xgboost', 'numpy']);
  const skPython = findPython(process.env.BENCH_PYTHON_SKLEARN, ['sklearn', 'numpy']);
  for (const p of [xgbPython, skPython]) if (p.error) throw new Error(p.error);

  const scratch = mkdtempSync(join(tmpdir(), 'pgml-bench-train-'));
  const cluster = await startPgCluster();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let db: pg.Client | undefined;
  try {
    await createDatabase(cluster, DATABASE);
    proxy = await startProxy({ upstream: cluster.url('postgres', undefined, DATABASE) });
    db = new pg.Client({ connectionString: proxy.url('postgres', undefined, DATABASE) });
    db.on('error', () => undefined);
    await db.connect();

    for (const name of ['breast_cancer', 'diabetes', 'digits']) {
      await db.query('SELECT * FROM pgml.load_dataset($1)', [name]);
    }
    log(`generating ${syntheticRows}×${SYNTHETIC_FEATURES}`);
    await createSynthetic(db);
    await db.query('ANALYZE');

    const datasets = [];
    const exported = new Map<string, Exported>();
    for (const c of CASES) {
      const e = await exportCsv(db, c, join(scratch, `${c.name}.csv`));
      exported.set(c.name, e);
      // pgml.train's split (sampling.ts splitCounts): round(rows × test_size) test rows at the end.
      datasets.push({ name: c.name, csv: e.csv, task: c.task, num_classes: e.numClasses, n_test: Math.round(e.rows * TEST_SIZE) });
    }
    const spec = { repeats, xgboost: XGBOOST_PARAMS, linear: LINEAR_PARAMS, datasets };
    const specPath = join(scratch, 'spec.json');
    const xgbOut = join(scratch, 'xgboost.json');
    writeFileSync(specPath, JSON.stringify(spec));

    // Per dataset, pgml-proxy's fits then Python's, so drift in the machine's load hits both alike.
    const proxyResults = new Map<string, { xgboost: ProxyResult; linear: ProxyResult }>();
    const reference = { sklearn_version: '', xgboost_version: '', datasets: {} as Record<string, ReferenceCell> };
    for (const c of CASES) {
      log(`pgml.train ${c.name}`);
      proxyResults.set(c.name, { xgboost: await trainThroughProxy(db, c, 'xgboost'), linear: await trainThroughProxy(db, c, 'linear') });
      log(`python xgboost (${xgbPython.python}) ${c.name}`);
      const x = await execCapture(xgbPython.python, [BASELINE, 'xgboost', specPath, xgbOut, c.name]);
      if (x.code !== 0) throw new Error(`python xgboost baseline failed:\n${x.stderr}`);
      log(`python scikit-learn (${skPython.python}) ${c.name}`);
      const s = await execCapture(skPython.python, [BASELINE, 'sklearn', specPath, xgbOut, c.name]);
      if (s.code !== 0) throw new Error(`python scikit-learn baseline failed:\n${s.stderr}`);
      const out = JSON.parse(s.stdout) as typeof reference;
      reference.sklearn_version = out.sklearn_version;
      reference.xgboost_version = out.xgboost_version;
      Object.assign(reference.datasets, out.datasets);
    }

    const cells = CASES.flatMap((c) =>
      (['xgboost', 'linear'] as const).map((algorithm) => {
        const ours = proxyResults.get(c.name)![algorithm];
        const ref = reference.datasets[c.name]![algorithm];
        const e = exported.get(c.name)!;
        return {
          dataset: c.name,
          task: c.task,
          rows: e.rows,
          features: e.features,
          algorithm,
          proxy: ours,
          reference: {
            impl: algorithm === 'xgboost' ? `python xgboost ${reference.xgboost_version}` : `scikit-learn ${reference.sklearn_version}`,
            fit_time: round(ref.fit_time),
            metrics: roundAll(ref.metrics),
          },
          fit_time_ratio: round(ours.fit_time / ref.fit_time, 2),
          max_metric_rel_diff: maxRelativeDiff(ours.metrics, ref.metrics),
        };
      }),
    );
    const summary = {
      metrics_within_1pct: cells.filter((c) => c.max_metric_rel_diff.diff <= 0.01).length,
      fit_time_within_1_5x: cells.filter((c) => c.fit_time_ratio <= 1.5).length,
      cells: cells.length,
    };
    process.stdout.write(
      `${JSON.stringify({
        bench: 'train',
        cpus: availableParallelism(),
        load_average: loadavg().map((v) => round(v, 1)),
        repeats,
        test_size: TEST_SIZE,
        test_sampling: 'last',
        hyperparams: { xgboost: XGBOOST_PARAMS, linear: LINEAR_PARAMS },
        summary,
        cells,
      })}\n`,
    );
  } finally {
    await db?.end().catch(() => undefined);
    await proxy?.stop();
    cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
