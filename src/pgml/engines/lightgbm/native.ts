/**
 * lib_lightgbm (the library the `lightgbm` Python wheel ships, c_api.h) bound through koffi. As with
 * libxgboost, calls are synchronous inside the engine pool's threads, and every buffer LightGBM
 * writes into is allocated here and copied out before the next call.
 */
import type * as Koffi from 'koffi';
import { PgError, SqlState } from '../../../errors/index.js';
import { describeNativeLoad, loadNativeLibrary, pythonPackageDirectories, type NativeLoad } from '../native-library.js';

const C_API_DTYPE_FLOAT32 = 0;
const C_API_PREDICT_NORMAL = 0;
/** LGBM_BoosterSaveModelToString's feature_importance_type: 0 = split counts (the Python default). */
const IMPORTANCE_SPLIT = 0;

type Fn = (...args: unknown[]) => number;

interface Api {
  lastError: () => string;
  datasetFromMat: Fn;
  datasetSetField: Fn;
  datasetFree: Fn;
  boosterCreate: Fn;
  boosterUpdateOneIter: Fn;
  boosterNumClasses: Fn;
  boosterNumFeatures: Fn;
  boosterPredictForMat: Fn;
  boosterSaveToString: Fn;
  boosterLoadFromString: Fn;
  boosterFree: Fn;
}

let handleType = false;

function bind(lib: Koffi.LibraryHandle, k: typeof Koffi): Api {
  if (!handleType) {
    // DatasetHandle and BoosterHandle are both `void*` in c_api.h.
    k.pointer('LGBMHandle', k.opaque());
    handleType = true;
  }
  const f = (sig: string): Fn => lib.func(sig) as Fn;
  return {
    lastError: lib.func('const char* LGBM_GetLastError()') as () => string,
    datasetFromMat: f(
      'int LGBM_DatasetCreateFromMat(const float* data, int data_type, int32_t nrow, int32_t ncol, int is_row_major, const char* parameters, LGBMHandle reference, _Out_ LGBMHandle* out)',
    ),
    datasetSetField: f('int LGBM_DatasetSetField(LGBMHandle handle, const char* field_name, const float* field_data, int num_element, int type)'),
    datasetFree: f('int LGBM_DatasetFree(LGBMHandle handle)'),
    boosterCreate: f('int LGBM_BoosterCreate(LGBMHandle train_data, const char* parameters, _Out_ LGBMHandle* out)'),
    boosterUpdateOneIter: f('int LGBM_BoosterUpdateOneIter(LGBMHandle handle, _Out_ int* is_finished)'),
    boosterNumClasses: f('int LGBM_BoosterGetNumClasses(LGBMHandle handle, _Out_ int* out_len)'),
    boosterNumFeatures: f('int LGBM_BoosterGetNumFeature(LGBMHandle handle, _Out_ int* out_len)'),
    boosterPredictForMat: f(
      'int LGBM_BoosterPredictForMat(LGBMHandle handle, const float* data, int data_type, int32_t nrow, int32_t ncol, int is_row_major, int predict_type, int start_iteration, int num_iteration, const char* parameter, _Out_ int64_t* out_len, _Out_ double* out_result)',
    ),
    boosterSaveToString: f(
      'int LGBM_BoosterSaveModelToString(LGBMHandle handle, int start_iteration, int num_iteration, int feature_importance_type, int64_t buffer_len, _Out_ int64_t* out_len, _Out_ uint8_t* out_str)',
    ),
    boosterLoadFromString: f('int LGBM_BoosterLoadModelFromString(const char* model_str, _Out_ int* out_num_iterations, _Out_ LGBMHandle* out)'),
    boosterFree: f('int LGBM_BoosterFree(LGBMHandle handle)'),
  };
}

let cached: NativeLoad<Api> | undefined;

/** Where this thread's lib_lightgbm came from, or why there is none; loads it on first use. */
export function lightgbmStatus(): NativeLoad<Api> {
  if (cached) return cached;
  cached = loadNativeLibrary({
    name: 'lib_lightgbm',
    envVar: 'PGML_LIGHTGBM_LIB',
    fileNames: ['lib_lightgbm.so', 'lib_lightgbm.dylib'],
    extraDirectories: () => pythonPackageDirectories('lightgbm', 'lib'),
    bind,
  });
  return cached;
}

export function describeLightgbm(): string {
  return describeNativeLoad('lib_lightgbm', lightgbmStatus());
}

