/**
 * `linear_svm`: scikit-learn's LinearSVC / LinearSVR, which call liblinear. The bias is a feature of
 * value intercept_scaling, regularised like the weights (liblinear's convention). The squared losses
 * (LinearSVC's default squared_hinge, LinearSVR's squared_epsilon_insensitive) are solved in the primal
 * by liblinear's trust region Newton method with its stopping rule (what sklearn's dual='auto' runs when
 * there are more rows than features); the non-smooth hinge and epsilon_insensitive losses use
 * liblinear's dual coordinate descent with its shrinking and stopping rule (tol, max_iter passes).
 * Classification is one-vs-rest, as sklearn's multi_class='ovr'; no probabilities, as sklearn.
 *
 * Those solvers run in liblinear itself (liblinear.ts, runtime 'native') when the library is installed
 * and can take the training: liblinear 2.3 fixes max_iter at 1000 (scikit-learn's default). Otherwise,
 * or with PGML_LINEAR_SVM_RUNTIME=js, the TypeScript port below trains (runtime 'js') and the training
 * says so in an INFO notice unless the port was asked for.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Runtime } from './engine.js';
import {
  argmaxRows, boolParam, checkPredictShape, choiceParam, decodeState, encodeModel, intParam, invalidParam, notFitted, rangeParam,
  requireFinite, requireLabels, requireNumClasses, requireTask, seedParam, seededRandom, shuffleInPlace,
} from './engine-support.js';
import { minimizeTron, type TronObjective } from './tron.js';
import { linearPredict, type LinearCoefficients } from './linear-solvers.js';
import {
  describeLiblinear, L2R_L1LOSS_SVC_DUAL, L2R_L1LOSS_SVR_DUAL, L2R_L2LOSS_SVC, L2R_L2LOSS_SVR, LIBLINEAR_MAX_ITER, liblinearStatus, trainLiblinear,
} from './liblinear.js';

const ALGORITHM = 'linear_svm';
const FORMAT = 'pgml-proxy/linear-svm';
const HYPERPARAMS = ['C', 'loss', 'penalty', 'dual', 'tol', 'max_iter', 'fit_intercept', 'intercept_scaling', 'epsilon', 'random_state', 'multi_class'];

/** Rows with the bias feature appended (value intercept_scaling) when an intercept is fitted. */
interface Design {
  x: Float64Array;
  rows: number;
  width: number;
}

function design(x: Float32Array, rows: number, cols: number, bias: number | undefined): Design {
  const width = cols + (bias === undefined ? 0 : 1);
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * width + c] = x[r * cols + c]!;
    if (bias !== undefined) out[r * width + cols] = bias;
  }
  return { x: out, rows, width };
}

function rowDot(d: Design, r: number, w: Float64Array): number {
  let s = 0;
  for (let c = 0; c < d.width; c++) s += d.x[r * d.width + c]! * w[c]!;
  return s;
}

function addRow(d: Design, r: number, scale: number, target: Float64Array): void {
  for (let c = 0; c < d.width; c++) target[c]! += scale * d.x[r * d.width + c]!;
}

/** xᵢ·xᵢ per row: the diagonal of the dual's Hessian. */
function squaredRowNorms(d: Design): Float64Array {
  return Float64Array.from({ length: d.rows }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d.width; j++) s += d.x[i * d.width + j]! ** 2;
    return s;
  });
}

/**
 * A squared loss's signed residual q at row i's prediction p: the loss is q², its slope 2q and its
 * curvature 2 where q ≠ 0, 0 elsewhere (squared hinge: q = p − y inside the margin; squared
 * epsilon-insensitive: q = p − y ∓ ε outside the tube).
 */
type SquaredResidual = (i: number, p: number) => number;

