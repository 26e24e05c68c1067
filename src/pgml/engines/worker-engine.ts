/**
 * The Engine the rest of pgml sees: every call runs the real engine on a pool thread (pool.ts).
 * The main thread keeps only the serialized model and a key the workers cache it under.
 */
import { randomUUID } from 'node:crypto';
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames,
  type Dataset,
  type Engine,
  type EngineFactory,
  type FitOptions,
  type FitProgress,
  type PredictedWithProba,
  type Runtime,
} from './engine.js';
import { runInWorker } from './pool.js';

export class WorkerEngine implements Engine {
  private model: Uint8Array | undefined;
  private key = randomUUID();
  private trainedOn: Runtime | undefined;

  constructor(private readonly factory: EngineFactory) {}

  get algorithm(): string {
    return this.factory.algorithm;
  }

  /** Which runtime trained or loaded the model; before that, what a fresh engine would use. */
  get runtime(): Runtime {
    return this.trainedOn ?? this.factory.create().runtime;
  }

  /** Deserializes in a worker (validating the bytes there) and remembers which runtime loaded it. */
  static async load(factory: EngineFactory, bytes: Uint8Array): Promise<WorkerEngine> {
    const engine = new WorkerEngine(factory);
    const { runtime } = await runInWorker(factory.algorithm, 'load', { key: engine.key, model: bytes });
    engine.model = bytes;
    engine.trainedOn = runtime;
    return engine;
  }

  async fit(data: Dataset, options: FitOptions, signal?: AbortSignal, progress?: (progress: FitProgress) => void): Promise<void> {
    // Checked here so a typo fails before a worker is busied with the training set.
    checkHyperparamNames(this.algorithm, options.hyperparams, this.factory.hyperparams);
    if (!this.factory.tasks.includes(options.task)) {
      throw new PgError(SqlState.InvalidParameterValue, `${this.algorithm} does not support ${options.task}`, {
        hint: `${this.algorithm} supports: ${this.factory.tasks.join(', ')}`,
      });
    }
    const { model, runtime } = await runInWorker(this.algorithm, 'fit', { data, options }, [], signal, progress);
    this.model = model;
    this.trainedOn = runtime;
    // Models are immutable: a refit is a new model, cached under a new key.
    this.key = randomUUID();
  }

  predict(x: Float32Array, rows: number): Promise<Float32Array> {
    return runInWorker(this.algorithm, 'predict', { key: this.key, model: this.trained(), x, rows });
  }

  predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    return runInWorker(this.algorithm, 'predictProba', { key: this.key, model: this.trained(), x, rows });
  }

  predictWithProba(x: Float32Array, rows: number): Promise<PredictedWithProba> {
    return runInWorker(this.algorithm, 'predictWithProba', { key: this.key, model: this.trained(), x, rows });
  }

  async serialize(): Promise<Uint8Array> {
    return this.trained().slice();
  }

  private trained(): Uint8Array {
    if (!this.model) throw new PgError(SqlState.ObjectNotInPrerequisiteState, `${this.algorithm} model has not been trained`);
    return this.model;
  }
}

/** Wraps an in-thread factory so its engines run on the pool. */
export function workerFactory(local: EngineFactory): EngineFactory {
  return {
    algorithm: local.algorithm,
    tasks: local.tasks,
    hyperparams: local.hyperparams,
    create: () => new WorkerEngine(local),
    deserialize: (bytes) => WorkerEngine.load(local, bytes),
    ...(local.runtimeNotice ? { runtimeNotice: local.runtimeNotice } : {}),
  };
}