function api(): Api {
  const status = lightgbmStatus();
  if (status.status === 'loaded') return status.value;
  throw new PgError(
    SqlState.ObjectNotInPrerequisiteState,
    status.status === 'failed' ? 'lib_lightgbm is installed but failed to load' : 'lightgbm is not installed',
    { detail: describeLightgbm(), hint: 'install it with `python3 -m pip install lightgbm`, or set PGML_LIGHTGBM_LIB to lib_lightgbm\'s path' },
  );
}

/** LightGBM prefixes nothing and adds no trace: its message is the user's answer as it stands. */
function check(lib: Api, rc: number, code: string): void {
  if (rc !== 0) throw new PgError(code, `lightgbm: ${lib.lastError()}`);
}

export interface TrainInput {
  x: Float32Array;
  rows: number;
  cols: number;
  y: Float32Array;
  /** LightGBM's `key=value key=value` parameter string, for the dataset and the booster. */
  parameters: string;
  rounds: number;
}

/** A booster handle owned by one engine; free() is idempotent. */
export class LightgbmBooster {
  private constructor(
    private readonly lib: Api,
    private handle: unknown,
  ) {}

  static train(input: TrainInput): LightgbmBooster {
    const lib = api();
    const ds = [null as unknown];
    check(lib, lib.datasetFromMat(input.x, C_API_DTYPE_FLOAT32, input.rows, input.cols, 1, input.parameters, null, ds), SqlState.InvalidParameterValue);
    try {
      check(lib, lib.datasetSetField(ds[0], 'label', input.y, input.rows, C_API_DTYPE_FLOAT32), SqlState.InvalidParameterValue);
      const out = [null as unknown];
      // Unknown or invalid parameter values are reported here, hence 22023.
      check(lib, lib.boosterCreate(ds[0], input.parameters, out), SqlState.InvalidParameterValue);
      const booster = new LightgbmBooster(lib, out[0]);
      try {
        const finished = [0];
        for (let i = 0; i < input.rounds; i++) {
          check(lib, lib.boosterUpdateOneIter(out[0], finished), SqlState.InvalidParameterValue);
          // LightGBM stops when no split gains anything (e.g. a constant label), like its Python train().
          if (finished[0] === 1) break;
        }
      } catch (error) {
        booster.free();
        throw error;
      }
      return booster;
    } finally {
      lib.datasetFree(ds[0]);
    }
  }

  /** Loads a model in LightGBM's text format, as `lightgbm.Booster(model_str=...)` does. */
  static load(model: string): LightgbmBooster {
    const lib = api();
    const iterations = [0];
    const out = [null as unknown];
    check(lib, lib.boosterLoadFromString(model, iterations, out), SqlState.DataCorrupted);
    return new LightgbmBooster(lib, out[0]);
  }

  get numClasses(): number {
    const out = [0];
    check(this.lib, this.lib.boosterNumClasses(this.handle, out), SqlState.InternalError);
    return out[0]!;
  }

  get numFeatures(): number {
    const out = [0];
    check(this.lib, this.lib.boosterNumFeatures(this.handle, out), SqlState.InternalError);
    return out[0]!;
  }

  /** Transformed predictions: values (regression), P(class 1) (binary), rows × classes (multiclass). */
  predict(x: Float32Array, rows: number, cols: number): Float64Array {
    const out = new Float64Array(rows * this.numClasses);
    const len = [0];
    check(
      this.lib,
      this.lib.boosterPredictForMat(this.handle, x, C_API_DTYPE_FLOAT32, rows, cols, 1, C_API_PREDICT_NORMAL, 0, -1, '', len, out),
      SqlState.InvalidParameterValue,
    );
    return out;
  }

  /** The model in LightGBM's own text format (what `Booster.model_to_string()` returns). */
  save(): string {
    const len = [0];
    check(this.lib, this.lib.boosterSaveToString(this.handle, 0, -1, IMPORTANCE_SPLIT, 0, len, new Uint8Array(1)), SqlState.InternalError);
    const buffer = new Uint8Array(Number(len[0]));
    check(this.lib, this.lib.boosterSaveToString(this.handle, 0, -1, IMPORTANCE_SPLIT, buffer.length, len, buffer), SqlState.InternalError);
    // out_len counts the terminating NUL.
    return new TextDecoder().decode(buffer.subarray(0, Math.max(0, Number(len[0]) - 1)));
  }

  free(): void {
    if (this.handle !== null) this.lib.boosterFree(this.handle);
    this.handle = null;
  }
}
