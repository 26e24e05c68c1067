/**
 * The machine's BLAS (OpenBLAS, or any library exporting the CBLAS interface) through koffi, for the
 * linear family's dense products: XᵀX (cblas_dsyrk) and Xᵀy (cblas_dgemv), which scikit-learn computes
 * with NumPy's BLAS; and, where the library carries LAPACK (OpenBLAS does), the Cholesky factorisation
 * and solve (dpotrf, dpotrs) that gaussian_process repeats on its n × n kernel matrices, as SciPy does,
 * and the symmetric eigendecomposition (dsyevd) of bayesian_ridge's XᵀX and ARD's pinvh. Without a
 * BLAS the same products run as JavaScript loops: unlike XGBoost's WASM build this is not another
 * model runtime, only another order of floating-point additions (results agree to a few ulps), so it
 * is a fallback rather than an error; the start-up log says which is used.
 *
 * OpenBLAS runs on one thread here. Its thread pool is the process's, created by whichever thread
 * loads the library first: the main thread, for the start-up report, at nice 0. A multi-threaded call
 * from an engine thread (nice 10, see thread-priority.ts) would hand half its work to those nice-0 threads,
 * beside the event loop, on a two-core machine. One thread runs the call on the engine thread itself.
 * Where OpenBLAS fell back to its oldest kernels on a CPU it did not recognise, the main thread's first
 * load replaces them (openblas-core.ts); the start-up line names the kernels either way.
 */
import { isMainThread } from 'node:worker_threads';
import type * as Koffi from 'koffi';
import { describeNativeLoad, loadNativeLibrary, type NativeLoad } from './native-library.js';
import { cpuFlags, replacementCore } from './openblas-core.js';

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;
const CBLAS_UPPER = 121;

type Fn = (...args: unknown[]) => void;

interface Blas {
  dsyrk: Fn;
  dgemv: Fn;
  dger: Fn;
  dgemm: Fn;
  sgemm: Fn;
  /** LAPACK's Cholesky, least-squares and symmetric eigen routines, when the library carries LAPACK (OpenBLAS does; the reference BLAS not). */
  lapack?: { dpotrf: Fn; dpotrs: Fn; dpotri: Fn; dgelsd: Fn; dsyevd: Fn };
  /** OpenBLAS's kernel set (openblas_get_corename: "SkylakeX", "Prescott", ...); undefined for other libraries. */
  core: string | undefined;
  /** The core OpenBLAS chose itself, where the main thread replaced it (openblas-core.ts). */
  replaced?: string;
  /** dlclose: the functions above are then gone. */
  unload: () => void;
}

function bindLapack(lib: Koffi.LibraryHandle): Blas['lapack'] {
  try {
    return {
      dpotrf: lib.func('void dpotrf_(const char* uplo, const int* n, _Inout_ double* a, const int* lda, _Out_ int* info)') as Fn,
      dpotrs: lib.func(
        'void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, _Inout_ double* b, const int* ldb, _Out_ int* info)',
      ) as Fn,
      dpotri: lib.func('void dpotri_(const char* uplo, const int* n, _Inout_ double* a, const int* lda, _Out_ int* info)') as Fn,
      dgelsd: lib.func(
        'void dgelsd_(int* m, int* n, int* nrhs, _Inout_ double* a, int* lda, _Inout_ double* b, int* ldb, _Out_ double* s, double* rcond, _Out_ int* rank, _Out_ double* work, int* lwork, _Out_ int* iwork, _Out_ int* info)',
      ) as Fn,
      dsyevd: lib.func(
        'void dsyevd_(const char* jobz, const char* uplo, const int* n, _Inout_ double* a, const int* lda, _Out_ double* w, _Out_ double* work, const int* lwork, _Out_ int* iwork, const int* liwork, _Out_ int* info)',
      ) as Fn,
    };
  } catch {
    return undefined;
  }
}

