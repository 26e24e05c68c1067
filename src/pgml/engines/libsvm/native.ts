/**
 * Upstream libsvm (Debian's libsvm3, svm.h) bound through koffi: svm and nu_svm train with its
 * svm_train where upstream gives scikit-learn's model, and the result becomes the port's SvmModel,
 * so stored models and prediction are the port's either way. Upstream's solver is the one
 * scikit-learn forked; with every sample weight 1 and no iteration limit, the same rows in the same
 * order give the same doubles. Two things are arranged for that here: scikit-learn sorts the class
 * labels where upstream takes them in order of appearance (rows are handed over grouped by class,
 * in row order within a class: the order the fork's svm_group_classes makes), and every feature is
 * a node, zeros too, so that upstream's sparse dot product adds the terms the fork's dense one adds.
 * (Leaving the zeros out gives the same doubles but was slower: digits svm 117–142 ms of CPU against
 * 48–85, the index merge mispredicting on irregular zeros.) For rbf, where it fits in cache_size, the
 * kernel matrix is computed here instead and upstream reads it (NativeRows, kernel_type PRECOMPUTED):
 * the same doubles on every fixture and benchmark dataset, each of a fit's svm_train calls reading
 * one matrix.
 */
import type * as Koffi from 'koffi';
import { PgError, SqlState } from '../../../errors/index.js';
import { describeNativeLoad, loadNativeLibrary, type NativeLoad } from '../native-library.js';
import { reusedHugePages, type NativePages } from '../native-pages.js';
import { InterleavedRows, writeKernelMatrix } from './precomputed.js';
import { identity, type SvmModel, type SvmParams, type SvmType } from './train.js';

const SVM_TYPES: Record<SvmType, number> = { c_svc: 0, nu_svc: 1, epsilon_svr: 3, nu_svr: 4 };
const KERNEL_TYPES = { linear: 0, poly: 1, rbf: 2, sigmoid: 3 } as const;
/** svm_model gained prob_density_marks (after probB) in 3.25; sv_indices exists from 3.18 on here. */
const FIRST_VERSION_WITH_DENSITY_MARKS = 325;
const OLDEST_VERSION = 318;
/** sizeof(struct svm_node): int index, 4 bytes of padding, double value. */
const NODE_BYTES = 16;

type Pointer = unknown;

interface DecodedModel {
  nr_class: number;
  l: number;
  sv_coef: Pointer;
  rho: Pointer;
  sv_indices: Pointer;
  label: Pointer;
  nSV: Pointer;
}

interface Api {
  version: number;
  k: typeof Koffi;
  modelType: Koffi.TypeObject;
  train: (problem: object, param: object) => Pointer;
  checkParameter: (problem: object, param: object) => string | null;
  freeModel: (model: Pointer[]) => void;
}

function bind(lib: Koffi.LibraryHandle, k: typeof Koffi): Api {
  const version = k.decode(lib.symbol('libsvm_version'), 'int') as number;
  if (version < OLDEST_VERSION) throw new Error(`libsvm ${version} is older than ${OLDEST_VERSION} (no sv_indices in its models)`);
  const param = k.struct({
    svm_type: 'int', kernel_type: 'int', degree: 'int', gamma: 'double', coef0: 'double',
    cache_size: 'double', eps: 'double', C: 'double', nr_weight: 'int', weight_label: 'void *', weight: 'void *',
    nu: 'double', p: 'double', shrinking: 'int', probability: 'int',
  });
  const problem = k.struct({ l: 'int', y: 'void *', x: 'void *' });
  const modelType = k.struct({
    param, nr_class: 'int', l: 'int', SV: 'void *', sv_coef: 'void *', rho: 'void *', probA: 'void *', probB: 'void *',
    ...(version >= FIRST_VERSION_WITH_DENSITY_MARKS ? { prob_density_marks: 'void *' } : {}),
    sv_indices: 'void *', label: 'void *', nSV: 'void *', free_sv: 'int',
  });
  // libsvm prints its progress (".", "*", "optimization finished") to stdout, the proxy's output, through
  // one process-wide function pointer. A JS callback there would be called from whichever engine
  // thread trains (koffi callbacks must run on the thread that registered them), so the pointer is a
  // C function that reads the string and does nothing else: strlen, found through libsvm's own C
  // library; its return value is left in a register the caller of a void function never reads.
  const setPrinter = lib.func('void svm_set_print_string_function(void *)') as (fn: unknown) => void;
  setPrinter(lib.symbol('strlen'));
  return {
    version, k, modelType,
    train: lib.func('svm_train', 'void *', [k.pointer(problem), k.pointer(param)]) as Api['train'],
    checkParameter: lib.func('svm_check_parameter', 'const char *', [k.pointer(problem), k.pointer(param)]) as Api['checkParameter'],
    freeModel: lib.func('svm_free_and_destroy_model', 'void', [k.inout(k.pointer('void *'))]) as Api['freeModel'],
  };
}

