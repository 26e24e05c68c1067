/**
 * libxgboost (the same C library python-xgboost wraps) bound through koffi. Calls are synchronous:
 * engines run inside the worker pool (pool.ts), so a long UpdateOneIter never blocks the proxy's
 * event loop, and synchronous calls keep the returned buffers valid until we copy them. The one
 * exception is loadOffThread, for the boosters serving keeps on the event loop to predict a few
 * rows in-thread (src/pgml/serving/inline.ts): the model is parsed on koffi's own thread.
 */
import { availableParallelism } from 'node:os';
import type * as Koffi from 'koffi';
import { PgError, SqlState } from '../../../errors/index.js';
import type { Booster, TrainInput, XgboostRuntime } from './booster.js';
import { describeNativeLoad, koffi, loadNativeLibrary, pythonPackageDirectories, type NativeLoad } from '../native-library.js';

type Fn = (...args: unknown[]) => number;
/** A bound function that can also run on koffi's own thread: `fn.async(...args, callback)`. */
type AsyncFn = Fn & { async: (...args: unknown[]) => void };

/** XGBoost 1.7's iterator interface for a QuantileDMatrix; absent from older libraries. */
interface QuantileApi {
  proxyCreate: Fn;
  proxySetDense: Fn;
  fromCallback: Fn;
}

interface Api {
  lastError: () => string;
  version: (major: number[], minor: number[], patch: number[]) => void;
  matrixFromMat: Fn;
  matrixFromMatThreads: Fn;
  matrixSetFloatInfo: Fn;
  matrixSetInfoFromInterface: Fn;
  matrixFree: Fn;
  boosterCreate: Fn;
  boosterFree: Fn;
  boosterSetParam: Fn;
  boosterUpdateOneIter: Fn;
  boosterPredict: Fn;
  boosterPredictFromDense: Fn;
  boosterSave: Fn;
  boosterLoad: AsyncFn;
  quantile: QuantileApi | undefined;
}

// One opaque handle type for DMatrixHandle and BoosterHandle (both `void*` in c_api.h), and the
// data iterator's two callback types; koffi keeps type names per process, so they are declared once.
let typesDeclared = false;
function declareTypes(k: typeof Koffi): void {
  if (typesDeclared) return;
  k.pointer('XGHandle', k.opaque());
  k.proto('int XGDMatrixCallbackNext(void* iter)');
  k.proto('void DataIterResetCallback(void* iter)');
  typesDeclared = true;
}

function bindQuantile(f: (sig: string) => Fn): QuantileApi | undefined {
  try {
    return {
      proxyCreate: f('int XGProxyDMatrixCreate(_Out_ XGHandle* out)'),
      proxySetDense: f('int XGProxyDMatrixSetDataDense(XGHandle handle, const char* array_interface)'),
      fromCallback: f(
        'int XGQuantileDMatrixCreateFromCallback(void* iter, XGHandle proxy, void* ref, DataIterResetCallback* reset, XGDMatrixCallbackNext* next, const char* config, _Out_ XGHandle* out)',
      ),
    };
  } catch {
    // libxgboost before 1.7: training copies the matrix instead (trainingMatrix).
    return undefined;
  }
}