function bind(lib: Koffi.LibraryHandle): Blas {
  const blas = {
    dsyrk: lib.func(
      'void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha, const double* a, int lda, double beta, _Inout_ double* c, int ldc)',
    ) as Fn,
    dgemv: lib.func(
      'void cblas_dgemv(int order, int trans, int m, int n, double alpha, const double* a, int lda, const double* x, int incx, double beta, _Inout_ double* y, int incy)',
    ) as Fn,
    dger: lib.func(
      'void cblas_dger(int order, int m, int n, double alpha, const double* x, int incx, const double* y, int incy, _Inout_ double* a, int lda)',
    ) as Fn,
    dgemm: lib.func(
      'void cblas_dgemm(int order, int transa, int transb, int m, int n, int k, double alpha, const double* a, int lda, const double* b, int ldb, double beta, _Inout_ double* c, int ldc)',
    ) as Fn,
    sgemm: lib.func(
      'void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, _Inout_ float* c, int ldc)',
    ) as Fn,
    lapack: bindLapack(lib),
    core: openblasFunction<() => string>(lib, 'const char* openblas_get_corename()')?.(),
    unload: () => lib.unload(),
  };
  // Only OpenBLAS has a thread pool to size; the reference BLAS and others run on the caller's thread.
  openblasFunction<(n: number) => void>(lib, 'void openblas_set_num_threads(int n)')?.(1);
  return blas;
}

/** One of OpenBLAS's own functions; undefined in another BLAS. */
function openblasFunction<F>(lib: Koffi.LibraryHandle, signature: string): F | undefined {
  try {
    return lib.func(signature) as F;
  } catch {
    return undefined;
  }
}

function loadBlas(): NativeLoad<Blas> {
  return loadNativeLibrary({
    name: 'BLAS',
    envVar: 'PGML_BLAS_LIB',
    fileNames: ['libopenblas.so.0', 'libopenblas.so', 'libblas.so.3', 'libopenblas.dylib'],
    bind,
  });
}

let cached: NativeLoad<Blas> | undefined;

/** Where this thread's BLAS came from, or why there is none; loads it on first use (the main thread: with its kernels chosen, openblas-core.ts). */
export function blasStatus(): NativeLoad<Blas> {
  if (cached) return cached;
  cached = loadBlas();
  const core = cached.status === 'loaded' && isMainThread ? replacementCore(cached.value.core, cpuFlags(), process.env) : undefined;
  if (core) reloadBlasWithCore(core);
  return cached;
}

/**
 * Unloads this thread's OpenBLAS and loads it again with OPENBLAS_CORETYPE = `core` (set in the process
 * environment: the main thread's process.env is it). Where another thread holds the library, dlclose
 * leaves it loaded and its kernels stay: the start-up line then shows the old core. Main thread only.
 */
export function reloadBlasWithCore(core: string): NativeLoad<Blas> {
  const before = blasStatus();
  if (before.status !== 'loaded') return before;
  process.env.OPENBLAS_CORETYPE = core;
  before.value.unload();
  cached = loadBlas();
  if (cached.status === 'loaded') cached.value.replaced = before.value.core;
  return cached;
}

/** The start-up log's line; without a BLAS it names the fallback. */
export function describeBlas(): string {
  const status = blasStatus();
  const line = describeNativeLoad('BLAS', status);
  if (status.status !== 'loaded') return `${line}; the linear family's XᵀX and Xᵀy run in JavaScript, as does gaussian_process's Cholesky`;
  const { core, replaced, lapack } = status.value;
  let kernels = core ? `, OpenBLAS kernels ${core}` : '';
  if (replaced && replaced !== core) kernels += ` in place of its ${replaced} fallback for a CPU it does not recognise (PGML_BLAS_CORETYPE=off keeps it)`;
  else if (replaced) kernels += `, its fallback for a CPU it does not recognise: another thread had loaded the library, which stayed`;
  else if (core && process.env.OPENBLAS_CORETYPE) kernels += ' (OPENBLAS_CORETYPE)';
  return lapack ? `${line}${kernels}` : `${line}${kernels} (without LAPACK: least squares, Cholesky and eigendecompositions run in JavaScript)`;
}

function loadedBlas(): Blas | undefined {
  const status = blasStatus();
  return status.status === 'loaded' ? status.value : undefined;
}