let cached: NativeLoad<Api> | undefined;

/** Where this thread's libsvm came from, or why there is none; loads it on first use. */
export function libsvmStatus(): NativeLoad<Api> {
  cached ??= loadNativeLibrary({
    name: 'libsvm',
    envVar: 'PGML_LIBSVM_LIB',
    fileNames: ['libsvm.so.3', 'libsvm.so', 'libsvm.3.dylib', 'libsvm.dylib'],
    bind,
  });
  return cached;
}

export function describeLibsvm(): string {
  return describeNativeLoad('libsvm', libsvmStatus());
}

/** Native memory for one training, freed together. */
class NativeBuffers {
  private readonly pointers: Pointer[] = [];
  private readonly mappings: NativePages[] = [];

  constructor(private readonly k: typeof Koffi) {}

  /** `count` doubles (8-aligned), with a view over them and their address. */
  doubles(count: number): { pointer: Pointer; view: ArrayBuffer; address: bigint } {
    const pointer = this.k.alloc('double', Math.max(1, count));
    this.pointers.push(pointer);
    return { pointer, view: this.k.view(pointer, count * 8), address: this.k.address(pointer) as bigint };
  }

  /**
   * As doubles, for a large buffer: in huge pages where the system gives them, the thread's mapping kept
   * from one training to the next (native-pages.ts: a new view per fit started V8's full collections).
   * The view may be longer than `count` doubles and holds the last training's values: write every one read.
   */
  largeDoubles(count: number): { pointer: Pointer; view: ArrayBuffer; address: bigint } {
    const pages = reusedHugePages(count * 8);
    if (!pages) return this.doubles(count);
    this.mappings.push(pages);
    return pages;
  }

  free(): void {
    for (const pointer of this.pointers) this.k.free(pointer);
    this.pointers.length = 0;
    for (const pages of this.mappings) pages.free();
    this.mappings.length = 0;
  }
}

/** The training rows' order handed to libsvm: grouped by class (sorted labels) for classification. */
function problemOrder(y: Float64Array, rows: number, classification: boolean): Int32Array {
  if (!classification) return identity(rows);
  const order = new Int32Array(rows);
  // By loops over typed arrays, not Array.from and sort: nu-SVC orders every pair's rows, and the
  // iterators' garbage brought young-generation collections into the fit (BENCHMARKS.md, svm9).
  const labels = new Float64Array(rows);
  for (let i = 0; i < rows; i++) labels[i] = Math.trunc(y[i]!);
  const sorted = new Float64Array(labels).sort();
  // A stable counting sort: each row goes after the rows of smaller labels and its own label's rows before it.
  const classOf = new Int32Array(rows);
  const start = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    classOf[i] = firstAtLeast(sorted, labels[i]!);
    start[classOf[i]! + 1]!++;
  }
  for (let c = 0; c < rows; c++) start[c + 1]! += start[c]!;
  for (let i = 0; i < rows; i++) order[start[classOf[i]!]!++] = i;
  return order;
}