function bind(lib: Koffi.LibraryHandle, k: typeof Koffi): Api {
  declareTypes(k);
  const f = (sig: string): Fn => lib.func(sig) as Fn;
  return {
    lastError: lib.func('const char* XGBGetLastError()') as () => string,
    version: lib.func('void XGBoostVersion(_Out_ int* major, _Out_ int* minor, _Out_ int* patch)') as Api['version'],
    matrixFromMat: f('int XGDMatrixCreateFromMat(const float* data, uint64_t nrow, uint64_t ncol, float missing, _Out_ XGHandle* out)'),
    matrixFromMatThreads: f(
      'int XGDMatrixCreateFromMat_omp(const float* data, uint64_t nrow, uint64_t ncol, float missing, _Out_ XGHandle* out, int nthread)',
    ),
    matrixSetFloatInfo: f('int XGDMatrixSetFloatInfo(XGHandle handle, const char* field, const float* array, uint64_t len)'),
    matrixSetInfoFromInterface: f('int XGDMatrixSetInfoFromInterface(XGHandle handle, const char* field, const char* array_interface)'),
    matrixFree: f('int XGDMatrixFree(XGHandle handle)'),
    boosterCreate: f('int XGBoosterCreate(XGHandle* dmats, uint64_t len, _Out_ XGHandle* out)'),
    boosterFree: f('int XGBoosterFree(XGHandle handle)'),
    boosterSetParam: f('int XGBoosterSetParam(XGHandle handle, const char* name, const char* value)'),
    boosterUpdateOneIter: f('int XGBoosterUpdateOneIter(XGHandle handle, int iter, XGHandle dtrain)'),
    boosterPredict: f(
      'int XGBoosterPredict(XGHandle handle, XGHandle dmat, int option_mask, unsigned int ntree_limit, int training, _Out_ uint64_t* out_len, _Out_ const float** out_result)',
    ),
    boosterPredictFromDense: f(
      'int XGBoosterPredictFromDense(XGHandle handle, const char* values, const char* config, XGHandle m, _Out_ const uint64_t** out_shape, _Out_ uint64_t* out_dim, _Out_ const float** out_result)',
    ),
    boosterSave: f('int XGBoosterSaveModelToBuffer(XGHandle handle, const char* config, _Out_ uint64_t* out_len, _Out_ const uint8_t** out_dptr)'),
    boosterLoad: lib.func('int XGBoosterLoadModelFromBuffer(XGHandle handle, const uint8_t* buf, uint64_t len)') as AsyncFn,
    quantile: bindQuantile(f),
  };
}

/**
 * XGBoost's messages carry a timestamp/source prefix and a C++ backtrace; users need the first
 * sentence as the message and the rest (e.g. the list of valid objectives) as the detail.
 */
export function cleanXgboostMessage(raw: string): { message: string; detail: string | undefined } {
  const withoutTrace = raw.split(/\n\s*Stack trace:/)[0] ?? raw;
  const [first = '', ...rest] = withoutTrace.replace(/^\[[0-9:]+\] [^:]+:\d+: /, '').trim().split('\n');
  const detail = rest.join('\n').trim();
  return { message: first, detail: detail === '' ? undefined : detail };
}

/**
 * The QuantileDMatrix config for these booster parameters, or undefined when the booster reads more
 * than a bin index: a tree method other than hist (XGBoost's default, auto, picks exact below 4M
 * rows), gblinear, hand-picked updaters. max_bin must match the booster's: a value that is not a
 * usable integer goes the copying way, where the booster refuses it in its own words. nthread only
 * sets how many threads bin the rows (0 or less: XGBoost's default, all of them).
 */
export function quantileConfig(params: ReadonlyArray<readonly [string, string]>): string | undefined {
  const last = (name: string): string | undefined => {
    let value: string | undefined;
    for (const [key, v] of params) if (key === name) value = v;
    return value;
  };
  if (last('tree_method') !== 'hist' || last('booster') === 'gblinear' || last('updater') !== undefined || last('process_type') !== undefined) {
    return undefined;
  }
  const fields = ['"missing":NaN'];
  const maxBin = last('max_bin');
  if (maxBin !== undefined) {
    const n = Number(maxBin);
    if (!Number.isInteger(n) || n < 2) return undefined;
    fields.push(`"max_bin":${n}`);
  }
  const threads = Number(last('nthread'));
  if (Number.isInteger(threads) && threads > 0) fields.push(`"nthread":${threads}`);
  return `{${fields.join(',')}}`;
}

/**
 * libxgboost versions whose QuantileDMatrix passes over the iterator were read in their source (1.7.0
 * to 1.7.6, src/data/iterative_dmatrix.cc, InitFromCPU): rows are dropped during the construction only
 * with these; other versions get one batch and the rows are dropped after it, as before.
 */