/** XᵀX (cols × cols, row-major) of a row-major matrix. */
export function gram(x: Float64Array, rows: number, cols: number): Float64Array {
  const blas = loadedBlas();
  if (!blas || rows === 0 || cols === 0) return gramJs(x, rows, cols);
  const g = new Float64Array(cols * cols);
  if (cols > GRAM_BY_DGEMM_COLS) {
    blas.dsyrk(CBLAS_ROW_MAJOR, CBLAS_UPPER, CBLAS_TRANS, cols, rows, 1, x, cols, 0, g, cols);
  } else {
    for (let start = 0; start < rows; start += FLOAT32_BLOCK_ROWS) {
      const n = Math.min(FLOAT32_BLOCK_ROWS, rows - start);
      addBlockGram(blas, x.subarray(start * cols, (start + n) * cols), n, cols, g);
    }
  }
  mirrorUpper(g, cols);
  return g;
}

/** Up to this many columns a block's XᵀX is a dgemm rather than a dsyrk (see addBlockGram). */
const GRAM_BY_DGEMM_COLS = 30;

/**
 * g's upper triangle += XᵀX of a block of n rows (1024 at most). With few columns a dgemm of the whole
 * product is faster than OpenBLAS's dsyrk of the triangle, though it computes twice the products
 * (Cooperlake kernels, CPU ms for 75,000 rows): 30 columns 2.7–3.3 against 3.7–5.0 (dsyrk of the whole
 * matrix at once 4.9–5.0), 20 columns 1.1 against 2.1, 10 columns 0.43 against 0.71; from 32 columns on
 * the doubled work costs more than it saves (32: 5.1 against 4.9; 64: 17.9 against 14.4), and dsyrk
 * stays, over the whole matrix in gram as before. The lower triangle is left to the caller's mirrorUpper.
 */
function addBlockGram(blas: Blas, block: Float64Array, n: number, cols: number, g: Float64Array): void {
  if (cols <= GRAM_BY_DGEMM_COLS) blas.dgemm(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, cols, cols, n, 1, block, cols, block, cols, 1, g, cols);
  else blas.dsyrk(CBLAS_ROW_MAJOR, CBLAS_UPPER, CBLAS_TRANS, cols, n, 1, block, cols, 1, g, cols);
}

/**
 * XXᵀ (rows × rows, row-major): every pair of rows' dot product, kernel_ridge's linear kernel as
 * scikit-learn's safe_sparse_dot computes it with NumPy's BLAS. Without a BLAS, one running sum per pair.
 */
export function rowGram(x: Float64Array, rows: number, cols: number): Float64Array {
  const blas = loadedBlas();
  const g = new Float64Array(rows * rows);
  if (!blas || rows === 0 || cols === 0) {
    for (let i = 0; i < rows; i++) {
      for (let j = i; j < rows; j++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += x[i * cols + c]! * x[j * cols + c]!;
        g[i * rows + j] = s;
      }
    }
  } else {
    blas.dsyrk(CBLAS_ROW_MAJOR, CBLAS_UPPER, CBLAS_NO_TRANS, rows, cols, 1, x, cols, 0, g, rows);
  }
  mirrorUpper(g, rows);
  return g;
}

/**
 * The dot products of rows `from` … `to` − 1 of X with rows `first` … rows − 1, into `out` (row-major,
 * rows − first values a row): a band of XXᵀ, for callers that build a rows × rows matrix a band at a
 * time without holding it whole. Without a BLAS, one running sum per pair.
 */
export function rowBandProducts(
  x: Float64Array, rows: number, cols: number, from: number, to: number, first: number, out: Float64Array,
): void {
  const blas = loadedBlas();
  const width = rows - first;
  if (!blas || to <= from || width === 0 || cols === 0) {
    for (let i = from; i < to; i++) {
      for (let j = first; j < rows; j++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += x[i * cols + c]! * x[j * cols + c]!;
        out[(i - from) * width + j - first] = s;
      }
    }
    return;
  }
  blas.dgemm(
    CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, to - from, width, cols, 1, x.subarray(from * cols, to * cols), cols,
    x.subarray(first * cols), cols, 0, out, width,
  );
}

/**
 * rowBandProducts in single precision, for rows whose dot products are exact there: integers with
 * every partial sum below 2^24 (the caller checks; then any order of additions gives the double
 * sums' values, at half dgemm's cost). False without a BLAS: the caller uses rowBandProducts.
 */