/** The first position of `sorted` (ascending) holding a value >= `value`. */
function firstAtLeast(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** `value` moved by `ulps` units in the last place (same sign, finite values). */
function stepUlps(value: number, ulps: number): number {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value);
  bits.setBigInt64(0, bits.getBigInt64(0) + BigInt(ulps));
  return bits.getFloat64(0);
}

/**
 * The nu to hand upstream so that it starts where the fork starts. The fork's first alphas share out
 * nu (nu-SVC) or C·nu (nu-SVR) summed over the rows, upstream's the product with the rows: the two
 * differ in their last bits, and a start 1e-14 apart can lead the solver another way (another model
 * within tol: 5e-4 apart in a probability on breast_cancer). Undefined where no double near nu gives
 * upstream the fork's sum (about one problem size in twenty).
 */
function upstreamNu(params: SvmParams, l: number): number | undefined {
  const scale = params.type === 'nu_svr' ? params.C : 1;
  const term = scale * params.nu;
  let forkSum = 0;
  for (let i = 0; i < l; i++) forkSum += term;
  const near = forkSum / l / scale;
  for (const ulps of [0, 1, -1, 2, -2]) {
    const nu = stepUlps(near, ulps);
    if (scale * nu * l === forkSum && nu > 0 && nu <= 1) return nu;
  }
  return undefined;
}

/** libsvm's kernel_type PRECOMPUTED: each row's nodes are its serial number, then its kernel row. */
const PRECOMPUTED_KERNEL = 4;

/**
 * How the training rows are laid out for upstream: `nodes`, every feature an index/value node (upstream
 * computes each kernel value with its sparse dot product); `precomputed`, the rbf kernel matrix
 * computed here once (kernel_type PRECOMPUTED), which upstream's solver then only reads.
 */
export type RowLayout = 'nodes' | 'precomputed';

/**
 * The layout for `rows` training rows: precomputed for rbf when its rows² nodes (16 bytes each) fit
 * in cache_size, the memory scikit-learn's fork would give its column cache. Upstream's sparse dot
 * product merges indices node by node, 2–2.5× slower per kernel value than the fork's dense loop
 * (digits svm: 46–65 ms of CPU against scikit-learn's 21–29); the matrix costs one BLAS product and
 * one exp per pair of rows, and then every svm_train call of the fit (each pair of classes, each
 * probability fold) reads the same values instead of computing its own.
 */
export function rowLayout(rows: number, params: Pick<SvmParams, 'kernel' | 'cacheSize'>): RowLayout {
  const bytes = rows * (rows + 2) * NODE_BYTES;
  return params.kernel === 'rbf' && bytes <= params.cacheSize * (1 << 20) ? 'precomputed' : 'nodes';
}

/**
 * The training rows of `x` in native memory, once for every svm_train call of a fit: a row's nodes
 * start at address(row). Free it when the fit's calls are done (models point into it until freed
 * by their call). `precomputed`: the rbf kernel matrix (./precomputed.ts).
 */
export class NativeRows {
  /** Made by NativeRows.of. */
  constructor(
    private readonly memory: NativeBuffers,
    readonly layout: RowLayout,
    private readonly base: bigint,
    /** Byte offset of a row's first node from base. */
    private readonly offset: (row: number) => number,
  ) {}

  /**
   * `classes`: the rows' labels, for classification. A precomputed matrix then keeps each class's rows
   * together (in row order), the order in which upstream groups a problem's rows, so that a pair of
   * classes reads two runs of each kernel row instead of values strewn over all of it (digits: a pair is
   * a fifth of the rows).
   */
  static of(x: Float64Array, cols: number, params: SvmParams, options: { layout?: RowLayout; classes?: Float64Array } = {}): NativeRows {
    const lib = loadedLibsvm();
    const rows = cols === 0 ? 0 : x.length / cols;
    const chosen = options.layout ?? rowLayout(rows, params);
    const memory = new NativeBuffers(lib.k);
    try {
      if (chosen === 'nodes') return nodeRows(memory, x, rows, cols);
      const order = options.classes ? problemOrder(options.classes, rows, true) : undefined;
      return precomputedRows(memory, x, rows, cols, params.gamma, order);
    } catch (e) {
      memory.free();
      throw e;
    }
  }

