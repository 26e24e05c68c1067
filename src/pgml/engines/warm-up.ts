/**
 * Warms an engine thread's JavaScript engines before a user's first fit needs them. A small fit ends
 * before V8's optimizing compiler has compiled its loops (20 ms for a function, more for on-stack
 * replacement, on a loaded two-core machine), so a user's first fit of an algorithm on a fresh thread
 * ran interpreted: iris SGD took 36–100 ms instead of 1–2 ms, lasso_least_angle on diabetes 68 ms
 * instead of 0.4–0.7 (BENCHMARKS.md). Each step fits one variant (the SGD family's every loss and
 * penalty, the linear family's solvers and logistic regression, the SVMs) on a small synthetic set,
 * through the same factories as a user's fit, and throws the model away: nothing is shared between
 * fits but the compiled code, so no model changes (warm-up.test.ts). quantile has steps of its own
 * (linearProgramWarmUpSteps), for one thread only. Steps are keyed by algorithm and task: a training runs
 * the steps of its own pair only (a `linear` regression least squares', not logistic regression's).
 */
import type { Task } from './engine.js';
import { getLocalEngineFactory } from './registry.js';
import { analyze } from '../preparation/statistics.js';

const ROWS = 60;
const COLS = 6;
/** Fits per variant: enough calls and loop iterations for TurboFan to pick the loops up. */
const ROUNDS = 2;

interface Variant {
  algorithm: string;
  task: Task;
  hyperparams: Record<string, unknown>;
  /** Classification: 3 classes unless 2 (a binomial model where the estimator has its own, as logistic regression). */
  numClasses?: number;
  /**
   * Half the features zero: the SGD family's row loops then take their sparse path (sgd-rows.ts), as on digits;
   * a tree meets features constant in a node.
   */
  sparse?: boolean;
  /** Features small integers (0–16, as digits' pixels): svm's kernel matrix then takes its exact integer path (libsvm/precomputed.ts). */
  integer?: boolean;
  /**
   * Rows of the synthetic set (60 unless set) and fits of it per round (1 unless set): where a user's first
   * fit still ran code V8 had not optimized after two 60-row fits, its per-fit loops run here until it has
   * (BENCHMARKS.md, small3: lasso's first diabetes fit 1.0–1.5 ms thread CPU after 2 fits of 60 rows, 0.3–0.6
   * after 8 of 200; warm fits 0.2–0.3).
   */
  rows?: number;
  fits?: number;
}

const classify = (algorithm: string, hyperparams: Record<string, unknown> = {}): Variant => ({ algorithm, task: 'classification', hyperparams });
const classifyBinary = (algorithm: string): Variant => ({ algorithm, task: 'classification', hyperparams: {}, numClasses: 2 });
const regress = (algorithm: string, hyperparams: Record<string, unknown> = {}): Variant => ({ algorithm, task: 'regression', hyperparams });
const cluster = (algorithm: string, hyperparams: Record<string, unknown> = {}): Variant => ({ algorithm, task: 'clustering', hyperparams });
/** A variant fitted `fits` times a round on `rows` rows: the per-fit loops of small fits, run until TurboFan has them. */
const longer = (variant: Variant, rows: number, fits: number): Variant => ({ ...variant, rows, fits });

const SGD = 'stochastic_gradient_descent';
const sparse = (variant: Variant): Variant => ({ ...variant, sparse: true });
const integer = (variant: Variant): Variant => ({ ...variant, integer: true });
/**
 * The SVMs' defaults. svm and nu_svm are solved by libsvm and linear_svm by liblinear, but each fit runs
 * JavaScript of ours around the native solver (the rbf kernel matrix, svm6's precomputed kernel in
 * libsvm/native.ts; liblinear's problem and model in liblinear.ts), and these steps compile it: without
 * linear_svm's, trainLiblinear was compiled beside users' first iris, digits and diabetes fits (BENCHMARKS.md,
 * issue 17, tiny18).
 */