const ROWS_DROPPED_IN_PASSES = /^1\.7\.\d+$/;
/** 1.7's third pass over the batches builds the bin index (reads the values); the fourth the column matrix. */
const BIN_INDEX_PASS = 3;
const COLUMN_PASS = 4;
/**
 * Batches when the rows are dropped as the QuantileDMatrix is built, each at least BATCH_VALUES (4 MB
 * of float32). The peak is at the bin index's start (the rows and the sketch) whatever their number;
 * each batch costs libxgboost a few more OpenMP regions per pass (22 batches of 4 MB took ~15% more
 * CPU over a 750k×30 construction and 10 rounds than one).
 */
const BATCHES = 8;
const BATCH_VALUES = 1 << 20;

/** Whether any value is NaN, which XGBoost takes as missing. */
function hasMissing(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== x[i]) return true;
  return false;
}

/** Batches up to this many rows are predicted on one thread. */
const SMALL_BATCH_ROWS = 256;

/** XGBoost's words when a booster (gblinear in 1.7) has no in-place prediction. */
const NO_INPLACE_PREDICT = 'Inplace predict is not supported';

class NativeBooster implements Booster {
  /** The nthread last set for prediction; 0 until the first prediction sets it. */
  private threads = 0;
  /** False once libxgboost said this booster cannot predict in place: it then goes through a DMatrix. */
  private inplace = true;

  constructor(
    private readonly api: Api,
    private handle: unknown,
    private readonly check: (rc: number, code: string) => void,
  ) {}

  predict(x: Float32Array, rows: number, cols: number, margin: boolean): Float32Array {
    // Waking an OpenMP team costs more than scoring a few rows (one-row predictions were ~4x slower
    // with all cores): small batches run on the calling thread.
    const threads = rows <= SMALL_BATCH_ROWS ? 1 : availableParallelism();
    if (threads !== this.threads) {
      this.check(this.api.boosterSetParam(this.handle, 'nthread', String(threads)), SqlState.InternalError);
      this.threads = threads;
    }
    if (this.inplace) {
      const predicted = this.predictInPlace(x, rows, cols, margin);
      if (predicted !== undefined) return predicted;
      this.inplace = false;
    }
    const dmat = this.matrix(x, rows, cols, threads);
    try {
      const len = [0];
      const out = [null as unknown];
      // option_mask 1 = output_margin; training=0 so dropout (dart) is off at inference.
      this.check(this.api.boosterPredict(this.handle, dmat, margin ? 1 : 0, 0, 0, len, out), SqlState.InternalError);
      return copyResult(out[0], Number(len[0]));
    } finally {
      this.api.matrixFree(dmat);
    }
  }

  /**
   * XGBoosterPredictFromDense reads the rows where they are (an array interface naming our buffer by
   * address, read only during the call), where a DMatrix would first copy them at eight bytes a
   * value: scoring a training's held-out rows, a view of the shared matrix, copies nothing. Same
   * trees, same traversal, same values as through a DMatrix. Undefined when the booster has no
   * in-place prediction (gblinear).
   */
  private predictInPlace(x: Float32Array, rows: number, cols: number, margin: boolean): Float32Array | undefined {
    if (rows === 0) return new Float32Array(0);
    const values = JSON.stringify({ data: [Number(koffi().address(x)), true], shape: [rows, cols], typestr: '<f4', version: 3 });
    // type 1 = margin, 0 = transformed values; training false so dropout (dart) is off at inference.
    const config = `{"type":${margin ? 1 : 0},"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0}`;
    const shape = [null as unknown];
    const dims = [0];
    const out = [null as unknown];
    const rc = this.api.boosterPredictFromDense(this.handle, values, config, null, shape, dims, out);
    if (rc !== 0 && this.api.lastError().includes(NO_INPLACE_PREDICT)) return undefined;
    this.check(rc, SqlState.InternalError);
    const extents = koffi().decode(shape[0], koffi().array('uint64_t', Number(dims[0]))) as (number | bigint)[];
    return copyResult(out[0], extents.reduce<number>((n, d) => n * Number(d), 1));
  }