export function rowBandProductsExact32(
  x: Float32Array, rows: number, cols: number, from: number, to: number, first: number, out: Float32Array,
): boolean {
  const blas = loadedBlas();
  if (!blas) return false;
  const width = rows - first;
  if (to <= from || width === 0 || cols === 0) {
    out.fill(0, 0, (to - from) * width);
    return true;
  }
  blas.sgemm(
    CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, to - from, width, cols, 1, x.subarray(from * cols, to * cols), cols,
    x.subarray(first * cols), cols, 0, out, width,
  );
  return true;
}

/** X·w: one value per row. */
export function xTimes(x: Float64Array, rows: number, cols: number, w: Float64Array): Float64Array {
  const blas = loadedBlas();
  const out = new Float64Array(rows);
  if (!blas || rows === 0 || cols === 0) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[r * cols + c]! * w[c]!;
      out[r] = s;
    }
    return out;
  }
  blas.dgemv(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, rows, cols, 1, x, cols, w, 1, 0, out, 1);
  return out;
}

/** Xᵀy for one target column. */
export function xTy(x: Float64Array, rows: number, cols: number, y: Float64Array): Float64Array {
  const blas = loadedBlas();
  if (!blas || rows === 0 || cols === 0) return xTyJs(x, rows, cols, y);
  const out = new Float64Array(cols);
  blas.dgemv(CBLAS_ROW_MAJOR, CBLAS_TRANS, rows, cols, 1, x, cols, y, 1, 0, out, 1);
  return out;
}

/**
 * scores = X·B: for a row-major n × cols X and a row-major cols × outputs B (the weight rows transposed,
 * one column an output), the n × outputs scores, row-major: the product scikit-learn's LinearModelLoss
 * takes with NumPy's BLAS (X @ W.T). OpenBLAS's dgemm takes half the time with B laid out so than with
 * W and the transpose flag, as NumPy passes it (38 against 79 µs on digits' 1347 × 65 × 10: BENCHMARKS.md,
 * linear3). One output is a dgemv.
 */
export function rowsTimesColumns(
  x: Float64Array, n: number, cols: number, b: Float64Array, outputs: number, scores: Float64Array,
): void {
  const blas = loadedBlas();
  if (!blas || n === 0 || cols === 0) {
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < outputs; o++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += x[r * cols + c]! * b[c * outputs + o]!;
        scores[r * outputs + o] = s;
      }
    }
    return;
  }
  if (outputs === 1) blas.dgemv(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, n, cols, 1, x, cols, b, 1, 0, scores, 1);
  else blas.dgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, n, outputs, cols, 1, x, cols, b, outputs, 0, scores, outputs);
}

/**
 * g += Rᵀ·X: for a row-major n × outputs R (each row's residuals) and a row-major n × cols X, adds to
 * `outputs` rows of g, `ldg` apart, their cols sums over the n rows (scikit-learn's
 * grad_pointwise.T @ X; beta = 1 so blocks of rows add up). One output is a dgemv.
 */
export function addResidualsTimesRows(
  r: Float64Array, n: number, outputs: number, x: Float64Array, cols: number, g: Float64Array, ldg: number,
): void {
  const blas = loadedBlas();
  if (!blas || n === 0 || cols === 0) {
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < outputs; o++) {
        const residual = r[i * outputs + o]!;
        for (let c = 0; c < cols; c++) g[o * ldg + c]! += residual * x[i * cols + c]!;
      }
    }
    return;
  }
  if (outputs === 1) blas.dgemv(CBLAS_ROW_MAJOR, CBLAS_TRANS, n, cols, 1, x, cols, r, 1, 1, g, 1);
  else blas.dgemm(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, outputs, cols, n, 1, r, outputs, x, cols, 1, g, ldg);
}

/** Rows converted to float64 at a time from float32 rows: 256 kB at 30 features, within the cache; a multiple of 8 (columnMeansFloat32). */
const FLOAT32_BLOCK_ROWS = 1024;

/**
 * Visits a float32 row-major matrix (the training rows as they arrive) as float64 blocks of rows,
 * converted one after another into one reused buffer, so that no float64 copy of the whole of it
 * is made: `visit(block, start, n)` gets rows start … start + n − 1.
 */