  /** The address of row `row`'s first node. */
  address(row: number): bigint {
    return this.base + BigInt(this.offset(row));
  }

  free(): void {
    this.memory.free();
  }
}

/** Every feature a node (index j + 1), zeros too, then the index −1 that ends the row. */
function nodeRows(memory: NativeBuffers, x: Float64Array, rows: number, cols: number): NativeRows {
  const perRow = cols + 1;
  const nodeMemory = memory.doubles(rows * perRow * 2);
  const nodeIndex = new Int32Array(nodeMemory.view);
  const nodeValue = new Float64Array(nodeMemory.view);
  let node = 0;
  for (let i = 0, at = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++, at++) {
      nodeIndex[node * 4] = j + 1;
      nodeValue[node * 2 + 1] = x[at]!;
      node++;
    }
    nodeIndex[node * 4] = -1;
    node++;
  }
  return new NativeRows(memory, 'nodes', nodeMemory.address, (row) => row * perRow * NODE_BYTES);
}

/**
 * The rbf kernel matrix as upstream's PRECOMPUTED rows (./precomputed.ts), the rows at the positions
 * `order` gives (position → row of x; row order without it), in native memory: huge pages where the
 * system gives them, as the matrix is written once, read by the fit's svm_train calls and freed.
 */
function precomputedRows(memory: NativeBuffers, x: Float64Array, rows: number, cols: number, gamma: number, order?: Int32Array): NativeRows {
  const layout = new InterleavedRows(rows);
  const nodeMemory = memory.largeDoubles(layout.doubles);
  writeKernelMatrix(new Float64Array(nodeMemory.view), layout, order ? permuteRows(x, cols, order) : x, cols, gamma);
  const position = order ? inverse(order) : undefined;
  return new NativeRows(memory, 'precomputed', nodeMemory.address, (row) => layout.rowOffset(position ? position[row]! : row));
}

/** x's rows in the order `order` names them. */
function permuteRows(x: Float64Array, cols: number, order: Int32Array): Float64Array {
  const out = new Float64Array(order.length * cols);
  order.forEach((row, position) => out.set(x.subarray(row * cols, (row + 1) * cols), position * cols));
  return out;
}

function inverse(order: Int32Array): Int32Array {
  const position = new Int32Array(order.length);
  order.forEach((row, p) => (position[row] = p));
  return position;
}

function loadedLibsvm(): Api {
  const status = libsvmStatus();
  if (status.status !== 'loaded') {
    throw new PgError(SqlState.ObjectNotInPrerequisiteState, 'libsvm is not available', { detail: describeLibsvm() });
  }
  return status.value;
}

/**
 * svm_train on upstream libsvm for the rows `x` (row-major doubles) and labels `y`: the same model
 * the port's svmTrain gives for params without max_iter and probability (the caller's choice), with
 * support vectors as indices into the problem's rows, or undefined where upstream cannot give it
 * (nu-SVM's start, see upstreamNu; parameters upstream refuses): the port's to train then. The
 * problem is x's first `rows` rows, or the rows of x that `index` names (a probability fold's or a
 * pair of classes' rows: `rows` of them, `y` by position). nu-SVC takes two classes only: its start
 * depends on the pair's rows (svmTrain's solver hook trains pairs). `shared`: x's rows already in
 * native memory (NativeRows.of), for a fit's many calls; without it they are laid out for this call.
 * Iteration counts are not reported by upstream.
 */