/**
 * The design's rows without their zeros, in a given row order (compressed rows): what liblinear reads,
 * since scikit-learn's liblinear_helper drops zero features when it builds liblinear's problem. Every
 * product and sum over a row is then liblinear's, in its order, and the Newton solver's passes skip
 * the zeros (half of digits' pixels) as liblinear's do.
 */
interface SparseRows {
  rows: number;
  width: number;
  /** Row i's entries are [start[i], start[i + 1]). */
  start: Int32Array;
  column: Int32Array;
  value: Float64Array;
}

function sparseRows(d: Design, order: Int32Array): SparseRows {
  let nonzero = 0;
  for (let k = 0; k < d.x.length; k++) if (d.x[k] !== 0) nonzero++;
  const start = new Int32Array(d.rows + 1);
  const column = new Int32Array(nonzero);
  const value = new Float64Array(nonzero);
  let at = 0;
  for (let i = 0; i < d.rows; i++) {
    const base = order[i]! * d.width;
    for (let c = 0; c < d.width; c++) {
      const v = d.x[base + c]!;
      if (v === 0) continue;
      column[at] = c;
      value[at++] = v;
    }
    start[i + 1] = at;
  }
  return { rows: d.rows, width: d.width, start, column, value };
}

function sparseDot(x: SparseRows, i: number, w: Float64Array): number {
  const { column, value } = x;
  let s = 0;
  for (let k = x.start[i]!, end = x.start[i + 1]!; k < end; k++) s += w[column[k]!]! * value[k]!;
  return s;
}

function sparseAxpy(x: SparseRows, i: number, scale: number, target: Float64Array): void {
  const { column, value } = x;
  for (let k = x.start[i]!, end = x.start[i + 1]!; k < end; k++) target[column[k]!]! += scale * value[k]!;
}

/**
 * Primal ½‖w‖² + C Σ qᵢ(w·xᵢ)² for the smooth squared losses, minimized from w = 0 by liblinear's trust
 * region Newton method (tron.ts), as scikit-learn's dual=False (what dual='auto' picks when there are
 * more rows than features) runs it: its Hessian is I + 2C Σ over the rows with qᵢ ≠ 0 of xᵢxᵢᵀ.
 */
function primalSquared(x: SparseRows, c: number, residual: SquaredResidual, eps: number, maxIter: number): Float64Array {
  const q = new Float64Array(x.rows);
  const active = new Int32Array(x.rows);
  let activeCount = 0;
  const objective: TronObjective = {
    size: x.width,
    value(w) {
      let f = 0;
      for (let j = 0; j < x.width; j++) f += w[j]! * w[j]!;
      f /= 2;
      for (let i = 0; i < x.rows; i++) {
        const qi = residual(i, sparseDot(x, i, w));
        q[i] = qi;
        f += c * qi * qi;
      }
      return f;
    },
    gradient(w, g) {
      g.fill(0);
      activeCount = 0;
      for (let i = 0; i < x.rows; i++) {
        if (q[i] === 0) continue;
        active[activeCount++] = i;
        sparseAxpy(x, i, c * q[i]!, g);
      }
      for (let j = 0; j < x.width; j++) g[j] = w[j]! + 2 * g[j]!;
    },
    hessianTimes(s, out) {
      out.fill(0);
      for (let k = 0; k < activeCount; k++) {
        const i = active[k]!;
        sparseAxpy(x, i, c * sparseDot(x, i, s), out);
      }
      for (let j = 0; j < x.width; j++) out[j] = s[j]! + 2 * out[j]!;
    },
  };
  return minimizeTron(objective, eps, maxIter).w;
}

