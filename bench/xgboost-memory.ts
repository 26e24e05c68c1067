// What libxgboost adds to the proxy's peak memory on top of the float32 training matrix (issue 15:
// peak RSS at most 2× the matrix plus a constant), each case in a fresh process, on BENCH_ROWS×30
// random rows (750000 by default: the training rows of a 1M-row table with test_size 0.25):
// - fit_default / fit_hist: one boosting round through the engine's native runtime with XGBoost's
//   default tree method (auto, which 1.7 resolves to exact below 4M rows) and with tree_method hist
//   (a QuantileDMatrix on the matrix in place);
// - dmatrix_from_mat / dmatrix_from_dense: only building a DMatrix, with XGDMatrixCreateFromMat (what
//   the default path uses) and with XGDMatrixCreateFromDense given an array interface that points
//   at the same shared buffer (the copy-free candidate for the exact method);
// - predict: scoring a third of the rows (a 1M-row table's held-out rows at 750k) with a booster
//   trained on 1000 of them, as scoring hands them over (a view of the shared matrix).
// Run: node --import tsx bench/xgboost-memory.ts   (prints one JSON line)
// Env: BENCH_ROWS (750000); BENCH_XGBOOST_MODULE another build's xgboost/native.js to measure
//      instead of this checkout's (the baseline of a change).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { koffi } from '../src/pgml/engines/native-library.js';
import type { nativeXgboostStatus as NativeXgboostStatus } from '../src/pgml/engines/xgboost/native.js';

const COLS = 30;
const ROWS = Number(process.env.BENCH_ROWS ?? 750_000);
const CASES = ['fit_default', 'fit_hist', 'dmatrix_from_mat', 'dmatrix_from_dense', 'predict'] as const;
const nativeModule = process.env.BENCH_XGBOOST_MODULE ?? new URL('../src/pgml/engines/xgboost/native.ts', import.meta.url).href;
const { nativeXgboostStatus } = (await import(nativeModule)) as { nativeXgboostStatus: typeof NativeXgboostStatus };
type Case = (typeof CASES)[number];

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}

function kb(field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);
}

/** Deterministic features in [-1, 1) and a label from two of them and an interaction. */
function matrix(rows: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(new SharedArrayBuffer(rows * COLS * 4));
  let s = 12345;
  for (let i = 0; i < x.length; i++) x[i] = ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = x[r * COLS]! + x[r * COLS + 1]! * x[r * COLS + 2]! > 0 ? 1 : 0;
  return { x, y };
}

/** One case in this process: MB the peak grew by over the resident set once the matrix exists. */
function measure(which: Case): Record<string, number | string> {
  const status = nativeXgboostStatus();
  if (status.status !== 'loaded') throw new Error('libxgboost did not load');
  const runtime = status.value;
  const { x, y } = matrix(ROWS);
  // Warm the library (its thread pool, first allocations) on a few rows so the constant is not counted.
  runtime.train({ x: x.subarray(0, 100 * COLS), rows: 100, cols: COLS, y: y.subarray(0, 100), params: [['nthread', '2']], rounds: 1 }).free();
  const before = kb('VmRSS');
  const started = performance.now();
  const params: [string, string][] = [['objective', 'binary:logistic'], ['max_depth', '6'], ['nthread', '2']];
  if (which === 'predict') {
    const booster = runtime.train({ x: x.subarray(0, 1000 * COLS), rows: 1000, cols: COLS, y: y.subarray(0, 1000), params, rounds: 20 });
    const heldOut = Math.floor(ROWS / 3);
    const start = ROWS - heldOut;
    const predictBefore = kb('VmRSS');
    const predicting = performance.now();
    booster.predict(x.subarray(start * COLS), heldOut, COLS, false);
    const seconds = round((performance.now() - predicting) / 1000);
    booster.free();
    return { case: which, rows: heldOut, seconds, added_mb: round((kb('VmHWM') - Math.max(before, predictBefore)) / 1024) };
  }
  if (which === 'fit_default' || which === 'fit_hist') {
    if (which === 'fit_hist') params.push(['tree_method', 'hist']);
    runtime.train({ x, rows: ROWS, cols: COLS, y, params, rounds: 1 }).free();
  } else {
    const k = koffi();
    const lib = k.load(status.path!);
    const handle = k.pointer('BenchHandle', k.opaque());
    const out: unknown[] = [null];
    const rc =
      which === 'dmatrix_from_mat'
        ? (lib.func('int XGDMatrixCreateFromMat(const float* data, uint64_t nrow, uint64_t ncol, float missing, _Out_ BenchHandle* out)') as (...a: unknown[]) => number)(
            x, ROWS, COLS, Number.NaN, out)
        : (lib.func('int XGDMatrixCreateFromDense(const char* data, const char* config, _Out_ BenchHandle* out)') as (...a: unknown[]) => number)(
            JSON.stringify({ data: [Number(k.address(x)), true], shape: [ROWS, COLS], typestr: '<f4', version: 3 }), '{"missing":NaN,"nthread":2}', out);
    if (rc !== 0) throw new Error(`${which} failed`);
  }
  return { case: which, seconds: round((performance.now() - started) / 1000), added_mb: round((kb('VmHWM') - before) / 1024) };
}

const only = process.argv[2] as Case | undefined;
if (only) {
  process.stdout.write(`${JSON.stringify(measure(only))}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const loadStart = loadavg().map((v) => round(v, 2));
  const matrixMb = round((ROWS * COLS * 4) / (1024 * 1024));
  const cases = CASES.map((which) => {
    const child = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, which], { encoding: 'utf8' })) as { added_mb: number };
    return { ...child, added_per_matrix: round(child.added_mb / matrixMb, 3) };
  });
  const status = nativeXgboostStatus();
  const xgboost = status.status === 'loaded' ? status.value.version : null;
  const loadEnd = loadavg().map((v) => round(v, 2));
  process.stdout.write(
    `${JSON.stringify({ bench: 'xgboost-memory', rows: ROWS, cols: COLS, matrix_mb: matrixMb, xgboost, load_average: { start: loadStart, end: loadEnd }, cases })}\n`,
  );
}
