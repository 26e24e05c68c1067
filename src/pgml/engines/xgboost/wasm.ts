/**
 * Fallback runtime: the WASM build of XGBoost shipped by ml-xgboost (an old 0.7x-era XGBoost).
 * We call its C exports directly with malloc'd buffers instead of the package's JS class, whose
 * `cwrap('array')` copies the whole training matrix onto the 5 MiB WASM stack and crashes on
 * medium datasets. Its C glue ignores XGBoost's return codes, so parameters are checked here.
 */
import { createRequire } from 'node:module';
import { PgError, SqlState } from '../../../errors/index.js';
import type { Booster, TrainInput, XgboostRuntime } from './booster.js';

/**
 * Above this many matrix cells the WASM heap (32-bit, no threads) becomes the bottleneck and the old
 * build has been seen to abort; native libxgboost has no such bound.
 */
export const WASM_MAX_CELLS = 4_000_000;

/** Objectives the bundled XGBoost knows; `reg:squarederror` is the later name of `reg:linear`. */
const WASM_OBJECTIVES = new Set([
  'reg:linear',
  'reg:logistic',
  'binary:logistic',
  'binary:logitraw',
  'multi:softmax',
  'multi:softprob',
  'count:poisson',
  'reg:gamma',
  'reg:tweedie',
  'survival:cox',
]);

interface EmscriptenModule {
  isReady: Promise<EmscriptenModule>;
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _create_model(x: number, y: number, rows: number, cols: number): number;
  _train_full_model(model: number, iterations: number): void;
  _prediction_size(model: number, row: number, cols: number): number;
  _predict_one(model: number, row: number, cols: number, out: number): number;
  _save_model(model: number): number;
  _get_file_content(out: number, size: number): void;
  _load_model(buffer: number, size: number): number;
  _free_memory_model(model: number): void;
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
}

/**
 * The bundled glue builds its matrices with a fixed non-NaN "missing" marker and XGBoost aborts on
 * NaN; an abort leaves the WASM instance unusable, so NULL features are refused up front.
 */
function refuseMissing(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) {
      throw new PgError(SqlState.InvalidParameterValue, 'xgboost (wasm fallback) does not support NULL/NaN feature values', {
        hint: 'install the native library (Debian/Ubuntu: apt-get install libxgboost0), or impute missing values',
      });
    }
  }
}

function wasmFailure(error: unknown): PgError {
  if (error instanceof PgError) return error;
  // A C++ exception or abort leaves the instance in an unknown state: the next use loads a fresh one.
  loading = undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new PgError(SqlState.InternalError, `xgboost (wasm): ${message}`, {
    hint: 'install the native library (Debian/Ubuntu: apt-get install libxgboost0) for full XGBoost support',
  });
}

class WasmBooster implements Booster {
  constructor(
    private readonly m: EmscriptenModule,
    private model: number,
  ) {}

  predict(x: Float32Array, rows: number, cols: number, margin: boolean): Float32Array {
    if (margin) {
      throw new PgError(SqlState.FeatureNotSupported, 'xgboost (wasm) cannot output raw margins', {
        hint: 'install libxgboost0, or train with an objective that outputs probabilities (multi:softprob, binary:logistic)',
      });
    }
    if (rows === 0) return new Float32Array(0);
    refuseMissing(x);
    const m = this.m;
    const row = m._malloc(Math.max(cols, 1) * 4);
    try {
      m.HEAPF32.set(x.subarray(0, cols), row >> 2);
      const width = m._prediction_size(this.model, row, cols);
      const out = m._malloc(width * 4);
      try {
        const result = new Float32Array(rows * width);
        // The bundled glue predicts one row per call; re-read HEAPF32 each time because a heap
        // growth replaces the underlying buffer.
        for (let r = 0; r < rows; r++) {
          m.HEAPF32.set(x.subarray(r * cols, (r + 1) * cols), row >> 2);
          m._predict_one(this.model, row, cols, out);
          result.set(m.HEAPF32.subarray(out >> 2, (out >> 2) + width), r * width);
        }
        return result;
      } finally {
        m._free(out);
      }
    } catch (error) {
      throw wasmFailure(error);
    } finally {
      m._free(row);
    }
  }

  save(): Uint8Array {
    const m = this.m;
    const size = m._save_model(this.model);
    if (size <= 0) throw new PgError(SqlState.InternalError, 'xgboost (wasm): could not save the model');
    const ptr = m._malloc(size);
    try {
      m._get_file_content(ptr, size);
      return m.HEAPU8.slice(ptr, ptr + size);
    } finally {
      m._free(ptr);
    }
  }

