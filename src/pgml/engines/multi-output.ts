/**
 * Joint regression for single-output regressors, as PostgresML does it: its sklearn binding wraps
 * these algorithms in scikit-learn's MultiOutputRegressor when a model has more than one target
 * (bindings/sklearn/sklearn.py, `estimator`), which fits one independent copy per target column and
 * predicts them side by side. The wrapped engine is the algorithm's own, so each column's model is
 * exactly the single-target model of that column.
 *
 * A single-target model serializes as the inner engine's bytes unchanged (models stored before this
 * wrapper load as before); a joint one as MAGIC, the number of targets, then each inner model with
 * its length.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Dataset, Engine, EngineFactory, FitOptions, FitProgress, Runtime } from './engine.js';

/** PostgresML's list (sklearn.py), in this project's algorithm names. */
export const MULTI_OUTPUT_WRAPPED: ReadonlySet<string> = new Set([
  'bayesian_ridge',
  'automatic_relevance_determination',
  'stochastic_gradient_descent',
  'passive_aggressive',
  'theil_sen',
  'huber',
  'quantile',
  'svm',
  'nu_svm',
  'linear_svm',
  'ada_boost',
  'gradient_boosting_trees',
  'lightgbm',
]);

const MAGIC = Buffer.from('\0pgml-proxy multi-output v1\0', 'latin1');

export function multiOutputFactory(inner: EngineFactory): EngineFactory {
  return {
    algorithm: inner.algorithm,
    tasks: inner.tasks,
    hyperparams: inner.hyperparams,
    create: () => new MultiOutputEngine(inner, []),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      if (!startsWithMagic(bytes)) return new MultiOutputEngine(inner, [await inner.deserialize(bytes)]);
      const engines = await Promise.all(splitModels(inner.algorithm, bytes).map((part) => inner.deserialize(part)));
      return new MultiOutputEngine(inner, engines);
    },
    ...(inner.runtimeNotice ? { runtimeNotice: (ran: Runtime, hyperparams?: Record<string, unknown>) => inner.runtimeNotice!(ran, hyperparams) } : {}),
  };
}

class MultiOutputEngine implements Engine {
  readonly predictProba?: (x: Float32Array, rows: number) => Promise<Float32Array>;

  /** One engine per target column; a single one for every other model. */
  constructor(private readonly inner: EngineFactory, private engines: Engine[]) {
    // Probabilities exist only where the algorithm has them, and only for one (class) target.
    if (inner.create().predictProba !== undefined) {
      this.predictProba = (x, rows) => this.single('predict_proba').predictProba!(x, rows);
    }
  }

  get algorithm(): string {
    return this.inner.algorithm;
  }

  get runtime(): Runtime {
    return (this.engines[0] ?? this.inner.create()).runtime;
  }

  async fit(data: Dataset, options: FitOptions, signal?: AbortSignal, progress?: (p: FitProgress) => void): Promise<void> {
    const targets = data.yCols ?? 1;
    if (options.task !== 'regression' || targets <= 1 || data.y === undefined) {
      const engine = this.inner.create();
      await engine.fit(data, options, signal, progress);
      this.engines = [engine];
      return;
    }
    const engines: Engine[] = [];
    for (let t = 0; t < targets; t++) {
      const y = new Float32Array(data.rows);
      for (let r = 0; r < data.rows; r++) y[r] = data.y[r * targets + t]!;
      const engine = this.inner.create();
      // Progress counts the rounds of all targets together, as one fit.
      const report = progress && ((p: FitProgress) => progress({ ...p, done: t * p.total + p.done, total: targets * p.total }));
      await engine.fit({ ...data, y, yCols: 1 }, options, signal, report);
      engines.push(engine);
    }
    this.engines = engines;
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.engines.length <= 1) return this.single('predict').predict(x, rows);
    const columns = await Promise.all(this.engines.map((engine) => engine.predict(x, rows)));
    const targets = columns.length;
    const out = new Float32Array(rows * targets);
    columns.forEach((column, t) => {
      for (let r = 0; r < rows; r++) out[r * targets + t] = column[r]!;
    });
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    if (this.engines.length <= 1) return this.single('serialize').serialize();
    const parts = await Promise.all(this.engines.map((engine) => engine.serialize()));
    const header = Buffer.alloc(MAGIC.length + 4);
    MAGIC.copy(header);
    header.writeUInt32LE(parts.length, MAGIC.length);
    const chunks: Uint8Array[] = [header];
    for (const part of parts) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(part.length);
      chunks.push(length, part);
    }
    return Buffer.concat(chunks);
  }

  private single(operation: string): Engine {
    const engine = this.engines[0];
    if (engine === undefined) throw new PgError(SqlState.InternalError, `${this.algorithm}: ${operation} before fit`);
    if (this.engines.length > 1 && operation === 'predict_proba') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} joint regression does not produce probabilities`);
    }
    return engine;
  }
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).equals(MAGIC);
}

function splitModels(algorithm: string, bytes: Uint8Array): Uint8Array[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = () => new PgError(SqlState.DataCorrupted, `${algorithm} joint model bytes are truncated or corrupt`);
  if (buffer.length < MAGIC.length + 4) throw corrupt();
  const count = buffer.readUInt32LE(MAGIC.length);
  const parts: Uint8Array[] = [];
  let offset = MAGIC.length + 4;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > buffer.length) throw corrupt();
    const length = buffer.readUInt32LE(offset);
    offset += 4;
    if (offset + length > buffer.length) throw corrupt();
    parts.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== buffer.length || count < 2) throw corrupt();
  return parts;
}