function forEachFloat64Block(
  x: Float32Array, rows: number, cols: number, visit: (block: Float64Array, start: number, n: number) => void,
): void {
  if (rows === 0 || cols === 0) return;
  const blockRows = Math.min(FLOAT32_BLOCK_ROWS, rows);
  const block = new Float64Array(blockRows * cols);
  for (let start = 0; start < rows; start += blockRows) {
    const n = Math.min(blockRows, rows - start);
    const view = n === blockRows ? block : block.subarray(0, n * cols);
    view.set(x.subarray(start * cols, (start + n) * cols));
    visit(view, start, n);
  }
}

/** Xᵀy for a float32 row-major X, a block of rows at a time, each block's products added to the last (dgemv's beta = 1). */
export function xTyFloat32(x: Float32Array, rows: number, cols: number, y: Float64Array): Float64Array {
  const blas = loadedBlas();
  const out = new Float64Array(cols);
  forEachFloat64Block(x, rows, cols, (block, start, n) => addBlockXTy(blas, block, n, cols, y.subarray(start, start + n), out));
  return out;
}

/**
 * X's column means for a float32 row-major X with the bits of xTy(its float64 copy, 1/rows), centreRows'
 * means, without that copy (18 MB at 75,000 × 30). Within one block of rows, or without a BLAS (sums in
 * row order either way), that is xTyFloat32: the same additions. Over several blocks, OpenBLAS's dgemv
 * (its Haswell-family kernel, dgemv_n_4.c, under this Xᵀ) adds each group of 4 or 8 rows' products into
 * the output as it goes, so blocks of rows (FLOAT32_BLOCK_ROWS, a multiple of 8) add the same sums in the
 * same order; but it sums the last cols % 4 columns in a scalar loop over all rows, added to the output
 * once, which blocks would round differently: those are summed here in row order, as that loop does.
 * Under four columns (an unrolled loop there) the copy is small and the BLAS is called on it. Other
 * kernels (SkylakeX's, Prescott's) may round the means differently in the last ulps.
 */
export function columnMeansFloat32(x: Float32Array, rows: number, cols: number): Float64Array {
  const blas = loadedBlas();
  const scale = 1 / Math.max(rows, 1);
  if (!blas || rows <= FLOAT32_BLOCK_ROWS) return xTyFloat32(x, rows, cols, new Float64Array(rows).fill(scale));
  if (cols < 4) return xTy(new Float64Array(x), rows, cols, new Float64Array(rows).fill(scale));
  const out = new Float64Array(cols);
  const tail = cols % 4;
  const tailSums = new Float64Array(tail);
  const weights = new Float64Array(FLOAT32_BLOCK_ROWS).fill(scale);
  forEachFloat64Block(x, rows, cols, (block, _start, n) => {
    addBlockXTy(blas, block, n, cols, weights.subarray(0, n), out);
    for (let t = 0; t < tail; t++) {
      const c = cols - tail + t;
      let s = tailSums[t]!;
      for (let r = 0; r < n; r++) s += block[r * cols + c]! * scale;
      tailSums[t] = s;
    }
  });
  for (let t = 0; t < tail; t++) out[cols - tail + t] = tailSums[t]!;
  return out;
}

/**
 * XᵀX and Xᵀy_o of X's rows centred on `means`, for a float32 row-major X, a block of rows at a
 * time: each block is centred in the reused buffer and its products added to the last (dsyrk's and
 * dgemv's beta = 1). The sums run in another order than over one whole copy: the entries agree up to
 * rounding (without a BLAS, in the same row order: bit for bit).
 */
export function centredProductsFloat32(
  x: Float32Array, rows: number, cols: number, means: Float64Array, targets: Float64Array[],
): { gram: Float64Array; xTargets: Float64Array[] } {
  const blas = loadedBlas();
  const g = new Float64Array(cols * cols);
  const xTargets = targets.map(() => new Float64Array(cols));
  // block −= 1·meansᵀ by dger where there is a BLAS: each entry's one subtraction (−1·mean is exact), in
  // a third of the JavaScript loop's time on 75,000 × 30 rows (BENCHMARKS.md, misc1).
  const ones = new Float64Array(Math.min(rows, FLOAT32_BLOCK_ROWS)).fill(1);
  forEachFloat64Block(x, rows, cols, (block, start, n) => {
    if (blas) blas.dger(CBLAS_ROW_MAJOR, n, cols, -1, ones, 1, means, 1, block, cols);
    else for (let r = 0, i = 0; r < n; r++) for (let c = 0; c < cols; c++, i++) block[i]! -= means[c]!;
    if (blas) addBlockGram(blas, block, n, cols, g);
    else addGramUpper(block, n, cols, g);
    targets.forEach((y, o) => addBlockXTy(blas, block, n, cols, y.subarray(start, start + n), xTargets[o]!));
  });
  mirrorUpper(g, cols);
  return { gram: g, xTargets };
}