const SVMS: Variant[] = ['linear_svm', 'svm', 'nu_svm'].flatMap((algorithm) => [regress(algorithm), classify(algorithm)]);
/**
 * svm's and nu_svm's classification once more on integer features (digits' kind), on 203 rows: their kernel
 * matrix's exact integer path (libsvm/precomputed.ts) and the loops a fit runs once over every value
 * (requireFinite, numpyVariance, the squared norms) were otherwise compiled during a user's first digits fit,
 * and numpy's pairwise sum met its tail (values not a multiple of 8) there first and deoptimized: a first
 * digits fit took 34–55 ms of thread CPU against 27.5–28 after these steps, breast_cancer's 4.4–5.0 against
 * 2.5–3.5, and V8's compiler threads beside the fit 20–22 ms and 7–10 against 0.5–1.7 (BENCHMARKS.md, svm8).
 * nu 0.25: class 1 is a seventh of these rows, too few for nu 0.5.
 */
const INTEGER_ROWS = 203;
const KERNEL_SVMS_ON_INTEGERS: Variant[] = [classify('svm'), classify('nu_svm', { nu: 0.25 })].map((v) => integer(longer(v, INTEGER_ROWS, 1)));
const VARIANTS: Variant[] = [
  // The SGD family's defaults on rows with half their entries zero first: their loops' sparse path (digits takes
  // it) is otherwise compiled by a user's first fit, which then ran 2–5× its warm CPU (BENCHMARKS.md, sgd4).
  ...[classify(SGD), classify('perceptron'), classify('passive_aggressive'), regress(SGD), regress('passive_aggressive')].map(sparse),
  ...['hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron'].map((loss) => classify(SGD, { loss })),
  ...['squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'].map((loss) => regress(SGD, { loss })),
  ...['l1', 'elasticnet', 'none'].map((penalty) => classify(SGD, { penalty })),
  classify('perceptron'),
  classify('passive_aggressive'),
  regress('passive_aggressive'),
  // The linear family fitted by its own solvers, and the SVMs (their defaults: what users fit). Steps are
  // keyed by algorithm and task: a `linear` regression runs least squares, not logistic regression's steps.
  regress('linear'),
  regress('ridge'),
  // Classification on 200 rows, four fits a round: after two 60-row fits, a first digits fit took 2.9–6.5 ms of
  // thread CPU with 6–10 ms of compiling beside it, against 1.5–1.8 warm; after these 2.2–2.8, 1.6–1.7 beside
  // (BENCHMARKS.md, issue 17, small5).
  longer(classify('ridge'), 200, 4),
  // Coordinate descent: lasso is elastic net's solver with l1_ratio 1, but a training runs only its own name's steps.
  longer(regress('lasso'), 200, 4),
  longer(regress('elastic_net'), 200, 4),
  // `linear` classification is logistic regression on L-BFGS: its binomial and multinomial objectives.
  classifyBinary('linear'),
  classify('linear'),
  longer(regress('bayesian_ridge'), 200, 4),
  longer(regress('automatic_relevance_determination'), 60, 4),
  // Lars: on 200 rows ×4 a first diabetes fit took 0.6 ms thread CPU (median of 5), after 2 fits of 60 rows 1.4.
  longer(regress('least_angle'), 200, 4),
  longer(regress('lasso_least_angle'), 200, 4),
  regress('orthogonal_matching_pursuit'),
  regress('huber'),
  ...SVMS,
  ...KERNEL_SVMS_ON_INTEGERS,
  regress('kernel_ridge'),
  // extra_trees: a first digits fit on a thread took 382–487 ms, the next ones 207–277; ten trees here cost
  // 74–95 ms CPU and bring that first fit to 265–277 (BENCHMARKS.md, trees7).
  classify('extra_trees', { n_estimators: 10 }),
  // Regression on rows with half their entries zero, three fits a round: a node's feature constant (diabetes' sex
  // column in small nodes) takes a path the dense set never took, and the first diabetes fit deoptimized the
  // feature draws there while its builder's functions were still being compiled: 108 ms thread CPU after two dense
  // 60-row fits, 96–103 after these six (27–30 ms), 89–95 warm (BENCHMARKS.md, small4).
  longer(sparse(regress('extra_trees', { n_estimators: 10 })), 60, 3),
  // bagging's trees (scikit-learn's BaggingClassifier/Regressor: ten trees on bootstrap samples): its first fit on a
  // thread compiled them, 37–41 ms of thread CPU on diabetes against 6–9 warm; one step each left 15 ms. Three fits a
  // round, regression on the sparse set (features constant in small nodes, as diabetes' sex column): 6.3, as warm
  // (BENCHMARKS.md, issue 17, small5).
  longer(classify('bagging'), 60, 3),
  longer(sparse(regress('bagging')), 60, 3),
  classify('gaussian_process'),
  // Regression on 30 rows (6 ms of CPU warm, 18 cold; on 60 rows a first step took 70 ms, svm3): a first diabetes fit
  // had 58–100 ms of compiling beside its 140–170 ms of thread CPU, after two of these steps 15–20 beside 120–125
  // (in-process, load 11; BENCHMARKS.md, issue 17, tiny18), and its 1.0–1.6× against scikit-learn had no margin.
  { ...regress('gaussian_process'), rows: 30 },
  // small2 counted the fits after which a first iris fit compiled nothing: 8 of 60 rows. 80 rows: V8 gives each
  // WebAssembly instance (one a fit) its own tier-up budget, and the message kernel's `poisoned` loop over 60² values
  // never spent it, so a user's first iris fit (112² values) had it compiled by TurboFan beside itself; 80² spend it
  // here, and every later instance of the module runs the compiled code (BENCHMARKS.md, issue 17, ap2).
  longer(cluster('affinity_propagation'), 80, 4),
  cluster('kmeans', { n_clusters: 3 }),
  longer(cluster('mini_batch_kmeans', { n_clusters: 3 }), 60, 4),
  // pca's two solvers (pca.ts): 60 rows × 6 take sklearn's 'covariance_eigh' (iris, wine, digits), 30 rows its 'full' SVD
  // (fewer rows than 10 × features).
  { algorithm: 'pca', task: 'decomposition', hyperparams: { n_components: 2 } },
  { algorithm: 'pca', task: 'decomposition', hyperparams: { n_components: 2 }, rows: 30 },
  // The SGD family's defaults once more, last: the variants above leave its two row loops (sgd-epochs.ts)
  // deoptimized now and then (a branch or call target seen for the first time), and a loop that is not
  // optimized when a user's small fit starts runs unoptimized until TurboFan has compiled it again.
  classify(SGD),
  regress(SGD),
  classify('perceptron'),
  classify('passive_aggressive'),
  regress('passive_aggressive'),
  // The SVMs' solvers four times more: after one pass their loops and the Newton objective's closures were not
  // yet hot on these small sets, and a first fit of breast_cancer or diabetes compiled them, taking twice its
  // CPU (BENCHMARKS.md, svm4).
  ...Array.from({ length: 4 }, () => [...SVMS, ...KERNEL_SVMS_ON_INTEGERS]).flat(),
];

