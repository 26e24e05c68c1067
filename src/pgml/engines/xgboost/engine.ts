/**
 * The XGBoost engine (`xgboost`, `xgboost_random_forest`) over either runtime. Runs inside the worker
 * pool; holds PostgresML's semantics: class index from probabilities, rows × classes probabilities
 * whatever the objective, and a self-describing serialized form so a model loads without its row.
 */
import { PgError, SqlState } from '../../../errors/index.js';
import type { Dataset, Engine, EngineFactory, FitOptions, FitProgress, Task } from '../engine.js';
import type { Booster, XgboostRuntime } from './booster.js';
import { describeNativeXgboost, loadNativeRuntime, nativeXgboostStatus } from './native.js';
import {
  XGBOOST_HYPERPARAMS,
  XGBOOST_RANDOM_FOREST_HYPERPARAMS,
  xgboostConfig,
  type XgboostAlgorithm,
} from './params.js';
import { loadWasmRuntime } from './wasm.js';

export type XgboostRuntimeKind = 'native' | 'wasm';

/** Serialized models start with this, then a little-endian u32 header length, the header JSON, the model. */
const MAGIC = new TextEncoder().encode('PGMLXGB1');

export interface Header {
  runtime: XgboostRuntimeKind;
  version: string;
  task: Task;
  objective: string;
  numClasses: number;
  cols: number;
  /** Labels per row (joint regression); absent in models written before joint training, meaning 1. */
  targets?: number;
}

/** PGML_XGBOOST_RUNTIME=native|wasm pins the runtime; otherwise native when libxgboost loads. */
async function resolveRuntime(wanted: XgboostRuntimeKind | undefined): Promise<XgboostRuntime> {
  const pinned = wanted ?? (process.env.PGML_XGBOOST_RUNTIME as XgboostRuntimeKind | undefined);
  if (pinned !== undefined && pinned !== 'native' && pinned !== 'wasm') {
    throw new PgError(SqlState.InvalidParameterValue, `PGML_XGBOOST_RUNTIME must be native or wasm, got ${pinned}`);
  }
  if (pinned === 'wasm') return loadWasmRuntime();
  const native = loadNativeRuntime();
  if (native) return native;
  if (pinned === 'native') {
    const status = nativeXgboostStatus();
    throw new PgError(
      SqlState.ObjectNotInPrerequisiteState,
      status.status === 'failed' ? 'libxgboost is installed but failed to load' : 'libxgboost is not installed',
      {
        detail: describeNativeXgboost(),
        hint: 'install it (Debian/Ubuntu: apt-get install libxgboost0) or set PGML_XGBOOST_LIB to its path',
      },
    );
  }
  return loadWasmRuntime();
}

// Boosters live outside the JS heap; free them when an engine is collected without dispose.
const boosters = new FinalizationRegistry<Booster>((booster) => booster.free());

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

export class XgboostEngine implements Engine {
  private booster: Booster | undefined;
  private header: Header | undefined;

  constructor(
    readonly algorithm: XgboostAlgorithm,
    private readonly wanted?: XgboostRuntimeKind,
  ) {}

  get runtime(): XgboostRuntimeKind {
    if (this.header) return this.header.runtime;
    return this.wanted ?? (loadNativeRuntime() ? 'native' : 'wasm');
  }

  /** The XGBoost library version that trained (or loaded) this model, for the model row. */
  get libraryVersion(): string | undefined {
    return this.header?.version;
  }