  save(): Uint8Array {
    const len = [0];
    const out = [null as unknown];
    this.check(this.api.boosterSave(this.handle, '{"format":"ubj"}', len, out), SqlState.InternalError);
    const n = Number(len[0]);
    return new Uint8Array(koffi().decode(out[0], koffi().array('uint8_t', n, 'Typed')) as Uint8Array);
  }

  free(): void {
    if (this.handle !== null) this.api.boosterFree(this.handle);
    this.handle = null;
  }

  /** Building the DMatrix on `threads` too: XGDMatrixCreateFromMat would wake an OpenMP team of every core. */
  private matrix(x: Float32Array, rows: number, cols: number, threads: number): unknown {
    const out = [null as unknown];
    this.check(this.api.matrixFromMatThreads(x, rows, cols, Number.NaN, out, threads), SqlState.InvalidParameterValue);
    return out[0];
  }
}

/** The result buffer belongs to the booster and is reused by its next call: copy it now. */
function copyResult(pointer: unknown, length: number): Float32Array {
  return length === 0 ? new Float32Array(0) : new Float32Array(koffi().decode(pointer, koffi().array('float', length, 'Typed')) as Float32Array);
}

class NativeRuntime implements XgboostRuntime {
  readonly kind = 'native' as const;
  readonly version: string;

  constructor(private readonly api: Api) {
    const major = [0];
    const minor = [0];
    const patch = [0];
    api.version(major, minor, patch);
    this.version = `${major[0]}.${minor[0]}.${patch[0]}`;
  }

  private readonly check = (rc: number, code: string): void => {
    if (rc === 0) return;
    const { message, detail } = cleanXgboostMessage(this.api.lastError());
    throw new PgError(code, `xgboost: ${message}`, { detail });
  };

  train(input: TrainInput): Booster {
    const { api, check } = this;
    const dtrain = this.trainingMatrix(input);
    const bo = [null as unknown];
    try {
      // libxgboost keeps no pointer to input.x: a QuantileDMatrix holds bins (its proxy, which named
      // the rows, is freed), a DMatrix its own copy. The boosting's memory comes after this.
      input.onRowsRead?.(input.rows);
      check(api.boosterCreate([dtrain], 1, bo), SqlState.InternalError);
      const booster = new NativeBooster(api, bo[0], check);
      try {
        for (const [name, value] of input.params) {
          check(api.boosterSetParam(bo[0], name, value), SqlState.InvalidParameterValue);
        }
        // XGBoost validates most parameters lazily, in the first iteration: failures here are the
        // user's hyperparameters or labels (e.g. a label outside [0, num_class)), hence 22023.
        for (let iter = 0; iter < input.rounds; iter++) {
          check(api.boosterUpdateOneIter(bo[0], iter, dtrain), SqlState.InvalidParameterValue);
          input.onRound?.(iter + 1);
        }
      } catch (error) {
        booster.free();
        throw error;
      }
      return booster;
    } finally {
      api.matrixFree(dtrain);
    }
  }

  /**
   * The labelled training matrix. XGDMatrixCreateFromMat copies our float32 rows into a sparse page
   * (eight bytes a value) and the hist method then bins that copy; a QuantileDMatrix bins the rows
   * where they are instead (one or two bytes a value), giving the same trees (identical model bytes
   * on 200k rows, and the peak RSS of a 750k×30 fit went from 3.1× to 1.2× the matrix). It holds only
   * the bins, so it serves only boosters that read nothing else (quantileConfig).
   */
  private trainingMatrix(input: TrainInput): unknown {
    const { api, check } = this;
    const config = quantileConfig(input.params);
    if (api.quantile && config !== undefined) return this.quantileMatrix(api.quantile, input, config);
    const dm = [null as unknown];
    check(api.matrixFromMat(input.x, input.rows, input.cols, Number.NaN, dm), SqlState.InvalidParameterValue);
    try {
      this.setLabels(dm[0], input.y, input.targets ?? 1);
    } catch (error) {
      api.matrixFree(dm[0]);
      throw error;
    }
    return dm[0];
  }

