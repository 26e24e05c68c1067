/**
 * Fitting a forest's trees (forest.ts) on one thread or several. Every tree is a function of its index
 * alone: one seed per tree is drawn up front (as scikit-learn draws one random_state per estimator) and
 * drives both the tree's bootstrap rows and its splits, so the trees come out the same, in the same
 * order, whatever the number of threads. Extra threads (forest-thread.ts) read the training data from
 * shared memory, take the next tree index from a shared counter and send each tree back packed.
 */
import { resourceLimits, type Worker } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import { startEngineThread } from './engine-thread.js';
import { seededRandom } from './engine-support.js';
import { NumpyRandomState } from './numpy-random.js';
import { SklearnFeatureOrder } from './sklearn-features.js';
import { ExtraTreeScratch, fitExtraTree } from './extra-tree.js';
import { fitTree, unpackTrees, type PackedTrees, type Tree } from './tree.js';
import type { TreeShape } from './tree-params.js';

export interface ForestPlan {
  rows: number;
  cols: number;
  outputs: number;
  splitter: 'best' | 'random';
  shape: TreeShape;
  /** Bootstrap rows drawn per tree, or 0 for every row once. */
  draws: number;
  /** One per tree (seedTrees). */
  seeds: number[];
  /** The best splitter visits features in the order of the DecisionTree sklearn's Bagging* builds (bagging). */
  sklearnFeatureOrder: boolean;
}

/** The training data every tree reads: in SharedArrayBuffers when more than one thread fits. */
export interface ForestArrays {
  columns: Float32Array;
  targets: Float64Array;
  presorted?: Int32Array | undefined;
  /** Each row's class, for classification's Gini criterion in the random splitter (extra-tree.ts). */
  classes?: Int32Array | undefined;
}

/** What a tree thread receives (forest-thread.ts). */
export interface ForestJob {
  plan: ForestPlan;
  arrays: ForestArrays;
  /** The thread's own first tree: thread i of n fits tree i, then takes from next (which starts at n). */
  first: number;
  /** The next tree index to fit, shared by every thread of the fit. */
  next: Int32Array;
}

/** A tree thread's messages: each tree it fitted, then done. */
export type ForestThreadMessage = { tree: number; packed: PackedTrees } | { done: true };

/**
 * sklearn's per-estimator seeds, randint(2^31 - 1) from RandomState(random_state): a forest's
 * bootstrap rows are then sklearn's (RandomState(seed).randint(0, rows) per draw, numpy-random.ts).
 */
export function seedTrees(seed: number, trees: number): number[] {
  const random = new NumpyRandomState(seed);
  return Array.from({ length: trees }, () => random.bounded(MAX_SEED));
}

/** np.iinfo(np.int32).max - 1: the bound (inclusive) of sklearn's randint(MAX_INT) seed draws. */
const MAX_SEED = 0x7ffffffe;

/**
 * Bagging*'s _make_estimator sets the DecisionTree's random_state to RandomState(estimator seed)
 * .randint(MAX_INT) (_set_random_states); its splitter draws the feature order from that.
 */
function baggedTreeFeatureOrder(treeSeed: number, cols: number, maxFeatures: number): SklearnFeatureOrder {
  return new SklearnFeatureOrder(cols, maxFeatures, new NumpyRandomState(treeSeed).bounded(MAX_SEED));
}

