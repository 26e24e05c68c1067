/**
 * liblinear 2.3 (Debian's liblinear4, the C library scikit-learn's LinearSVC/LinearSVR vendor a patched
 * copy of) bound through koffi, for linear_svm. Calls are synchronous inside the engine pool's threads.
 *
 * The problem is built as scikit-learn's liblinear helper builds it: each row's non-zero features as
 * (index, value) nodes, then the bias feature (value intercept_scaling) when an intercept is fitted,
 * then the terminator. The structs are laid out by hand (linear.h of 2.3: `parameter` has no `nu` or
 * `regularize_bias`, which 2.4 added), so only a 2.2x–2.3x library is accepted.
 *
 * The dual solvers (hinge, epsilon_insensitive) shuffle with libc's rand(), seeded here from random_state
 * just before train. rand()'s state is the process's, so seeding and training hold a lock every engine
 * thread shares (process-lock.ts): two dual trainings at once would otherwise draw from one sequence and
 * neither would be the model its random_state names. The primal Newton method draws nothing.
 *
 * liblinear prints through one process-wide function pointer. A JavaScript callback would belong to the
 * thread that registered it and be called from whichever engine thread trains next, so the print
 * function is a native function that reads its argument and does nothing else (strlen, found through
 * liblinear's own dependencies).
 */
import type * as Koffi from 'koffi';
import { blasStatus } from './blas.js';
import { describeNativeLoad, koffi, loadNativeLibrary, type NativeLoad } from './native-library.js';
import { ProcessLock, withProcessLock } from './process-lock.js';

/** linear.h's solver_type values used by linear_svm (as scikit-learn's _get_liblinear_solver_type). */
export const L2R_L2LOSS_SVC = 2;
export const L2R_L1LOSS_SVC_DUAL = 3;
export const L2R_L2LOSS_SVR = 11;
export const L2R_L1LOSS_SVR_DUAL = 13;
/** The solvers that draw from rand(). */
const DUAL_SOLVERS: ReadonlySet<number> = new Set([L2R_L1LOSS_SVC_DUAL, L2R_L1LOSS_SVR_DUAL]);

/** The iteration limit liblinear 2.3 hard-codes in TRON and in its dual solvers (scikit-learn's default max_iter). */
export const LIBLINEAR_MAX_ITER = 1000;

// linear.h (2.3) on a 64-bit ABI: feature_node {int index; double value;}, problem {int l, n; double* y;
// feature_node** x; double bias;}, parameter {int solver_type; double eps, C; int nr_weight; int*
// weight_label; double* weight; double p; double* init_sol;}.
const NODE_BYTES = 16;
const PROBLEM_BYTES = 32;
const PARAMETER_BYTES = 64;

type Fn = (...args: unknown[]) => unknown;

interface Api {
  version: number;
  train: Fn;
  checkParameter: (problem: Uint8Array, parameter: Uint8Array) => string | null;
  nrClass: (model: bigint) => number;
  labels: (model: bigint, out: Int32Array) => void;
  coef: (model: bigint, feature: number, label: number) => number;
  bias: (model: bigint, label: number) => number;
  freeModel: (model: BigUint64Array) => void;
  srand: (seed: number) => void;
  quietPrint: bigint;
  setPrint: (f: bigint) => void;
}

function bind(lib: Koffi.LibraryHandle, k: typeof Koffi): Api {
  if (k.sizeof('void*') !== 8) throw new Error('pgml-proxy lays out liblinear\'s structs for a 64-bit ABI only');
  const version = k.decode(lib.symbol('liblinear_version'), 'int') as number;
  if (version < 220 || version >= 240) {
    throw new Error(`liblinear version ${version}: pgml-proxy binds the structs of liblinear 2.2x–2.3x`);
  }
  const quietPrint = lib.symbol('strlen') as bigint;
  return {
    version,
    train: lib.func('void* train(const void* prob, const void* param)') as Fn,
    checkParameter: lib.func('const char* check_parameter(const void* prob, const void* param)') as Api['checkParameter'],
    nrClass: lib.func('int get_nr_class(void* model)') as Api['nrClass'],
    labels: lib.func('void get_labels(void* model, _Out_ int* label)') as Api['labels'],
    coef: lib.func('double get_decfun_coef(void* model, int feat_idx, int label_idx)') as Api['coef'],
    bias: lib.func('double get_decfun_bias(void* model, int label_idx)') as Api['bias'],
    freeModel: lib.func('void free_and_destroy_model(void* model_ptr_ptr)') as Api['freeModel'],
    srand: lib.func('void srand(unsigned int seed)') as Api['srand'],
    quietPrint,
    setPrint: lib.func('void set_print_string_function(void* print_func)') as Api['setPrint'],
  };
}

let cached: NativeLoad<Api> | undefined;

/** Where this thread's liblinear came from, or why there is none; loads it on first use. */
export function liblinearStatus(): NativeLoad<Api> {
  if (cached) return cached;
  // liblinear calls the system BLAS (ddot_, daxpy_): load ours first so OpenBLAS runs on this thread only (blas.ts).
  blasStatus();
  cached = loadNativeLibrary({
    name: 'liblinear',
    envVar: 'PGML_LIBLINEAR_LIB',
    // Only liblinear 2.x's soname 4 (Debian's liblinear4): 2.4 changed the parameter struct.
    fileNames: ['liblinear.so.4', 'liblinear.4.dylib'],
    bind,
  });
  return cached;
}

export function describeLiblinear(): string {
  return describeNativeLoad('liblinear', liblinearStatus());
}