export function nativeSvmTrain(
  x: Float64Array, y: Float64Array, rows: number, cols: number, params: SvmParams, index?: Int32Array, shared?: NativeRows,
): SvmModel | undefined {
  const lib = loadedLibsvm();
  const classification = params.type === 'c_svc' || params.type === 'nu_svc';
  if (params.type === 'nu_svc' && moreThanTwoValues(y, rows)) throw new Error('nativeSvmTrain: nu-SVC takes one pair of classes at a time');
  const nu = params.type === 'nu_svc' || params.type === 'nu_svr' ? upstreamNu(params, rows) : params.nu;
  if (nu === undefined) return undefined;
  const order = problemOrder(y, rows, classification);
  const rowMemory = shared ?? NativeRows.of(index ? x : x.subarray(0, rows * cols), cols, params, classification && !index ? { classes: y } : {});
  const memory = new NativeBuffers(lib.k);
  try {
    const rowPointers = memory.doubles(rows);
    const rowAddress = new BigUint64Array(rowPointers.view);
    const labelMemory = memory.doubles(rows);
    const labels = new Float64Array(labelMemory.view);
    for (let i = 0; i < rows; i++) {
      const row = order[i]!;
      rowAddress[i] = rowMemory.address(index ? index[row]! : row);
      labels[i] = y[row]!;
    }
    const problem = { l: rows, y: labelMemory.pointer, x: rowPointers.pointer };
    const kernelType = rowMemory.layout === 'precomputed' ? PRECOMPUTED_KERNEL : KERNEL_TYPES[params.kernel];
    const param = {
      svm_type: SVM_TYPES[params.type], kernel_type: kernelType, degree: params.degree, gamma: params.gamma,
      coef0: params.coef0, cache_size: params.cacheSize, eps: params.tol, C: params.C, nr_weight: 0, weight_label: null,
      weight: null, nu, p: params.epsilon, shrinking: params.shrinking ? 1 : 0, probability: 0,
    };
    // The port has checked the parameters as the fork does; upstream's own checks differ at the edges.
    if (lib.checkParameter(problem, param) !== null) return undefined;
    const trained = lib.train(problem, param);
    // The model's support vectors point into the node memory: the model goes first.
    try {
      return modelFrom(lib, trained, order, classification);
    } finally {
      lib.freeModel([trained]);
    }
  } finally {
    memory.free();
    if (!shared) rowMemory.free();
  }
}

/** Whether y's first `rows` labels hold more than two distinct values. */
function moreThanTwoValues(y: Float64Array, rows: number): boolean {
  const first = y[0];
  let second: number | undefined;
  for (let i = 1; i < rows; i++) {
    const v = y[i]!;
    if (v === first || v === second) continue;
    if (second !== undefined) return true;
    second = v;
  }
  return false;
}

/** The port's SvmModel from upstream's svm_model; support vectors as indices into the caller's rows. */
function modelFrom(lib: Api, trained: Pointer, order: Int32Array, classification: boolean): SvmModel {
  const { k } = lib;
  const m = k.decode(trained, lib.modelType) as DecodedModel;
  const total = m.l;
  const classes = m.nr_class;
  const doubles = (pointer: Pointer, count: number): Float64Array =>
    count === 0 ? new Float64Array(0) : new Float64Array(k.view(pointer, count * 8)).slice();
  const ints = (pointer: Pointer, count: number): number[] =>
    count === 0 ? [] : Array.from(new Int32Array(k.view(pointer, count * 4)));
  const coefRows: ArrayLike<Pointer> = classes > 1 ? (k.decode(m.sv_coef, 'void *', classes - 1) as ArrayLike<Pointer>) : [];
  const svCoef = Array.from(coefRows, (row) => doubles(row, total));
  const support = Int32Array.from(ints(m.sv_indices, total), (index) => order[index - 1]!);
  const pairs = (classes * (classes - 1)) / 2;
  return {
    labels: classification ? ints(m.label, classes) : [],
    nSV: classification ? ints(m.nSV, classes) : [],
    support,
    svCoef,
    rho: doubles(m.rho, classification ? pairs : 1),
    iterations: [],
    timedOut: false,
  };
}