/** A deterministic, learnable set: three classes, two, or a linear target, from smooth features. */
function syntheticSet(task: Task, numClasses: number, sparse: boolean, integer: boolean, rows: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(rows * COLS);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < COLS; c++) {
      const wave = Math.sin(r * 0.7 + c * 1.3);
      const v = sparse && wave < 0.1 ? 0 : wave;
      x[r * COLS + c] = integer ? Math.round(8 + 8 * v) : v;
      sum += v * (c + 1);
    }
    y[r] = task === 'regression' ? sum : numClasses === 2 ? (sum > 0 ? 1 : 0) : sum > 1 ? 2 : sum > -1 ? 1 : 0;
  }
  return { x, y };
}

/** One fit of the warm-up, and the algorithm and task whose first real fit it prepares. */
export interface WarmUpStep {
  algorithm: string;
  task: Task;
  /**
   * The variant it fits (its hyperparameters and set), when `before()` is to fit it once more right before the
   * algorithm's first real fit on the thread (idleWarmUp's tails).
   */
  variant?: string;
  run(): Promise<void>;
}

function fitStep(variant: Variant): WarmUpStep {
  const { algorithm, task, hyperparams, numClasses = 3, sparse = false, integer = false, rows = ROWS } = variant;
  return {
    algorithm,
    task,
    variant: JSON.stringify(variant),
    run: async () => {
      const { x, y } = syntheticSet(task, numClasses, sparse, integer, rows);
      const engine = getLocalEngineFactory(algorithm).create();
      await engine.fit({ x, rows, cols: COLS, y, yCols: 1 }, { task, hyperparams, ...(task === 'classification' ? { numClasses } : {}) });
      await engine.predict(x, rows);
    },
  };
}