/**
 * W·Xᵀ for a row-major k × cols W (k weight vectors) and a float32 row-major rows × cols X: `out` gets
 * k rows of `rows` dot products each (row-major, each weight vector's products together), a float64
 * block of X's rows at a time, by one dgemm per block for all k vectors: one pass over X for k
 * products instead of k. Without a BLAS, one running sum per row and vector, in column order.
 */
export function weightsTimesRowsFloat32(
  w: Float64Array, k: number, x: Float32Array, rows: number, cols: number, out: Float64Array,
): void {
  const blas = loadedBlas();
  if (cols === 0) out.fill(0, 0, k * rows);
  forEachFloat64Block(x, rows, cols, (block, start, n) => {
    if (blas) {
      blas.dgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, k, n, cols, 1, w, cols, block, cols, 0, out.subarray(start), rows);
      return;
    }
    for (let v = 0; v < k; v++) {
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += w[v * cols + c]! * block[r * cols + c]!;
        out[v * rows + start + r] = s;
      }
    }
  });
}

function addBlockXTy(blas: Blas | undefined, block: Float64Array, n: number, cols: number, y: Float64Array, out: Float64Array): void {
  if (blas) blas.dgemv(CBLAS_ROW_MAJOR, CBLAS_TRANS, n, cols, 1, block, cols, y, 1, 1, out, 1);
  else addXTy(block, n, cols, y, out);
}

/**
 * The minimum-norm least-squares solution of A X = B by LAPACK's dgelsd (SVD by divide and conquer,
 * scipy.linalg.lstsq's default driver, which scikit-learn's LinearRegression calls), singular values
 * at or below `rcond` × the largest counted as zero. `a` is m × n column-major and `b` m × nrhs
 * column-major (m ≥ n); both are overwritten. The n × nrhs solution, column-major; undefined when the
 * library has no LAPACK, and the caller solves in JavaScript.
 */
export function leastSquaresLapack(
  a: Float64Array, m: number, n: number, b: Float64Array, nrhs: number, rcond: number,
): Float64Array | undefined {
  const dgelsd = loadedBlas()?.lapack?.dgelsd;
  if (!dgelsd || m < n || n === 0) return undefined;
  const int = (v: number): Int32Array => Int32Array.of(v);
  const singular = new Float64Array(n);
  const rank = new Int32Array(1);
  const info = new Int32Array(1);
  const call = (work: Float64Array, lwork: number, iwork: Int32Array): void =>
    dgelsd(int(m), int(n), int(nrhs), a, int(m), b, int(m), singular, Float64Array.of(rcond), rank, work, int(lwork), iwork, info);
  const query = new Float64Array(1);
  const iquery = new Int32Array(1);
  call(query, -1, iquery);
  if (info[0] !== 0) return undefined;
  call(new Float64Array(Math.ceil(query[0]!)), Math.ceil(query[0]!), new Int32Array(Math.max(1, iquery[0]!)));
  // info > 0: the SVD did not converge; the JavaScript solve answers instead.
  if (info[0] !== 0) return undefined;
  const x = new Float64Array(n * nrhs);
  for (let o = 0; o < nrhs; o++) x.set(b.subarray(o * m, o * m + n), o * n);
  return x;
}

/** The JavaScript XᵀX: without a BLAS, and for the tests that compare the two. */
export function gramJs(x: Float64Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(cols * cols);
  addGramUpper(x, rows, cols, g);
  mirrorUpper(g, cols);
  return g;
}

/** Adds XᵀX's upper triangle to g's. */
function addGramUpper(x: Float64Array, rows: number, cols: number, g: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    for (let i = 0; i < cols; i++) {
      const xi = x[offset + i]!;
      if (xi === 0) continue;
      for (let j = i; j < cols; j++) g[i * cols + j]! += xi * x[offset + j]!;
    }
  }
}