/** liblinear's solve_l2r_l1l2_svc for the hinge loss: dual coordinate descent with shrinking; labels ±1. */
function dualHinge(d: Design, labels: Float64Array, c: number, tol: number, maxIter: number, random: () => number): Float64Array {
  const { rows } = d;
  const w = new Float64Array(d.width);
  const alpha = new Float64Array(rows);
  const qd = squaredRowNorms(d);
  const index = Int32Array.from({ length: rows }, (_, i) => i);
  let activeSize = rows;
  let pgMaxOld = Infinity;
  let pgMinOld = -Infinity;
  for (let iteration = 0; iteration < maxIter; iteration++) {
    let pgMax = -Infinity;
    let pgMin = Infinity;
    shuffleInPlace(index.subarray(0, activeSize), random);
    for (let s = 0; s < activeSize; s++) {
      const i = index[s]!;
      const g = labels[i]! * rowDot(d, i, w) - 1;
      let pg = 0;
      if (alpha[i] === 0) {
        if (g > pgMaxOld) {
          activeSize--;
          [index[s], index[activeSize]] = [index[activeSize]!, index[s]!];
          s--;
          continue;
        }
        if (g < 0) pg = g;
      } else if (alpha[i] === c) {
        if (g < pgMinOld) {
          activeSize--;
          [index[s], index[activeSize]] = [index[activeSize]!, index[s]!];
          s--;
          continue;
        }
        if (g > 0) pg = g;
      } else {
        pg = g;
      }
      pgMax = Math.max(pgMax, pg);
      pgMin = Math.min(pgMin, pg);
      if (Math.abs(pg) > 1e-12 && qd[i]! > 0) {
        const old = alpha[i]!;
        alpha[i] = Math.min(Math.max(old - g / qd[i]!, 0), c);
        addRow(d, i, (alpha[i]! - old) * labels[i]!, w);
      }
    }
    if (pgMax - pgMin <= tol) {
      if (activeSize === rows) break;
      activeSize = rows;
      pgMaxOld = Infinity;
      pgMinOld = -Infinity;
      continue;
    }
    pgMaxOld = pgMax <= 0 ? Infinity : pgMax;
    pgMinOld = pgMin >= 0 ? -Infinity : pgMin;
  }
  return w;
}

/** liblinear's solve_l2r_l1l2_svr for the epsilon_insensitive loss: dual coordinate descent, β ∈ [−C, C]. */
function dualEpsilonInsensitive(d: Design, y: Float64Array, c: number, epsilon: number, tol: number, maxIter: number, random: () => number): Float64Array {
  const { rows } = d;
  const w = new Float64Array(d.width);
  const beta = new Float64Array(rows);
  const qd = squaredRowNorms(d);
  const index = Int32Array.from({ length: rows }, (_, i) => i);
  let activeSize = rows;
  let gMaxOld = Infinity;
  let gNorm1Init = -1;
  for (let iteration = 0; iteration < maxIter; iteration++) {
    let gMax = 0;
    let gNorm1 = 0;
    shuffleInPlace(index.subarray(0, activeSize), random);
    for (let s = 0; s < activeSize; s++) {
      const i = index[s]!;
      const g = -y[i]! + rowDot(d, i, w);
      const gp = g + epsilon;
      const gn = g - epsilon;
      let violation = 0;
      const shrink = () => {
        activeSize--;
        [index[s], index[activeSize]] = [index[activeSize]!, index[s]!];
        s--;
      };
      if (beta[i] === 0) {
        if (gp < 0) violation = -gp;
        else if (gn > 0) violation = gn;
        else if (gp > gMaxOld && gn < -gMaxOld) {
          shrink();
          continue;
        }
      } else if (beta[i]! >= c) {
        if (gp > 0) violation = gp;
        else if (gp < -gMaxOld) {
          shrink();
          continue;
        }
      } else if (beta[i]! <= -c) {
        if (gn < 0) violation = -gn;
        else if (gn > gMaxOld) {
          shrink();
          continue;
        }
      } else {
        violation = beta[i]! > 0 ? Math.abs(gp) : Math.abs(gn);
      }
      gMax = Math.max(gMax, violation);
      gNorm1 += violation;
      const h = qd[i]!;
      if (h <= 0) continue;
      let step: number;
      if (gp < h * beta[i]!) step = -gp / h;
      else if (gn > h * beta[i]!) step = -gn / h;
      else step = -beta[i]!;
      if (Math.abs(step) < 1e-12) continue;
      const old = beta[i]!;
      beta[i] = Math.min(Math.max(old + step, -c), c);
      addRow(d, i, beta[i]! - old, w);
    }
    if (iteration === 0) gNorm1Init = gNorm1;
    if (gNorm1 <= tol * gNorm1Init) {
      if (activeSize === rows) break;
      activeSize = rows;
      gMaxOld = Infinity;
      continue;
    }
    gMaxOld = gMax;
  }
  return w;
}

