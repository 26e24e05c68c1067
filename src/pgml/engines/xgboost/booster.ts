/**
 * What the XGBoost engine needs from a runtime (native libxgboost or the ml-xgboost WASM build):
 * train a booster on a dense matrix, predict, save and load. Keeping this seam narrow lets the
 * engine hold the PostgresML semantics (defaults, objectives, probabilities) in one place.
 */
export interface TrainInput {
  x: Float32Array;
  rows: number;
  cols: number;
  /** rows × targets labels, row-major. */
  y: Float32Array;
  /** Labels per row: more than 1 only for joint regression (pgml.train_joint). Defaults to 1. */
  targets?: number;
  /** XGBoost parameters as the C API takes them; a name may repeat (eval_metric). */
  params: ReadonlyArray<readonly [string, string]>;
  rounds: number;
  /**
   * `onRowsRead(n)`: the runtime reads rows [0, n) of `x` no more (Dataset.discardRows). Called with
   * growing counts, the last time with `rows` once the runtime holds the training matrix in its own
   * form (bins, or a copy), before the first boosting round.
   */
  onRowsRead?: (rows: number) => void;
  /** Called after each boosting round with the rounds done, where the runtime trains round by round. */
  onRound?: (done: number) => void;
}

export interface Booster {
  /** Transformed predictions (probabilities, values) or raw margins, rows × outputs. */
  predict(x: Float32Array, rows: number, cols: number, margin: boolean): Float32Array;
  save(): Uint8Array;
  free(): void;
}

export interface XgboostRuntime {
  readonly kind: 'native' | 'wasm';
  readonly version: string;
  train(input: TrainInput): Booster;
  load(bytes: Uint8Array): Booster;
  /** load without blocking the calling thread, where the runtime can (native: koffi's own thread). */
  loadOffThread?(bytes: Uint8Array): Promise<Booster>;
}