/** The JavaScript Xᵀy. */
export function xTyJs(x: Float64Array, rows: number, cols: number, y: Float64Array): Float64Array {
  const out = new Float64Array(cols);
  addXTy(x, rows, cols, y, out);
  return out;
}

function addXTy(x: Float64Array, rows: number, cols: number, y: Float64Array, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const yr = y[r]!;
    for (let c = 0; c < cols; c++) out[c]! += x[r * cols + c]! * yr;
  }
}

function mirrorUpper(g: Float64Array, cols: number): void {
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) g[i * cols + j] = g[j * cols + i]!;
}

/**
 * In-place lower Cholesky factor of a row-major symmetric n × n matrix through LAPACK's dpotrf, as
 * scipy's cholesky (the column-major upper factor is the row-major lower one); the upper triangle is
 * zeroed. undefined without LAPACK (the caller runs its JavaScript loop), false when the matrix is not
 * positive definite.
 */
export function lapackCholesky(a: Float64Array, n: number): boolean | undefined {
  const lapack = loadedBlas()?.lapack;
  if (!lapack || n === 0) return undefined;
  const info = new Int32Array(1);
  lapack.dpotrf('U', Int32Array.of(n), a, Int32Array.of(n), info);
  if (info[0] !== 0) return false;
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return true;
}

/**
 * (L Lᵀ)⁻¹ B in place through LAPACK's dpotrs, for lapackCholesky's factor and `nrhs` right-hand sides
 * stored one after another (each n long); false without LAPACK.
 */
export function lapackCholeskySolve(l: Float64Array, n: number, b: Float64Array, nrhs: number): boolean {
  const lapack = loadedBlas()?.lapack;
  if (!lapack || n === 0) return false;
  const info = new Int32Array(1);
  lapack.dpotrs('U', Int32Array.of(n), Int32Array.of(nrhs), l, Int32Array.of(n), b, Int32Array.of(n), info);
  return info[0] === 0;
}

/**
 * (L Lᵀ)⁻¹ from lapackCholesky's factor, in place, through LAPACK's dpotri (a third of the work of
 * dpotrs on the identity's n columns): only the lower triangle of the row-major result is written, the
 * upper keeps the factor's zeros. false without LAPACK.
 */
export function lapackCholeskyInverse(l: Float64Array, n: number): boolean {
  const lapack = loadedBlas()?.lapack;
  if (!lapack || n === 0) return false;
  const info = new Int32Array(1);
  lapack.dpotri('U', Int32Array.of(n), l, Int32Array.of(n), info);
  return info[0] === 0;
}

/**
 * The eigenvalues (ascending) and eigenvectors of a symmetric n × n matrix through LAPACK's dsyevd
 * (divide and conquer, what numpy.linalg.eigh's driver family computes), as a row-major n × n array
 * with eigenvector k in column k; undefined without LAPACK (the caller runs its JavaScript Jacobi).
 * `a` is left untouched.
 */
export function lapackSymmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } | undefined {
  const dsyevd = loadedBlas()?.lapack?.dsyevd;
  if (!dsyevd || n === 0) return undefined;
  // Symmetric: the row-major array is its own column-major form; the eigenvectors come back as columns
  // of a column-major array, that is as rows of a row-major one.
  const columns = Float64Array.from(a);
  const values = new Float64Array(n);
  const info = new Int32Array(1);
  const size = Int32Array.of(n);
  const workQuery = new Float64Array(1);
  const iworkQuery = new Int32Array(1);
  dsyevd('V', 'U', size, columns, size, values, workQuery, Int32Array.of(-1), iworkQuery, Int32Array.of(-1), info);
  if (info[0] !== 0) return undefined;
  const lwork = Math.ceil(workQuery[0]!);
  const liwork = Math.max(1, iworkQuery[0]!);
  dsyevd('V', 'U', size, columns, size, values, new Float64Array(lwork), Int32Array.of(lwork), new Int32Array(liwork), Int32Array.of(liwork), info);
  if (info[0] !== 0) return undefined;
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) vectors[i * n + k] = columns[k * n + i]!;
  return { values, vectors };
}