/** The warm-up as steps, one fit each, so that the caller can run them between real requests. */
export function engineWarmUpSteps(): WarmUpStep[] {
  return Array.from({ length: ROUNDS }, () => VARIANTS.flatMap((variant) => Array.from({ length: variant.fits ?? 1 }, () => fitStep(variant)))).flat();
}

/** Columns the statistics step analyzes: V8 marked `analyze` in a process's fifth iris training, after some 20 columns. */
const STATISTICS_COLUMNS = 48;

/**
 * The training preparation's column statistics (preparation/statistics.ts, run on the engine thread before every fit),
 * for the idle warm-up to run first: a process's fifth small training made `analyze` hot, and TurboFan compiled it,
 * 12 ms of a compiler thread at nice 0, beside that training's fit (affinity_propagation iris_clusters 1.71× with
 * 9.3 ms of other threads' CPU beside a 3 ms fit; BENCHMARKS.md, issue 17, ap2). Its key is no engine's algorithm,
 * so `before()` never runs it ahead of a fit.
 */
export function preparationWarmUpStep(): WarmUpStep {
  return {
    algorithm: 'column statistics',
    task: 'regression',
    run: async () => {
      const values = new Float64Array(ROWS * 2);
      for (let c = 0; c < STATISTICS_COLUMNS; c++) {
        for (let i = 0; i < values.length; i++) values[i] = ((i * 37 + c * 11) % 53) / 7 + (i % 5 === c % 5 ? Number.NaN : 0);
        analyze(values, values);
      }
    },
  };
}

/** Enough fits of the 60-row program for TurboFan to have taken HiGHS's hot functions (BENCHMARKS.md, misc1). */
const LINEAR_PROGRAM_FITS = 24;
/**
 * Then a larger program (9,600 nonzeros, diabetes' 7,944), so that HiGHS's heap in the module's memory has grown and been
 * written to that size here: the first diabetes fit after the 60-row steps alone wrote ~350 fresh pages (BENCHMARKS.md, quant14).
 */
const LARGER_PROGRAM_ROWS = 600;
const LARGER_PROGRAM_FITS = 2;

/**
 * quantile's warm-up: HiGHS's WebAssembly loaded and its solver run until V8 has optimized it. V8 compiles
 * WebAssembly lazily with its baseline compiler and hands a function to TurboFan only once it has run a
 * while, so a first quantile fit on diabetes took 300–500 ms of CPU and the next ones 50–160 ms each,
 * against 14–30 ms after these steps (BENCHMARKS.md, misc1). The default penalty and a small one (fewer weights at
 * zero: more simplex iterations), alternately. For one thread only (pool.ts's thread started ahead of use):
 * V8 keeps one compiled module per wire bytes for the whole process while an instance lives, so the
 * optimized code serves every thread, and only this thread carries an instance (about 26 MB of RSS).
 */
export function linearProgramWarmUpSteps(): WarmUpStep[] {
  const steps = Array.from({ length: LINEAR_PROGRAM_FITS }, (_, i) => fitStep(regress('quantile', i % 2 ? { alpha: 0.01 } : {})));
  return [...steps, ...Array.from({ length: LARGER_PROGRAM_FITS }, () => fitStep(longer(regress('quantile', { alpha: 0.01 }), LARGER_PROGRAM_ROWS, 1)))];
}