interface SvmSettings {
  c: number;
  tol: number;
  maxIter: number;
  bias: number | undefined;
  seed: number;
  random: () => number;
}

function settings(hp: Record<string, unknown>): SvmSettings {
  choiceParam(ALGORITHM, hp, 'penalty', 'l2', ['l2']);
  choiceParam(ALGORITHM, hp, 'multi_class', 'ovr', ['ovr']);
  const dual = hp.dual;
  if (dual !== undefined && dual !== null && dual !== 'auto' && typeof dual !== 'boolean' && dual !== 'true' && dual !== 'false') {
    throw invalidParam(ALGORITHM, 'dual', "true, false or 'auto'", dual);
  }
  const fitIntercept = boolParam(ALGORITHM, hp, 'fit_intercept', true);
  const seed = seedParam(ALGORITHM, hp);
  return {
    c: rangeParam(ALGORITHM, hp, 'C', 1, { min: 0, exclusiveMin: true }),
    tol: rangeParam(ALGORITHM, hp, 'tol', 1e-4, { min: 0, exclusiveMin: true }),
    maxIter: intParam(ALGORITHM, hp, 'max_iter', 1000),
    bias: fitIntercept ? rangeParam(ALGORITHM, hp, 'intercept_scaling', 1, { min: 0, exclusiveMin: true }) : undefined,
    seed,
    random: seededRandom(seed),
  };
}

/** liblinear's primal_solver_tol for a ±1 problem: tol scaled by the smaller class's share of the rows. */
function primalClassifierTolerance(tol: number, labels: Float64Array): number {
  let positive = 0;
  for (const label of labels) if (label > 0) positive++;
  return (tol * Math.max(Math.min(positive, labels.length - positive), 1)) / labels.length;
}

/** Splits liblinear's weight vector into sklearn's coef_ and intercept_ (bias weight × intercept_scaling). */
function split(w: Float64Array, cols: number, bias: number | undefined): { coef: number[]; intercept: number } {
  return { coef: Array.from(w.subarray(0, cols)), intercept: bias === undefined ? 0 : w[cols]! * bias };
}

/** Row order class by class (0, 1, ...), each class's rows in their original order: liblinear's group_classes. */
function classOrder(y: Float32Array, numClasses: number): Int32Array {
  const order = new Int32Array(y.length);
  let at = 0;
  for (let k = 0; k < numClasses; k++) for (let r = 0; r < y.length; r++) if (y[r] === k) order[at++] = r;
  return order;
}

function identityOrder(rows: number): Int32Array {
  return Int32Array.from({ length: rows }, (_, i) => i);
}

/** What trained a model: its coefficients and the runtime that computed them. */
interface Fitted extends LinearCoefficients {
  runtime: Runtime;
}

/**
 * Whether liblinear trains: it is loaded, not pinned away, and can take these settings (its solvers
 * stop at a fixed 1000 iterations, so another max_iter stays with the port).
 */
function liblinearCanTrain(s: SvmSettings): boolean {
  return process.env.PGML_LINEAR_SVM_RUNTIME !== 'js' && s.maxIter === LIBLINEAR_MAX_ITER && liblinearStatus().status === 'loaded';
}