  free(): void {
    if (this.model !== 0) this.m._free_memory_model(this.model);
    this.model = 0;
  }
}

class WasmRuntime implements XgboostRuntime {
  readonly kind = 'wasm' as const;
  readonly version = '0.7 (ml-xgboost 1.1.2)';
  private readonly setParam: (model: number, name: string, value: string) => void;

  constructor(private readonly m: EmscriptenModule) {
    this.setParam = m.cwrap('set_param', null, ['number', 'string', 'string']) as WasmRuntime['setParam'];
  }

  train(input: TrainInput): Booster {
    if ((input.targets ?? 1) > 1) {
      throw new PgError(
        SqlState.FeatureNotSupported,
        `xgboost (wasm fallback) trains on a single label column: its XGBoost predates multi-output regression, so joint regression with ${input.targets} targets needs native libxgboost`,
        { hint: 'install the native library (Debian/Ubuntu: apt-get install libxgboost0) for pgml.train_joint with xgboost' },
      );
    }
    const cells = input.rows * input.cols;
    if (cells > WASM_MAX_CELLS) {
      throw new PgError(
        SqlState.ProgramLimitExceeded,
        `xgboost (wasm fallback) is limited to ${WASM_MAX_CELLS} feature values, this training set has ${cells} (${input.rows} rows × ${input.cols} columns)`,
        { hint: 'install the native library (Debian/Ubuntu: apt-get install libxgboost0) or train on fewer rows' },
      );
    }
    // `silent` is how this XGBoost generation turns off its per-iteration logging.
    const params: Array<[string, string]> = [['silent', '1']];
    for (const [name, value] of input.params) {
      params.push([name, name === 'objective' && value === 'reg:squarederror' ? 'reg:linear' : value]);
    }
    for (const [name, value] of params) {
      if (name === 'objective' && !WASM_OBJECTIVES.has(value)) {
        throw new PgError(SqlState.InvalidParameterValue, `xgboost (wasm fallback) does not support objective ${value}`, {
          hint: `supported: ${[...WASM_OBJECTIVES].join(', ')}; install libxgboost0 for the others`,
        });
      }
    }
    refuseMissing(input.x);
    const m = this.m;
    const xPtr = m._malloc(input.x.length * 4);
    const yPtr = m._malloc(input.y.length * 4);
    let model = 0;
    try {
      m.HEAPF32.set(input.x, xPtr >> 2);
      m.HEAPF32.set(input.y, yPtr >> 2);
      model = m._create_model(xPtr, yPtr, input.rows, input.cols);
      for (const [name, value] of params) this.setParam(model, name, value);
      m._train_full_model(model, input.rounds);
      return new WasmBooster(m, model);
    } catch (error) {
      if (model !== 0) m._free_memory_model(model);
      throw wasmFailure(error);
    } finally {
      m._free(xPtr);
      m._free(yPtr);
    }
  }

  load(bytes: Uint8Array): Booster {
    const m = this.m;
    const ptr = m._malloc(bytes.length);
    try {
      m.HEAPU8.set(bytes, ptr);
      const model = m._load_model(ptr, bytes.length);
      if (model === 0) throw new PgError(SqlState.DataCorrupted, 'xgboost (wasm): could not load the model');
      return new WasmBooster(m, model);
    } finally {
      m._free(ptr);
    }
  }
}

let loading: Promise<XgboostRuntime> | undefined;

export function loadWasmRuntime(): Promise<XgboostRuntime> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    // Emscripten prefers instantiateStreaming when it exists (Node 20 has fetch), fails on a file
    // path and prints a warning before falling back; hiding it while the module loads skips that.
    const wasm = (globalThis as unknown as { WebAssembly: { instantiateStreaming?: unknown } }).WebAssembly;
    const streaming = wasm.instantiateStreaming;
    wasm.instantiateStreaming = undefined;
    try {
      const id = require.resolve('ml-xgboost/dist/wasm/xgboost');
      // A fresh instance each load (see wasmFailure): the module object is a CommonJS singleton.
      delete require.cache[id];
      const m = require(id) as EmscriptenModule;
      return new WasmRuntime(await m.isReady);
    } finally {
      wasm.instantiateStreaming = streaming;
    }
  })();
  return loading;
}