/**
 * How long a thread must have been idle before a warm-up step runs: a training's requests to its
 * thread come one after another with gaps of milliseconds, so a training that starts at once (or
 * while the proxy starts) never shares the machine with the warm-up. Trainings that follow each
 * other keep it paused; each algorithm's own steps then run before its first fit (`before`). 100 ms,
 * so that the steps went on between such trainings, was measured and left out: the fits after a step
 * took 2–4× the CPU (the SGD family's digits and diabetes fits, huber; BENCHMARKS.md, warm2).
 */
export const WARM_UP_IDLE_MS = 2000;

/** Warm-up steps this thread has started, for the pool's test (a `run` job can read it). */
let stepsStarted = 0;

export function warmUpStepsStarted(): number {
  return stepsStarted;
}

/** The window in which the process's other threads' CPU is sampled while waiting for V8's compiler threads. */
const SETTLE_WINDOW_MS = 4;
/** The other threads count as settled below this share of one core over a window. */
const SETTLE_IDLE_SHARE = 0.1;
/**
 * The polling's bound: a process whose other threads stay busy (other trainings, clients) stops waiting after it.
 * The wait can still be longer: at load 20–25, a 4 ms timer right after quantile's steps fired 2.4–3.4 s late
 * (the thread not running meanwhile); on main that time fell inside the first fits instead (their wall 270–540 ms
 * for 15–19 ms of CPU).
 */
const SETTLE_MAX_MS = 250;

/**
 * Waits until V8's compiler threads are done with what the steps just handed them, or SETTLE_MAX_MS. V8
 * optimizes on its platform threads, concurrently: quantile's 24 HiGHS steps leave about 200 ms of
 * WebAssembly tier-up still to compile when the last one returns, and the fit that followed at once ran
 * on the baseline code at twice its CPU (17–19.5 ms against 9–11.5 on diabetes) while those threads took
 * 70–86 ms beside each of its first three fits: on two cores, at nice 0 against the engine thread's 10,
 * they also took the cores from it (BENCHMARKS.md, issue 17, small5). The engine thread is idle while it
 * waits, so the process's CPU over a window is the other threads' (the compilers, the event loop, other
 * engine threads).
 */
async function backgroundCompilesSettled(): Promise<void> {
  const deadline = performance.now() + SETTLE_MAX_MS;
  for (;;) {
    const before = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WINDOW_MS));
    const used = process.cpuUsage(before);
    const elapsed = performance.now() - started;
    if ((used.user + used.system) / 1000 < elapsed * SETTLE_IDLE_SHARE || performance.now() >= deadline) return;
  }
}

export interface IdleWarmUp {
  /** A request is done: the steps go on once the thread has been idle for `idleMs`. */
  resume(): void;
  /** Runs the steps at once, then `more`, for a thread started ahead of use. */
  start(more?: WarmUpStep[]): void;
  /**
   * Runs the steps still queued for `algorithm` on `task` (every task when not known) now, after the step
   * running (if any), before a request to fit it: its first real fit then runs compiled code. Then, the
   * first time only, each of its variants once more (the tails, whether the idle loop or `before()` ran their
   * steps). When it ran any, it then waits for V8's compiler threads to finish compiling them
   * (backgroundCompilesSettled). Resolves with the number of steps it ran.
   */
  before(algorithm: string, task?: Task): Promise<number>;
  /** Settles when the steps are over (run or dropped). */
  done: Promise<void>;
}

