/**
 * Small predictions on the event loop. A prediction normally runs on the worker pool, and for one
 * row the round trip (a postMessage each way) costs far more than the model: a bounded, small
 * prediction of a model whose in-thread form is cheap to hold runs in the calling thread instead.
 *
 * Measured on the 2-core development machine at load average ~16 (BENCHMARKS.md, "Serving latency:
 * answering locally (issue 16)"), one row of 30 features, 3000 calls after 300 warm-ups:
 *
 *   linear regression   in-thread p50 0.9 µs (p99 3.8 µs)     worker pool p50 75 µs (p99 3.2 ms)
 *                       in-thread load of the model: 0.13 ms
 *   XGBoost, 100 trees  in-thread p50 43.5 µs (p99 13.5 ms)   worker pool p50 173 µs (p99 16.6 ms)
 *
 * So the linear family (pure JS, work = rows × features × outputs multiply-adds) runs in-thread for
 * at most LINEAR_MAX_ROWS rows of a model of at most LINEAR_MAX_MODEL_BYTES bytes: at most 16 × 16k
 * multiply-adds (well under a millisecond), and loading the in-thread form decodes at most 64 KiB.
 *
 * XGBoost (native libxgboost only): the booster is parsed on koffi's own thread (loadOffThread), so
 * loading never blocks the event loop; a prediction is one DMatrix and one XGBoosterPredict on one
 * thread, whose cost is a fixed part plus a part that grows with rows × trees. Measured at load
 * average ~1.5 (one row of 30 features; 3000 calls after 300 warm-ups; depth-6 regression trees):
 *
 *   100 trees, 411 KB    1 row p50 48.7 µs (p99 111 µs), 4 rows 56.5 µs, 16 rows 91.6 µs (p99 799 µs)
 *                        load: 2 ms synchronous, parsed off-thread when loaded in-thread
 *   1000 trees, 3.6 MB   (at load average ~20) 1 row p50 188 µs, 4 rows 237 µs, 16 rows 1.5 ms
 *                        load: 110 ms synchronous, so parsed off-thread (the loop's longest pause
 *                        during 10 such loads was 62 ms at that load: not told apart from the
 *                        machine's own scheduling delays; no baseline without loads was taken)
 *
 * The first prediction of a loaded booster also configures it (0.5 ms at 100 trees, 4.3 ms at 1000
 * under that load): once per model and process, bounded by the model's size.
 *
 * The bytes of the serialized model stand for the trees (their nodes): a model of at most
 * TREE_MAX_MODEL_BYTES predicts in-thread as many rows as keep rows × bytes within
 * TREE_ROWS_TIMES_BYTES (16 rows of the 100-tree model, 2 of the 1000-tree one: one in-thread
 * prediction stays within ~0.1–0.3 ms); more rows go to the pool.
 *
 * A regression model whose prediction is its trees' sum alone (xgboost-trees.ts) is walked in
 * JavaScript instead of libxgboost: same values bit for bit, one row of the 100-tree model in
 * 13–20 µs against libxgboost's 180–270 µs at load average ~20 (scratch script, 3000 calls, three
 * runs). Its tree arrays are read from the model's UBJSON on an engine thread when the model loads
 * (2.5 ms for the 100-tree model once warm, 44 ms the first time in a process at load ~20: model
 * loading, which the event loop does not wait for). With no fixed cost per call to share, its
 * predictions skip the queue and run where they are asked for.
 */
import { runInWorker } from '../engines/pool.js';
import { getLocalEngineFactory } from '../engines/registry.js';
import { XgboostEngine } from '../engines/xgboost/index.js';
import { PgError, SqlState } from '../../errors/index.js';
import { InlineQueue, type Predicting } from './inline-queue.js';
import { XgboostTrees, type TreeTables } from './xgboost-trees.js';

// The engine pool imports it by URL; under tsx (tests) the sources are .ts files.
const TREES_MODULE = new URL(`./xgboost-trees.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

/**
 * An in-thread form of a model, the most rows it may predict in one step on the event loop, and
 * where its small predictions go: the queue that gathers concurrent ones into such steps
 * (inline-queue.ts), or the model itself when a call has no fixed cost to share.
 */
export interface InlineModel {
  engine: Predicting;
  maxRows: number;
  queue: Predicting;
}

const LINEAR_ALGORITHMS = new Set(['linear', 'ridge', 'lasso', 'elastic_net']);
const LINEAR_MAX_ROWS = 16;
export const LINEAR_MAX_MODEL_BYTES = 64 * 1024;

const TREE_MAX_MODEL_BYTES = 4 * 1024 * 1024;
const TREE_ROWS_TIMES_BYTES = 16 * 512 * 1024;
const TREE_MAX_ROWS = 16;

/** The in-thread form of a model that qualifies, loaded from its serialized bytes; else undefined. */
export async function inlineModel(algorithm: string, bytes: Uint8Array): Promise<InlineModel | undefined> {
  const size = bytes.byteLength;
  if (LINEAR_ALGORITHMS.has(algorithm) && size <= LINEAR_MAX_MODEL_BYTES) {
    return inThread(await getLocalEngineFactory(algorithm).deserialize(bytes), LINEAR_MAX_ROWS);
  }
  if ((algorithm === 'xgboost' || algorithm === 'xgboost_random_forest') && size <= TREE_MAX_MODEL_BYTES) {
    const maxRows = Math.min(TREE_MAX_ROWS, Math.max(1, Math.floor(TREE_ROWS_TIMES_BYTES / size)));
    const walked = await walkedTrees(algorithm, bytes);
    if (walked !== undefined) return { engine: walked, maxRows, queue: walked };
    const engine = await XgboostEngine.deserializeOffThread(algorithm, bytes);
    return engine === undefined ? undefined : inThread(engine, maxRows);
  }
  return undefined;
}

function inThread(engine: Predicting, maxRows: number): InlineModel {
  return { engine, maxRows, queue: new InlineQueue(engine, maxRows) };
}

/** A native XGBoost regression model whose trees JavaScript walks exactly (xgboost-trees.ts). */
async function walkedTrees(algorithm: 'xgboost' | 'xgboost_random_forest', bytes: Uint8Array): Promise<Predicting | undefined> {
  const { header, model } = XgboostEngine.parse(algorithm, bytes);
  if (header.runtime !== 'native' || header.task !== 'regression') return undefined;
  const input = { module: TREES_MODULE, name: 'readTrees', input: { model, cols: header.cols }, what: `reading a ${algorithm} model` };
  const tables = (await runInWorker(algorithm, 'run', input)) as TreeTables | undefined;
  if (tables === undefined) return undefined;
  const trees = new XgboostTrees(tables);
  return {
    predict: async (x, rows) => {
      // As XgboostEngine refuses it: the pipeline's width is checked before, so this is a guard.
      if (x.length !== rows * header.cols) {
        throw new PgError(SqlState.InvalidParameterValue, `expected ${header.cols} features per row, got ${rows === 0 ? x.length : x.length / rows}`);
      }
      return trees.predict(x, rows);
    },
  };
}