/** Tree t of the plan; weights is scratch of plan.rows, extraScratch the random splitter's (one per thread and fit). */
export function fitForestTree(plan: ForestPlan, arrays: ForestArrays, t: number, weights: Float64Array, extraScratch?: ExtraTreeScratch): Tree {
  const { rows, cols, outputs, draws } = plan;
  const seed = plan.seeds[t]!;
  if (draws > 0) {
    weights.fill(0);
    const bootstrap = new NumpyRandomState(seed);
    for (let i = 0; i < draws; i++) weights[bootstrap.bounded(rows - 1)]! += 1;
  } else {
    weights.fill(1);
  }
  const { columns, targets, presorted, classes } = arrays;
  if (plan.splitter === 'random') {
    // sklearn's forests set each ExtraTree's random_state to the tree's seed itself.
    return fitExtraTree({ rows, cols, targets, outputs, weights, columns }, { ...plan.shape, treeSeed: seed, classes }, extraScratch);
  }
  return fitTree(
    { rows, cols, targets, outputs, weights, columns, ...(presorted ? { presorted } : {}) },
    {
      ...plan.shape,
      random: seededRandom(seed),
      ...(plan.sklearnFeatureOrder ? { featureOrder: baggedTreeFeatureOrder(seed, cols, plan.shape.maxFeatures) } : {}),
    },
  );
}

/** Fits the job's first tree, then trees from the shared counter until none is left, calling done(t, tree) for each. */
export function fitTreesFromCounter(job: ForestJob, done: (t: number, tree: Tree) => void): void {
  const { plan } = job;
  const weights = new Float64Array(plan.rows);
  const extraScratch = plan.splitter === 'random' ? new ExtraTreeScratch(plan.rows, plan.outputs) : undefined;
  const count = plan.seeds.length;
  for (let t = job.first; t < count; t = Atomics.add(job.next, 0, 1)) {
    done(t, fitForestTree(plan, job.arrays, t, weights, extraScratch));
  }
}

/** A copy of the array in a SharedArrayBuffer, readable by every thread without a copy of its own. */
export function shared<T extends Float32Array | Float64Array | Int32Array>(array: T): T {
  const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  return copy;
}

/**
 * Every tree of the plan, fitted by this thread and threads - 1 others. The others start at the same
 * priority as this one (a thread's nice value passes to the threads it starts on Linux: an engine
 * thread's 10) and with its heap bound; they end with it if the pool terminates it (a cancelled fit).
 */
export async function fitForestTrees(plan: ForestPlan, arrays: ForestArrays, threads: number): Promise<Tree[]> {
  const trees: Tree[] = new Array(plan.seeds.length);
  const next = new Int32Array(new SharedArrayBuffer(4));
  next[0] = threads;
  // Each thread has a tree of its own (so each one started does its part), then they share the rest.
  const job: ForestJob = { plan, arrays, first: 0, next };
  const others = Array.from({ length: threads - 1 }, (_, i) => new TreeThread({ ...job, first: i + 1 }, trees));
  // A failed thread must not leave its rejection unheard while this one is busy fitting.
  const finished = Promise.all(others.map((other) => other.finished));
  finished.catch(() => {});
  try {
    fitTreesFromCounter(job, (t, tree) => {
      trees[t] = tree;
    });
    await finished;
  } catch (error) {
    await Promise.all(others.map((other) => other.thread.terminate()));
    throw error;
  }
  return trees;
}

/** One extra thread of a fit: its trees land in trees[t] as they come. */
class TreeThread {
  readonly thread: Worker;
  readonly finished: Promise<void>;

  constructor(job: ForestJob, trees: Tree[]) {
    const thread = startEngineThread('forest-thread', { workerData: job, resourceLimits });
    this.thread = thread;
    this.finished = new Promise((resolve, reject) => {
      let done = false;
      thread.on('message', (message: ForestThreadMessage) => {
        if ('done' in message) done = true;
        else trees[message.tree] = unpackTrees(message.packed, job.plan.outputs)[0]!;
      });
      thread.on('error', (error: Error & { code?: string }) => {
        reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new PgError(SqlState.OutOfMemory, 'out of memory: a tree thread needed more than the per-fit memory bound', {
            hint: 'Train on fewer rows or with smaller hyperparameters, or raise --fit-memory-mb.',
          })
          : error);
      });
      thread.on('exit', (code) => {
        if (done) resolve();
        else reject(new PgError(SqlState.InternalError, `a tree thread stopped (exit code ${code}) before its last tree`));
      });
    });
  }
}