/**
 * Runs warm-up steps one at a time once the thread has been idle (`busy()` false) for `idleMs`, and
 * only while the proxy's clients are quiet (`serving()` false; checked again every `idleMs`):
 * `resume()` (called when a request is done) starts the wait again, and a request that arrives
 * during a step waits for that step only (a few milliseconds). `start()` runs the steps at once
 * instead (once the clients are quiet), for a thread started ahead of use (pool.ts's warm request),
 * whose first user request may come sooner than `idleMs`, with `more` steps after the others.
 * `before()` runs one algorithm's steps (whether the clients are quiet or not) ahead of its first fit
 * on this thread (worker.ts), so that a training that comes before the idle
 * warm-up reached them does not run interpreted. Every engine thread does it, at the thread's priority
 * (thread-priority.ts). A failing step ends the warm-up and nothing else: the first real fits are then
 * slower.
 */
export function idleWarmUp(steps: WarmUpStep[], busy: () => boolean, idleMs = WARM_UP_IDLE_MS, serving: () => boolean = () => false): IdleWarmUp {
  const queue = [...steps];
  /**
   * The last step run of each variant, until `before()` runs it once more ahead of the algorithm's first real
   * fit. V8 marks a function for TurboFan while it runs (its budget spent), but starts compiling it only at its
   * next call: functions a variant's last step marked were compiled by the user's first fit, on a compiler
   * thread at nice 0 beside a fit at nice 10 (nu_svm iris: libsvm/train.ts's groupClasses and identity, marked
   * by the last nu_svm step, 2.9 and 9.8 ms of compiling at the start of a 1–2 ms fit; BENCHMARKS.md, issue 17,
   * tiny18). So did functions the algorithm shares with a fit that ran since (centredGram's target closure,
   * marked by a least_angle fit, compiled in lasso_least_angle's). A tail calls them all again, the
   * compiles start, and `before()` waits for them.
   */
  const tails = new Map<string, WarmUpStep>();
  /** The step running, if one is. */
  let running: Promise<void> | undefined;
  let runningStep: WarmUpStep | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  /** Runs one step (a tail: not kept as one again); a failure drops every step left. */
  const run = (step: WarmUpStep, tail = false): Promise<void> => {
    stepsStarted++;
    runningStep = step;
    running = step.run().then(
      () => void (step.variant !== undefined && !tail && tails.set(`${step.algorithm}\u0000${step.task}\u0000${step.variant}`, step)),
      () => void queue.splice(0),
    );
    return running.then(() => {
      running = undefined;
      runningStep = undefined;
      if (queue.length === 0) finish();
    });
  };
  const next = (): void => {
    if (running || busy()) return;
    // The steps' compilation would share the cores with the clients' statements (client-clock.ts).
    if (serving()) {
      clearTimeout(timer);
      timer = setTimeout(next, idleMs);
      return;
    }
    const step = queue.shift();
    if (!step) return finish();
    void run(step).then(() => setImmediate(next));
  };
  const wait = (): void => {
    clearTimeout(timer);
    if (queue.length > 0) timer = setTimeout(next, idleMs);
  };
  const start = (more: WarmUpStep[] = []): void => {
    clearTimeout(timer);
    queue.push(...more);
    next();
  };
  const prepares = (algorithm: string, task: Task | undefined) => (step: WarmUpStep) =>
    step.algorithm === algorithm && (task === undefined || step.task === task);
  const before = async (algorithm: string, task?: Task): Promise<number> => {
    const wanted = prepares(algorithm, task);
    // A step of the algorithm that the idle loop is running leaves a tail when it ends.
    if (!queue.some(wanted) && ![...tails.values()].some(wanted) && !(runningStep && wanted(runningStep))) return 0;
    clearTimeout(timer);
    let count = 0;
    for (;;) {
      // The idle loop's step first (it sees the request as busy and starts no other), and any other before() call's.
      while (running) await running;
      const index = queue.findIndex(wanted);
      if (index < 0) break;
      count++;
      await run(queue.splice(index, 1)[0]!);
    }
    for (const [key, step] of tails) {
      if (!wanted(step)) continue;
      tails.delete(key);
      while (running) await running;
      count++;
      await run(step, true);
    }
    if (count > 0) await backgroundCompilesSettled();
    return count;
  };
  wait();
  return { resume: wait, start, before, done };
}