function everyClassPresent(y: Float32Array, numClasses: number): boolean {
  const seen = new Uint8Array(numClasses);
  for (const v of y) seen[v] = 1;
  return seen.every((v) => v === 1);
}

/**
 * liblinear's multi-class training, one-vs-rest, from class indices in rows grouped by class (0, 1, ...):
 * its labels are then 0, 1, ... and its group_classes keeps that order, as scikit-learn's patched copy
 * (which sorts labels) does. With two classes its one function is for its first label (class 0);
 * get_decfun_coef's second function, the negation, is scikit-learn's (class 1 positive).
 */
function liblinearClassifier(data: Dataset, y: Float32Array, numClasses: number, s: SvmSettings, loss: string): LinearCoefficients {
  const model = trainLiblinear(
    { x: data.x, rows: data.rows, cols: data.cols, order: classOrder(y, numClasses), y, bias: s.bias },
    { solver: loss === 'squared_hinge' ? L2R_L2LOSS_SVC : L2R_L1LOSS_SVC_DUAL, c: s.c, eps: s.tol, p: 0, seed: s.seed },
  );
  const functionOf = (k: number): number => {
    const at = model.labels.indexOf(k);
    if (at < 0) throw new Error(`liblinear returned labels ${model.labels.join(', ')} for ${numClasses} classes`);
    return at;
  };
  const classes = numClasses === 2 ? [1] : Array.from({ length: numClasses }, (_, k) => k);
  return { coef: classes.map((k) => model.coef[functionOf(k)]!), intercept: classes.map((k) => model.intercept[functionOf(k)]!) };
}

function fitClassifier(data: Dataset, hp: Record<string, unknown>, numClasses: number): Fitted {
  const y = requireLabels(ALGORITHM, data);
  const s = settings(hp);
  const loss = choiceParam(ALGORITHM, hp, 'loss', 'squared_hinge', ['squared_hinge', 'hinge']);
  if (liblinearCanTrain(s) && everyClassPresent(y, numClasses)) {
    return { ...liblinearClassifier(data, y, numClasses, s, loss), runtime: 'native' };
  }
  const d = design(data.x, data.rows, data.cols, s.bias);
  // liblinear's Newton solver sums over the rows grouped by class (group_classes): on unscaled data the
  // order of those sums steers its path, and so where its stopping rule leaves the weights.
  const order = loss === 'squared_hinge' ? classOrder(y, numClasses) : undefined;
  const rows = order && sparseRows(d, order);
  const model: Fitted = { coef: [], intercept: [], runtime: 'js' };
  // Two classes: one model, class 1 positive; more: one per class against the rest.
  for (let k = numClasses === 2 ? 1 : 0; k < numClasses; k++) {
    const labels = order ? Float64Array.from(order, (r) => (y[r] === k ? 1 : -1)) : Float64Array.from(y, (v) => (v === k ? 1 : -1));
    const w = rows
      ? primalSquared(rows, s.c, (i, p) => (labels[i]! * p < 1 ? p - labels[i]! : 0), primalClassifierTolerance(s.tol, labels), s.maxIter)
      : dualHinge(d, labels, s.c, s.tol, s.maxIter, s.random);
    const { coef, intercept } = split(w, data.cols, s.bias);
    model.coef.push(coef);
    model.intercept.push(intercept);
  }
  return model;
}