  async fit(data: Dataset, options: FitOptions, _signal?: AbortSignal, progress?: (progress: FitProgress) => void): Promise<void> {
    if (options.task !== 'regression' && options.task !== 'classification') {
      throw new PgError(SqlState.InvalidParameterValue, `${this.algorithm} does not support ${options.task}`);
    }
    const targets = data.yCols ?? 1;
    if (targets !== 1 && options.task !== 'regression') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} trains several label columns for regression only`);
    }
    if (!data.y || data.y.length !== data.rows * targets) {
      throw new PgError(SqlState.InvalidParameterValue, `${this.algorithm} needs one label per training row and target`);
    }
    if (data.rows === 0 || data.x.length !== data.rows * data.cols) {
      throw new PgError(SqlState.InvalidParameterValue, `training matrix has ${data.x.length} values, expected ${data.rows} × ${data.cols}`);
    }
    const config = xgboostConfig(this.algorithm, options, data.rows * data.cols);
    const runtime = await resolveRuntime(this.wanted);
    const booster = runtime.train({
      x: data.x,
      rows: data.rows,
      cols: data.cols,
      y: data.y,
      targets,
      params: config.params,
      rounds: config.rounds,
      ...(data.discardRows ? { onRowsRead: data.discardRows } : {}),
      ...(progress ? { onRound: (done: number) => progress({ done, total: config.rounds, unit: 'trees' }) } : {}),
    });
    this.replace(booster, {
      runtime: runtime.kind,
      version: runtime.version,
      task: options.task,
      objective: config.objective,
      numClasses: options.task === 'classification' ? (options.numClasses ?? 0) : 0,
      cols: data.cols,
      ...(targets > 1 ? { targets } : {}),
    });
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { booster, header } = this.ready(x, rows);
    const out = booster.predict(x, rows, header.cols, false);
    if (header.task === 'regression') return out;
    const width = out.length / rows;
    const classes = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (width > 1) {
        let best = 0;
        for (let k = 1; k < width; k++) if (out[r * width + k]! > out[r * width + best]!) best = k;
        classes[r] = best;
      } else {
        const v = out[r]!;
        // binary:logistic yields P(class 1) (XGBClassifier's 0.5 cut), logitraw a margin, softmax/hinge the class.
        classes[r] = this.outputsProbability() ? (v > 0.5 ? 1 : 0) : header.objective === 'binary:logitraw' ? (v > 0 ? 1 : 0) : v;
      }
    }
    return classes;
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { booster, header } = this.ready(x, rows);
    if (header.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, 'predict_proba is only available for classification models');
    }
    const k = header.numClasses;
    const out = booster.predict(x, rows, header.cols, false);
    if (out.length === rows * k) return out;
    if (this.outputsProbability()) {
      const proba = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        proba[2 * r] = 1 - out[r]!;
        proba[2 * r + 1] = out[r]!;
      }
      return proba;
    }
    // Objectives that output a class (multi:softmax, binary:hinge) or a raw score: use the margins.
    const margin = booster.predict(x, rows, header.cols, true);
    const proba = new Float32Array(rows * k);
    const width = margin.length / rows;
    for (let r = 0; r < rows; r++) {
      if (width === 1) {
        const p = sigmoid(margin[r]!);
        proba[r * k] = 1 - p;
        proba[r * k + 1] = p;
        continue;
      }
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, margin[r * k + j]!);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += proba[r * k + j] = Math.exp(margin[r * k + j]! - max);
      for (let j = 0; j < k; j++) proba[r * k + j]! /= sum;
    }
    return proba;
  }

  async serialize(): Promise<Uint8Array> {
    const { booster, header } = this.trained();
    const model = booster.save();
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(MAGIC.length + 4 + json.length + model.length);
    bytes.set(MAGIC, 0);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(MAGIC.length, json.length, true);
    bytes.set(json, MAGIC.length + 4);
    bytes.set(model, MAGIC.length + 4 + json.length);
    return bytes;
  }

  /** Loads bytes written by serialize, on the runtime that wrote them (their model formats differ). */
  static async deserialize(algorithm: XgboostAlgorithm, bytes: Uint8Array): Promise<XgboostEngine> {
    const { header, model } = XgboostEngine.parse(algorithm, bytes);
    const engine = new XgboostEngine(algorithm, header.runtime);
    const runtime = await resolveRuntime(header.runtime);
    engine.replace(runtime.load(model), header);
    return engine;
  }

  /**
   * deserialize without blocking the calling thread (so the event loop may hold a booster for small
   * predictions): undefined when the model's runtime cannot load off the calling thread (WASM).
   */
  static async deserializeOffThread(algorithm: XgboostAlgorithm, bytes: Uint8Array): Promise<XgboostEngine | undefined> {
    const { header, model } = XgboostEngine.parse(algorithm, bytes);
    const runtime = await resolveRuntime(header.runtime);
    if (runtime.loadOffThread === undefined) return undefined;
    const engine = new XgboostEngine(algorithm, header.runtime);
    engine.replace(await runtime.loadOffThread(model), header);
    return engine;
  }

  /** The header and libxgboost's own bytes of a serialized model (serving walks some models' trees itself). */
  static parse(algorithm: XgboostAlgorithm, bytes: Uint8Array): { header: Header; model: Uint8Array } {
    const corrupt = (why: string) => new PgError(SqlState.DataCorrupted, `invalid ${algorithm} model: ${why}`);
    if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt('bad magic');
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
    const start = MAGIC.length + 4;
    if (start + length > bytes.length) throw corrupt('truncated header');
    let header: Header;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + length))) as Header;
    } catch {
      throw corrupt('unreadable header');
    }
    return { header, model: bytes.subarray(start + length) };
  }

  private outputsProbability(): boolean {
    const objective = this.header?.objective;
    return objective === 'binary:logistic' || objective === 'reg:logistic';
  }

  dispose(): void {
    if (!this.booster) return;
    boosters.unregister(this);
    this.booster.free();
    this.booster = undefined;
  }

  private replace(booster: Booster, header: Header): void {
    if (this.booster) {
      boosters.unregister(this);
      this.booster.free();
    }
    this.booster = booster;
    this.header = header;
    boosters.register(this, booster, this);
  }

  private trained(): { booster: Booster; header: Header } {
    if (!this.booster || !this.header) {
      throw new PgError(SqlState.ObjectNotInPrerequisiteState, `${this.algorithm} model has not been trained`);
    }
    return { booster: this.booster, header: this.header };
  }

  private ready(x: Float32Array, rows: number): { booster: Booster; header: Header } {
    const trained = this.trained();
    if (x.length !== rows * trained.header.cols) {
      throw new PgError(
        SqlState.InvalidParameterValue,
        `expected ${trained.header.cols} features per row, got ${rows === 0 ? x.length : x.length / rows}`,
      );
    }
    return trained;
  }
}

/** Said when a training ran on the WebAssembly build without the user pinning it there. */
function wasmNotice(algorithm: XgboostAlgorithm): string {
  const why = nativeXgboostStatus().status === 'loaded'
    ? 'the engine thread could not load libxgboost although this process can (the reason is in the proxy\'s log)'
    : describeNativeXgboost();
  return `${algorithm} trained on the WebAssembly build of XGBoost, not on native libxgboost: ${why}`;
}

function factory(algorithm: XgboostAlgorithm, hyperparams: readonly string[]): EngineFactory {
  return {
    algorithm,
    tasks: ['regression', 'classification'],
    hyperparams,
    create: () => new XgboostEngine(algorithm),
    runtimeNotice: (ran) => (ran === 'native' || process.env.PGML_XGBOOST_RUNTIME === 'wasm' ? undefined : wasmNotice(algorithm)),
    deserialize: (bytes) => XgboostEngine.deserialize(algorithm, bytes),
  };
}

export const xgboostFactory = factory('xgboost', XGBOOST_HYPERPARAMS);
export const xgboostRandomForestFactory = factory('xgboost_random_forest', XGBOOST_RANDOM_FOREST_HYPERPARAMS);