export interface LiblinearProblem {
  /** Row-major features, rows × cols. */
  x: Float32Array;
  rows: number;
  cols: number;
  /** Row order to hand liblinear (liblinear's own grouping by class keeps it within a class). */
  order: Int32Array;
  /** Targets or class indices, in the original row numbering. */
  y: ArrayLike<number>;
  /** intercept_scaling when an intercept is fitted. */
  bias: number | undefined;
}

export interface LiblinearSettings {
  solver: number;
  c: number;
  eps: number;
  /** epsilon of the SVR losses (liblinear's p). */
  p: number;
  /** Seeds libc's rand(), which the dual solvers shuffle with. */
  seed: number;
}

export interface LiblinearModel {
  /** liblinear's labels in its order (class indices as given in y); [] for regression. */
  labels: number[];
  /** One row per decision function: cols weights, then the intercept (bias weight × intercept_scaling). */
  coef: number[][];
  intercept: number[];
}

/**
 * Trains with liblinear: problem in malloc'd memory (liblinear keeps pointers into it during train),
 * freed with the model before returning. Throws when the library is not loaded.
 */
export function trainLiblinear(problem: LiblinearProblem, settings: LiblinearSettings): LiblinearModel {
  const status = liblinearStatus();
  if (status.status !== 'loaded') throw new Error(describeLiblinear());
  const api = status.value;
  const k = koffi();
  const { x, rows, cols, order, bias } = problem;
  let nonzero = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) nonzero++;
  const nodeCount = nonzero + rows * (bias === undefined ? 1 : 2);
  const nodes = k.alloc('uint8', nodeCount * NODE_BYTES) as bigint;
  const rowPointers = k.alloc('uint8', rows * 8) as bigint;
  const labels = k.alloc('uint8', rows * 8) as bigint;
  let model = 0n;
  try {
    const nodeBuffer = k.view(nodes, nodeCount * NODE_BYTES);
    const index = new Int32Array(nodeBuffer);
    const value = new Float64Array(nodeBuffer);
    const pointer = new Uint32Array(k.view(rowPointers, rows * 8));
    const y = new Float64Array(k.view(labels, rows * 8));
    // Addresses are below 2⁵³: plain numbers, written as two 32-bit halves (little-endian).
    const base = Number(nodes);
    let at = 0;
    for (let i = 0; i < rows; i++) {
      const r = order[i]!;
      const address = base + at * NODE_BYTES;
      pointer[2 * i] = address % 0x100000000;
      pointer[2 * i + 1] = Math.floor(address / 0x100000000);
      y[i] = problem.y[r]!;
      const offset = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = x[offset + c]!;
        if (v === 0) continue;
        index[4 * at] = c + 1;
        value[2 * at + 1] = v;
        at++;
      }
      if (bias !== undefined) {
        index[4 * at] = cols + 1;
        value[2 * at + 1] = bias;
        at++;
      }
      index[4 * at] = -1;
      value[2 * at + 1] = 0;
      at++;
    }
    const prob = new DataView(new ArrayBuffer(PROBLEM_BYTES));
    prob.setInt32(0, rows, true);
    prob.setInt32(4, cols + (bias === undefined ? 0 : 1), true);
    prob.setBigUint64(8, labels, true);
    prob.setBigUint64(16, rowPointers, true);
    prob.setFloat64(24, bias ?? -1, true);
    const param = new DataView(new ArrayBuffer(PARAMETER_BYTES));
    param.setInt32(0, settings.solver, true);
    param.setFloat64(8, settings.eps, true);
    param.setFloat64(16, settings.c, true);
    param.setFloat64(48, settings.p, true);
    const probBytes = new Uint8Array(prob.buffer);
    const paramBytes = new Uint8Array(param.buffer);
    const refused = api.checkParameter(probBytes, paramBytes);
    if (refused) throw new Error(`liblinear refused the parameters: ${refused}`);
    api.setPrint(api.quietPrint);
    const train = (): bigint => {
      api.srand(settings.seed);
      return api.train(probBytes, paramBytes) as bigint;
    };
    model = DUAL_SOLVERS.has(settings.solver) ? withProcessLock(ProcessLock.LibcRand, train) : train();
    if (!model) throw new Error('liblinear: train returned no model');
    return readModel(api, model, cols, bias !== undefined, settings.solver);
  } finally {
    if (model) api.freeModel(new BigUint64Array([model]));
    k.free(labels);
    k.free(rowPointers);
    k.free(nodes);
  }
}

/** Weights through liblinear's own accessors (get_decfun_coef/bias: 1-based features, sign per label). */
function readModel(api: Api, model: bigint, cols: number, hasBias: boolean, solver: number): LiblinearModel {
  const regression = solver === L2R_L2LOSS_SVR || solver === L2R_L1LOSS_SVR_DUAL;
  const classes = regression ? 0 : api.nrClass(model);
  const labelOrder = new Int32Array(Math.max(classes, 1));
  if (!regression) api.labels(model, labelOrder);
  const functions = regression ? 1 : classes === 2 ? 2 : classes;
  const coef: number[][] = [];
  const intercept: number[] = [];
  for (let label = 0; label < functions; label++) {
    const row: number[] = [];
    for (let feature = 1; feature <= cols; feature++) row.push(api.coef(model, feature, label));
    coef.push(row);
    intercept.push(hasBias ? api.bias(model, label) : 0);
  }
  return { labels: regression ? [] : Array.from(labelOrder.subarray(0, classes)), coef, intercept };
}