function fitRegressor(data: Dataset, hp: Record<string, unknown>): Fitted {
  const y = Float64Array.from(requireLabels(ALGORITHM, data));
  const s = settings(hp);
  const loss = choiceParam(ALGORITHM, hp, 'loss', 'epsilon_insensitive', ['epsilon_insensitive', 'squared_epsilon_insensitive']);
  const epsilon = rangeParam(ALGORITHM, hp, 'epsilon', 0, { min: 0 });
  if (liblinearCanTrain(s)) {
    const model = trainLiblinear(
      { x: data.x, rows: data.rows, cols: data.cols, order: identityOrder(data.rows), y, bias: s.bias },
      { solver: loss === 'epsilon_insensitive' ? L2R_L1LOSS_SVR_DUAL : L2R_L2LOSS_SVR, c: s.c, eps: s.tol, p: epsilon, seed: s.seed },
    );
    return { coef: model.coef, intercept: model.intercept, runtime: 'native' };
  }
  const d = design(data.x, data.rows, data.cols, s.bias);
  const w = loss === 'epsilon_insensitive'
    ? dualEpsilonInsensitive(d, y, s.c, epsilon, s.tol, s.maxIter, s.random)
    : primalSquared(sparseRows(d, identityOrder(d.rows)), s.c, (i, p) => {
        const excess = p - y[i]!;
        return excess > epsilon ? excess - epsilon : excess < -epsilon ? excess + epsilon : 0;
      }, s.tol, s.maxIter);
  const { coef, intercept } = split(w, data.cols, s.bias);
  return { coef: [coef], intercept: [intercept], runtime: 'js' };
}

interface LinearSvmState extends LinearCoefficients {
  algorithm: typeof ALGORITHM;
  /** Absent in models saved before liblinear was used: those were the port's. */
  runtime?: Runtime;
  task: 'classification' | 'regression';
  cols: number;
  numClasses: number;
}

class LinearSvmEngine implements Engine {
  readonly algorithm = ALGORITHM;
  constructor(private state?: LinearSvmState) {}

  get runtime(): Runtime {
    return this.state?.runtime ?? 'js';
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    const task = requireTask(ALGORITHM, options, ['classification', 'regression']);
    requireFinite(ALGORITHM, data.x);
    if (task === 'classification') {
      const numClasses = requireNumClasses(ALGORITHM, options);
      this.state = { ...fitClassifier(data, options.hyperparams, numClasses), algorithm: ALGORITHM, task, cols: data.cols, numClasses };
    } else {
      this.state = { ...fitRegressor(data, options.hyperparams), algorithm: ALGORITHM, task: 'regression', cols: data.cols, numClasses: 0 };
    }
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    const decision = linearPredict(state, x, rows, state.cols);
    if (state.task === 'regression') return Float32Array.from(decision);
    if (state.numClasses === 2) return Float32Array.from(decision, (v) => (v > 0 ? 1 : 0));
    return argmaxRows(decision, rows, state.numClasses);
  }

  async predictProba(): Promise<Float32Array> {
    throw new PgError(SqlState.FeatureNotSupported, 'linear_svm does not produce probabilities', {
      hint: "scikit-learn's LinearSVC has no predict_proba either",
    });
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): LinearSvmState {
    if (!this.state) throw notFitted(ALGORITHM);
    return this.state;
  }
}

/** Said when the TypeScript port trained without the user pinning it (PGML_LINEAR_SVM_RUNTIME=js). */
function portNotice(): string {
  // Asked on the main thread: with liblinear loaded here, the engine thread either could not load it
  // (its log line says why) or was given what liblinear cannot take.
  const why = liblinearStatus().status === 'loaded'
    ? `liblinear 2.3 stops its solvers at a fixed ${LIBLINEAR_MAX_ITER} iterations (max_iter) and needs training rows of every class`
      + ' (or the engine thread could not load it: see the proxy\'s log)'
    : describeLiblinear();
  return `${ALGORITHM} trained by pgml-proxy's TypeScript port of liblinear, not by liblinear itself: ${why}`;
}

export const linearSvmFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: ['classification', 'regression'],
  hyperparams: HYPERPARAMS,
  create: () => new LinearSvmEngine(),
  runtimeNotice: (ran) => (ran === 'native' || process.env.PGML_LINEAR_SVM_RUNTIME === 'js' ? undefined : portNotice()),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    const state = decodeState<LinearSvmState>(FORMAT, ALGORITHM, bytes);
    return new LinearSvmEngine(state);
  },
};