  /**
   * One label per row, or rows × targets for joint regression: XGBoost reads the targets' count from
   * the labels' shape, which only the array interface carries (a flat float info is one column), and
   * then grows one tree per target each round as python-xgboost does with a 2-D y.
   */
  private setLabels(matrix: unknown, y: Float32Array, targets: number): void {
    const { api, check } = this;
    if (targets === 1) {
      check(api.matrixSetFloatInfo(matrix, 'label', y, y.length), SqlState.InvalidParameterValue);
      return;
    }
    // Read only during the call, while the caller holds the buffer.
    const labels = JSON.stringify({
      data: [Number(koffi().address(y)), true],
      shape: [y.length / targets, targets],
      typestr: '<f4',
      version: 3,
    });
    check(api.matrixSetInfoFromInterface(matrix, 'label', labels), SqlState.InvalidParameterValue);
  }

  /**
   * The QuantileDMatrix, fed through libxgboost's data iterator. libxgboost walks the iterator once per
   * pass (1.7: count, sketch, bin index, column matrix). Where the caller lets the rows go (onRowsRead)
   * and the library's passes are known (ROWS_DROPPED_IN_PASSES), the rows are served in batches
   * (BATCHES) and each batch is dropped once the last pass that reads its values is past it: the
   * bin index and column matrix are then built while the float32 training rows go away, instead of on
   * top of them (issue 15: the construction's end was the fit's peak, matrix + sketch + bins). The same
   * values reach the sketch and the bins in the same order, so the cuts, bins and trees are the same
   * as from one batch (native-batches.test.ts and fit-job-memory.test.ts compare the model bytes).
   * The construction's peak is then the rows and libxgboost's sketch (~2 MB a column at 750k rows,
   * alive until the matrix is built), no longer the rows, the sketch and the bins.
   */
  private quantileMatrix(quantile: QuantileApi, input: TrainInput, config: string): unknown {
    const { api, check } = this;
    const targets = input.targets ?? 1;
    const drop = input.onRowsRead !== undefined && ROWS_DROPPED_IN_PASSES.test(this.version) ? input.onRowsRead : undefined;
    const batchRows = drop === undefined ? input.rows : Math.max(Math.ceil(input.rows / BATCHES), Math.ceil(BATCH_VALUES / input.cols));
    const batches = Math.ceil(input.rows / batchRows);
    // 1.7 reads a batch's values in the bin index's pass, and again in the column matrix's only when a
    // value is missing (NaN): dense rows go after the third pass, others after the fourth.
    const dropPass = drop === undefined || batches === 1 ? undefined : hasMissing(input.x) ? COLUMN_PASS : BIN_INDEX_PASS;
    const proxy = [null as unknown];
    check(quantile.proxyCreate(proxy), SqlState.InternalError);
    let pass = 0;
    let batch = 0;
    let droppedRows = 0;
    let failure: unknown;
    const dropBefore = (row: number): void => {
      if (drop === undefined || row <= droppedRows) return;
      drop(row);
      droppedRows = row;
    };
    const next = (): number => {
      try {
        if (batch === batches) {
          if (pass === dropPass) dropBefore(input.rows);
          return 0;
        }
        if (batch === 0) pass++;
        const first = batch * batchRows;
        if (pass === dropPass) dropBefore(first);
        // Past the passes read in 1.7's source: rows already dropped would read as zeros and bin wrong.
        if (first < droppedRows && pass > COLUMN_PASS) {
          throw new PgError(SqlState.InternalError, `xgboost: libxgboost ${this.version} read the training rows again in pass ${pass}, after they were dropped`);
        }
        const end = Math.min(input.rows, first + batchRows);
        // The array interface names our buffer by address; it is read only during the call that
        // asked for this batch (and the proxy's next use), while `input` holds it (a SharedArrayBuffer
        // from the pool, or an ArrayBuffer: neither moves).
        const rows = JSON.stringify({
          data: [Number(koffi().address(input.x)) + first * input.cols * 4, true],
          shape: [end - first, input.cols],
          typestr: '<f4',
          version: 3,
        });
        check(quantile.proxySetDense(proxy[0], rows), SqlState.InternalError);
        this.setLabels(proxy[0], input.y.subarray(first * targets, end * targets), targets);
        batch++;
        return 1;
      } catch (error) {
        // A JS exception must not unwind through libxgboost's frames: end the iteration, throw after.
        failure = error;
        return 0;
      }
    };
    const reset = (): void => {
      batch = 0;
    };
    const out = [null as unknown];
    try {
      const rc = quantile.fromCallback(null, proxy[0], null, reset, next, config, out);
      if (failure !== undefined) {
        if (rc === 0) api.matrixFree(out[0]);
        throw failure;
      }
      check(rc, SqlState.InvalidParameterValue);
      return out[0];
    } finally {
      api.matrixFree(proxy[0]);
    }
  }

  load(bytes: Uint8Array): Booster {
    const { booster, handle } = this.emptyBooster();
    try {
      this.check(this.api.boosterLoad(handle, bytes, bytes.length), SqlState.DataCorrupted);
    } catch (error) {
      booster.free();
      throw error;
    }
    return booster;
  }

  /**
   * load, with the parsing of the model (the part that grows with the trees) on koffi's own thread,
   * so that the event loop can own a booster. XGBoost keeps its last error per thread: the reason of
   * a failure there cannot be read from here, so the message says only that the model did not load.
   */
  loadOffThread(bytes: Uint8Array): Promise<Booster> {
    const { booster, handle } = this.emptyBooster();
    return new Promise((resolve, reject) => {
      this.api.boosterLoad.async(handle, bytes, bytes.length, (error: unknown, rc: number) => {
        if (!error && rc === 0) return resolve(booster);
        booster.free();
        reject(new PgError(SqlState.DataCorrupted, 'xgboost: the model could not be loaded'));
      });
    });
  }

  private emptyBooster(): { booster: NativeBooster; handle: unknown } {
    const out = [null as unknown];
    this.check(this.api.boosterCreate([], 0, out), SqlState.InternalError);
    return { booster: new NativeBooster(this.api, out[0], this.check), handle: out[0] };
  }
}

let cached: NativeLoad<NativeRuntime> | undefined;

/** Where this thread's libxgboost came from, or why there is none; loads it on first use. */
export function nativeXgboostStatus(): NativeLoad<NativeRuntime> {
  if (cached) return cached;
  cached = loadNativeLibrary({
    name: 'libxgboost',
    envVar: 'PGML_XGBOOST_LIB',
    fileNames: ['libxgboost.so', 'libxgboost.so.0', 'libxgboost.dylib'],
    extraDirectories: () => pythonPackageDirectories('xgboost', 'lib'),
    bind: (lib, k) => new NativeRuntime(bind(lib, k)),
  });
  return cached;
}

export function describeNativeXgboost(): string {
  return describeNativeLoad('libxgboost', nativeXgboostStatus());
}

/**
 * The native runtime, or null when no libxgboost is installed or it failed to load (the status says
 * which). PGML_XGBOOST_LIB names the library explicitly; an explicit path that cannot be loaded is an
 * error rather than a fallback.
 */
export function loadNativeRuntime(): XgboostRuntime | null {
  const status = nativeXgboostStatus();
  if (status.status === 'loaded') return status.value;
  const explicit = process.env.PGML_XGBOOST_LIB;
  if (explicit) {
    throw new PgError(SqlState.UndefinedFile, `could not load libxgboost from PGML_XGBOOST_LIB=${explicit}`, {
      detail: describeNativeXgboost(),
    });
  }
  return null;
}
