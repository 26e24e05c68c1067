/**
 * libsvm's problem setups, training and prediction as scikit-learn's fork has them
 * (sklearn/svm/src/libsvm/svm.cpp): solve_c_svc, solve_nu_svc, solve_epsilon_svr, solve_nu_svr,
 * svm_train_one, svm_train (classes sorted by label, one-vs-one over every pair of classes, support
 * vectors in class order), svm_binary_svc_probability (the probability estimates' internal 5-fold
 * cross-validation), svm_predict_values and svm_predict_probability. Every sample weight is 1
 * (scikit-learn's default), so its W[i] factors are left out (multiplying by 1.0 changes no double).
 */
import { KernelStore, kFunction, swap, SvcQ, SvrQ, type KernelParams } from './kernel.js';
import { probabilitiesFromDecisions, sigmoidTrain } from './probability.js';
import { LibsvmRandom } from './random.js';
import { SolverNu } from './solver-nu.js';
import { cMin, Solver, type SolutionInfo } from './solver.js';

export type SvmType = 'c_svc' | 'nu_svc' | 'epsilon_svr' | 'nu_svr';

export interface SvmParams extends KernelParams {
  type: SvmType;
  C: number;
  nu: number;
  /** epsilon-SVR's epsilon (libsvm's p). */
  epsilon: number;
  /** Stopping tolerance (libsvm's eps, scikit-learn's tol). */
  tol: number;
  shrinking: boolean;
  /** MB of kernel cache. */
  cacheSize: number;
  /** -1: no limit. */
  maxIter: number;
  /** Fit Platt's sigmoid per pair of classes on 5-fold cross-validated decision values (classification). */
  probability?: boolean;
  /** libsvm's random_seed (scikit-learn draws it from random_state): set_seed at every svm_train. */
  randomSeed?: number;
}

/** The rows: row-major doubles, `rows` × `cols`. */
export interface Problem {
  x: Float64Array;
  y: Float64Array;
  rows: number;
  cols: number;
  /**
   * The rows of `x` that are the problem's rows (a probability fold's rows of its training), with the
   * training's kernel store; without it, the problem is x's rows in order and makes its own store.
   */
  subset?: { index: Int32Array; store: LazyStore };
}

/**
 * The training's kernel store (kernel.ts), made when a solver of the port first asks for it: where every
 * solver runs on native libsvm (nu-SVC's pairs, the probability folds) nothing reads it, and its rows²
 * floats (7.3 MB on digits) only brought V8's next full collection nearer (BENCHMARKS.md, svm9).
 */
class LazyStore {
  private made = false;
  private store: KernelStore | undefined;

  constructor(private readonly rows: number, private readonly bytes: number) {}

  get(): KernelStore | undefined {
    if (!this.made) this.store = KernelStore.within(this.rows, this.bytes);
    this.made = true;
    return this.store;
  }
}

/** svm_model, with support vectors as indices into the training rows (scikit-learn's support_). */
export interface SvmModel {
  /** Sorted class labels (classification), empty for regression. */
  labels: number[];
  /** Support vectors per class (classification), empty for regression. */
  nSV: number[];
  support: Int32Array;
  /** nr_class − 1 rows of coefficients over the support vectors (scikit-learn's _dual_coef_). */
  svCoef: Float64Array[];
  /** One per binary problem; scikit-learn's _intercept_ is −rho. */
  rho: Float64Array;
  /** Solver iterations per binary problem (scikit-learn's n_iter_). */
  iterations: number[];
  /** Some solver stopped at max_iter (scikit-learn's ConvergenceWarning). */
  timedOut: boolean;
  /** Platt's sigmoid per binary problem (probability=true; scikit-learn's probA_ and probB_). */
  probA?: Float64Array;
  probB?: Float64Array;
  /** Trained by upstream libsvm, which gives a two-class model's sigmoid without pairwise coupling. */
  upstream?: boolean;
}

interface DecisionFunction {
  alpha: Float64Array;
  rho: number;
  info: Pick<SolutionInfo, 'iterations' | 'timedOut'>;
}

/**
 * svm_train without probabilities on another solver (upstream libsvm: ./native.ts's nativeSvmTrain)
 * for `rows` rows of x named by `index`, labels by position: the same model the port would train, or
 * undefined where that solver cannot give it (the port trains that problem then).
 */
export type ClassifierTrainer = (
  x: Float64Array, y: Float64Array, rows: number, cols: number, params: SvmParams, index: Int32Array,
) => SvmModel | undefined;

function cacheBytes(params: SvmParams): number {
  return Math.trunc(params.cacheSize * (1 << 20));
}

/** What is left of cache_size for libsvm's column cache beside a kernel store (its columns are copies). */
function columnCacheBytes(params: SvmParams, store: KernelStore | undefined): number {
  return cacheBytes(params) - (store ? store.values.byteLength : 0);
}

/**
 * A binary problem (or a regression) over some rows of the training rows `x`: `rows` maps the
 * problem's positions to rows of `x`, `y` holds the labels by position; `store` is the training's
 * shared kernel values, if it has one.
 */
interface SubProblem {
  x: Float64Array;
  rows: Int32Array;
  y: Float64Array;
  dim: number;
  store: LazyStore;
}

/** solve_c_svc. */
function solveCSvc({ x, rows, y, dim, store: lazy }: SubProblem, params: SvmParams, Cp: number, Cn: number): DecisionFunction {
  const store = lazy.get();
  const l = rows.length;
  const alpha = new Float64Array(l);
  const minusOnes = new Float64Array(l).fill(-1);
  const signs = new Int8Array(l);
  const C = new Float64Array(l);
  for (let i = 0; i < l; i++) {
    signs[i] = y[i]! > 0 ? 1 : -1;
    C[i] = y[i]! > 0 ? Cp : Cn;
  }
  const Q = new SvcQ(x, rows, dim, params, signs, columnCacheBytes(params, store), store);
  const info = new Solver().solve(l, Q, minusOnes, signs, alpha, C, params.tol, params.shrinking, params.maxIter);
  for (let i = 0; i < l; i++) alpha[i] = alpha[i]! * signs[i]!;
  return { alpha, rho: info.rho, info };
}

/** solve_nu_svc: alpha starts at nu·l/2 spread over each class, and the solution is scaled by 1/r. */
function solveNuSvc({ x, rows, y, dim, store: lazy }: SubProblem, params: SvmParams): DecisionFunction {
  const store = lazy.get();
  const l = rows.length;
  const signs = new Int8Array(l);
  const C = new Float64Array(l).fill(1);
  for (let i = 0; i < l; i++) signs[i] = y[i]! > 0 ? 1 : -1;
  let nuL = 0;
  for (let i = 0; i < l; i++) nuL += params.nu * C[i]!;
  let sumPos = nuL / 2;
  let sumNeg = nuL / 2;
  const alpha = new Float64Array(l);
  for (let i = 0; i < l; i++) {
    if (signs[i] === 1) {
      alpha[i] = cMin(C[i]!, sumPos);
      sumPos -= alpha[i]!;
    } else {
      alpha[i] = cMin(C[i]!, sumNeg);
      sumNeg -= alpha[i]!;
    }
  }
  const Q = new SvcQ(x, rows, dim, params, signs, columnCacheBytes(params, store), store);
  const info = new SolverNu().solve(l, Q, new Float64Array(l), signs, alpha, C, params.tol, params.shrinking, params.maxIter);
  const r = info.r;
  for (let i = 0; i < l; i++) alpha[i] = alpha[i]! * (signs[i]! / r);
  return { alpha, rho: info.rho / r, info };
}

/** solve_epsilon_svr: 2l variables (α, α*), linear term epsilon ∓ y. */
function solveEpsilonSvr({ x, rows, y, dim, store: lazy }: SubProblem, params: SvmParams): DecisionFunction {
  const store = lazy.get();
  const l = rows.length;
  const alpha2 = new Float64Array(2 * l);
  const linear = new Float64Array(2 * l);
  const signs = new Int8Array(2 * l);
  const C = new Float64Array(2 * l).fill(params.C);
  for (let i = 0; i < l; i++) {
    linear[i] = params.epsilon - y[i]!;
    signs[i] = 1;
    linear[i + l] = params.epsilon + y[i]!;
    signs[i + l] = -1;
  }
  const Q = new SvrQ(x, rows, dim, params, columnCacheBytes(params, store), store);
  const info = new Solver().solve(2 * l, Q, linear, signs, alpha2, C, params.tol, params.shrinking, params.maxIter);
  const alpha = new Float64Array(l);
  for (let i = 0; i < l; i++) alpha[i] = alpha2[i]! - alpha2[i + l]!;
  return { alpha, rho: info.rho, info };
}

/** solve_nu_svr: α and α* start equal, filling C·nu·l/2 in row order. */
function solveNuSvr({ x, rows, y, dim, store: lazy }: SubProblem, params: SvmParams): DecisionFunction {
  const store = lazy.get();
  const l = rows.length;
  const C = new Float64Array(2 * l).fill(params.C);
  const alpha2 = new Float64Array(2 * l);
  const linear = new Float64Array(2 * l);
  const signs = new Int8Array(2 * l);
  let sum = 0;
  for (let i = 0; i < l; i++) sum += C[i]! * params.nu;
  sum /= 2;
  for (let i = 0; i < l; i++) {
    alpha2[i] = alpha2[i + l] = cMin(sum, C[i]!);
    sum -= alpha2[i]!;
    linear[i] = -y[i]!;
    signs[i] = 1;
    linear[i + l] = y[i]!;
    signs[i + l] = -1;
  }
  const Q = new SvrQ(x, rows, dim, params, columnCacheBytes(params, store), store);
  const info = new SolverNu().solve(2 * l, Q, linear, signs, alpha2, C, params.tol, params.shrinking, params.maxIter);
  const alpha = new Float64Array(l);
  for (let i = 0; i < l; i++) alpha[i] = alpha2[i]! - alpha2[i + l]!;
  return { alpha, rho: info.rho, info };
}

/** svm_train_one for a binary problem (labels > 0 are the positive class). */
function trainOne(problem: SubProblem, params: SvmParams, Cp: number, Cn: number): DecisionFunction {
  switch (params.type) {
    case 'c_svc':
      return solveCSvc(problem, params, Cp, Cn);
    case 'nu_svc':
      return solveNuSvc(problem, params);
    case 'epsilon_svr':
      return solveEpsilonSvr(problem, params);
    case 'nu_svr':
      return solveNuSvr(problem, params);
  }
}

/**
 * svm_train. `random` is the fork's one generator: the probability folds' own svm_train calls reseed
 * it, so every pair of classes after the first shuffles from the seed's first draws again. With
 * `solver`, a classifier's machines and its probability folds' trainings run there, and only the
 * fork's own part (the seeded folds, Platt's sigmoids) here: upstream libsvm has no random_state.
 */
export function svmTrain(problem: Problem, params: SvmParams, random = new LibsvmRandom(), solver?: ClassifierTrainer): SvmModel {
  const { x, y, rows: l, cols: dim } = problem;
  if (params.randomSeed !== undefined) random.seed(params.randomSeed);
  const { index, store } = problem.subset ?? {
    index: identity(l),
    store: new LazyStore(l, cacheBytes(params)),
  };
  if (params.type === 'epsilon_svr' || params.type === 'nu_svr') {
    const f = trainOne({ x, rows: index, y, dim, store }, params, 0, 0);
    const support: number[] = [];
    const coef: number[] = [];
    for (let i = 0; i < l; i++) {
      if (Math.abs(f.alpha[i]!) > 0) {
        support.push(i);
        coef.push(f.alpha[i]!);
      }
    }
    return {
      labels: [], nSV: [], support: Int32Array.from(support), svCoef: [Float64Array.from(coef)],
      rho: Float64Array.of(f.rho), iterations: [f.info.iterations], timedOut: f.info.timedOut,
    };
  }
  return trainClassifier(problem, index, store, params, random, solver);
}

/** 0, 1, …, l − 1. */
export function identity(l: number): Int32Array {
  const index = new Int32Array(l);
  for (let i = 0; i < l; i++) index[i] = i;
  return index;
}

/**
 * svm_check_parameter's nu-SVC feasibility: every pair of classes must hold nu·(n_i + n_j)/2 ≤
 * min(n_i, n_j). Returns the first pair of labels that does not, or undefined.
 */
export function infeasibleNuPair(y: ArrayLike<number>, nu: number): [number, number] | undefined {
  const labels: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const label = Math.trunc(y[i]!);
    const c = labels.indexOf(label);
    if (c === -1) {
      labels.push(label);
      count.push(1);
    } else count[c] = count[c]! + 1;
  }
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      if ((nu * (count[i]! + count[j]!)) / 2 > cMin(count[i]!, count[j]!)) return [labels[i]!, labels[j]!];
    }
  }
  return undefined;
}

/** svm_group_classes as scikit-learn changed it: labels sorted, rows grouped by class in row order. */
function groupClasses(y: Float64Array, l: number): { labels: number[]; start: number[]; count: number[]; perm: Int32Array } {
  const labels = [...new Set(Array.from(y, (v) => Math.trunc(v)))].sort((a, b) => a - b);
  const classOf = new Map(labels.map((label, c) => [label, c]));
  const count = labels.map(() => 0);
  for (let i = 0; i < l; i++) {
    const c = classOf.get(Math.trunc(y[i]!))!;
    count[c] = count[c]! + 1;
  }
  const start = [0];
  for (let c = 1; c < labels.length; c++) start.push(start[c - 1]! + count[c - 1]!);
  const next = [...start];
  const perm = new Int32Array(l);
  for (let i = 0; i < l; i++) perm[next[classOf.get(Math.trunc(y[i]!))!]!++] = i;
  return { labels, start, count, perm };
}

/** svm_train's classification branch: one binary machine per pair of classes (i < j, i positive). */
function trainClassifier(
  problem: Problem, index: Int32Array, store: LazyStore, params: SvmParams, random: LibsvmRandom,
  solver: ClassifierTrainer | undefined,
): SvmModel {
  const { x, y, rows: l, cols: dim } = problem;
  const { labels, start, count, perm } = groupClasses(y, l);
  const k = labels.length;
  const nonzero = new Uint8Array(l);
  const machines: DecisionFunction[] = [];
  const probA: number[] = [];
  const probB: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const ci = count[i]!;
      const cj = count[j]!;
      const rows = new Int32Array(ci + cj);
      for (let t = 0; t < ci; t++) rows[t] = index[perm[start[i]! + t]!]!;
      for (let t = 0; t < cj; t++) rows[ci + t] = index[perm[start[j]! + t]!]!;
      const subY = new Float64Array(ci + cj).fill(1, 0, ci).fill(-1, ci);
      const pair: SubProblem = { x, rows, y: subY, dim, store };
      if (params.probability) {
        const [A, B] = binarySvcProbability(pair, params, random, solver);
        probA.push(A);
        probB.push(B);
      }
      const f = (solver && trainPairOn(solver, pair, params)) ?? trainOne(pair, params, params.C, params.C);
      for (let t = 0; t < ci; t++) if (Math.abs(f.alpha[t]!) > 0) nonzero[start[i]! + t] = 1;
      for (let t = 0; t < cj; t++) if (Math.abs(f.alpha[ci + t]!) > 0) nonzero[start[j]! + t] = 1;
      machines.push(f);
    }
  }
  const nSV = labels.map((_, c) => {
    let n = 0;
    for (let t = 0; t < count[c]!; t++) n += nonzero[start[c]! + t]!;
    return n;
  });
  const support: number[] = [];
  for (let i = 0; i < l; i++) if (nonzero[i]) support.push(perm[i]!);
  const nzStart = [0];
  for (let c = 1; c < k; c++) nzStart.push(nzStart[c - 1]! + nSV[c - 1]!);
  const svCoef = Array.from({ length: k - 1 }, () => new Float64Array(support.length));
  let p = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      // machine (i, j): coefficients of class i's vectors go to row j − 1, class j's to row i
      const f = machines[p++]!;
      let q = nzStart[i]!;
      for (let t = 0; t < count[i]!; t++) if (nonzero[start[i]! + t]) svCoef[j - 1]![q++] = f.alpha[t]!;
      q = nzStart[j]!;
      for (let t = 0; t < count[j]!; t++) if (nonzero[start[j]! + t]) svCoef[i]![q++] = f.alpha[count[i]! + t]!;
    }
  }
  return {
    labels, nSV, support: Int32Array.from(support), svCoef,
    rho: Float64Array.from(machines, (f) => f.rho),
    iterations: machines.map((f) => f.info.iterations),
    timedOut: machines.some((f) => f.info.timedOut),
    ...(params.probability ? { probA: Float64Array.from(probA), probB: Float64Array.from(probB) } : {}),
  };
}

/**
 * svm_binary_svc_probability: decision values for every row of a binary problem (+1/−1 labels) from
 * 5-fold cross-validation over a shuffle, then Platt's sigmoid fitted to them. The folds train with
 * svm_train itself (without probabilities): C is 1 times the class weights Cp = Cn = C, labels sorted
 * so −1 comes first, hence the sign flip.
 */
function binarySvcProbability(
  { x, rows, y, dim, store }: SubProblem, params: SvmParams, random: LibsvmRandom, solver: ClassifierTrainer | undefined,
): [number, number] {
  const l = rows.length;
  const folds = 5;
  const perm = identity(l);
  for (let i = 0; i < l; i++) swap(perm, i, i + random.boundedInt(l - i));
  const decision = new Float64Array(l);
  const subParams: SvmParams = { ...params, probability: false };
  const value = new Float64Array(1);
  for (let fold = 0; fold < folds; fold++) {
    const begin = Math.trunc((fold * l) / folds);
    const end = Math.trunc(((fold + 1) * l) / folds);
    const subL = l - (end - begin);
    const index = new Int32Array(subL);
    const subY = new Float64Array(subL);
    let k = 0;
    let positives = 0;
    const take = (j: number) => {
      index[k] = rows[perm[j]!]!;
      subY[k] = y[perm[j]!]!;
      if (subY[k++]! > 0) positives++;
    };
    for (let j = 0; j < begin; j++) take(j);
    for (let j = end; j < l; j++) take(j);
    const negatives = subL - positives;
    if (positives === 0 || negatives === 0) {
      const constant = positives > 0 ? 1 : negatives > 0 ? -1 : 0;
      for (let j = begin; j < end; j++) decision[perm[j]!] = constant;
      continue;
    }
    const model = (solver && trainFoldOn(solver, x, index, subY, dim, subParams, random))
      ?? svmTrain({ x, y: subY, rows: subL, cols: dim, subset: { index, store } }, subParams, random);
    const sv = supportVectors(x, dim, model.support.map((row) => index[row]!));
    for (let j = begin; j < end; j++) {
      svmPredictValues(model, params, sv, dim, x, rows[perm[j]!]! * dim, value);
      decision[perm[j]!] = value[0]! * model.labels[0]!;
    }
  }
  return sigmoidTrain(l, decision, y);
}

/**
 * svm_train_one for a pair of classes on `solver`: the positive class labelled 0 and so first in the
 * solver's sorted classes, as the machine of classes 0 and 1 takes class 0 as positive. Its
 * coefficients are alpha·y by support vector: back to every row of the pair.
 */
function trainPairOn(solver: ClassifierTrainer, { x, rows, y, dim }: SubProblem, params: SvmParams): DecisionFunction | undefined {
  const model = solver(x, binaryLabels(y, 0, 1), rows.length, dim, params, rows);
  if (!model) return undefined;
  const alpha = new Float64Array(rows.length);
  model.support.forEach((position, t) => (alpha[position] = model.svCoef[0]![t]!));
  // upstream does not report its iterations; without max_iter it never stops early
  return { alpha, rho: model.rho[0]!, info: { iterations: 0, timedOut: false } };
}

/**
 * A probability fold's svm_train on `solver`: the fork's call reseeds the generator first, and sorts
 * the labels −1, +1 (0 and 1 here: upstream would put +1 first when it sees −1 and +1).
 */
function trainFoldOn(
  solver: ClassifierTrainer, x: Float64Array, index: Int32Array, y: Float64Array, dim: number, params: SvmParams, random: LibsvmRandom,
): SvmModel | undefined {
  if (params.randomSeed !== undefined) random.seed(params.randomSeed);
  const model = solver(x, binaryLabels(y, 1, 0), index.length, dim, params, index);
  return model && { ...model, labels: model.labels.map((label) => (label === 0 ? -1 : 1)) };
}

/**
 * `positive` where y > 0, else `negative`, by a loop (Float64Array.from with a map walks an iterator:
 * garbage per label on every pair of a nu-SVC fit; BENCHMARKS.md, svm9).
 */
function binaryLabels(y: Float64Array, positive: number, negative: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i]! > 0 ? positive : negative;
  return out;
}

/** The support vectors' rows of `x`, row-major (libsvm's model->SV). */
export function supportVectors(x: Float64Array, dim: number, support: Int32Array): Float64Array {
  const sv = new Float64Array(support.length * dim);
  support.forEach((row, i) => sv.set(x.subarray(row * dim, (row + 1) * dim), i * dim));
  return sv;
}

/**
 * svm_predict_values for one row of `x` (at offset `at`) against the support vectors (row-major in
 * `sv`): the regression value, or the voted label with each pair's decision value in `decision`.
 */
export function svmPredictValues(
  model: SvmModel, params: KernelParams, sv: Float64Array, dim: number, x: Float64Array, at: number, decision?: Float64Array,
): number {
  const nSupport = model.support.length;
  if (model.labels.length === 0) {
    const coef = model.svCoef[0]!;
    let sum = 0;
    for (let i = 0; i < nSupport; i++) sum += coef[i]! * kFunction(params, x, at, sv, i * dim, dim);
    return sum - model.rho[0]!;
  }
  const k = model.labels.length;
  const kvalue = new Float64Array(nSupport);
  for (let i = 0; i < nSupport; i++) kvalue[i] = kFunction(params, x, at, sv, i * dim, dim);
  const start = [0];
  for (let c = 1; c < k; c++) start.push(start[c - 1]! + model.nSV[c - 1]!);
  const vote = new Int32Array(k);
  let p = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      let sum = 0;
      const coef1 = model.svCoef[j - 1]!;
      const coef2 = model.svCoef[i]!;
      for (let t = 0; t < model.nSV[i]!; t++) sum += coef1[start[i]! + t]! * kvalue[start[i]! + t]!;
      for (let t = 0; t < model.nSV[j]!; t++) sum += coef2[start[j]! + t]! * kvalue[start[j]! + t]!;
      sum -= model.rho[p]!;
      if (decision) decision[p] = sum;
      vote[sum > 0 ? i : j] = vote[sum > 0 ? i : j]! + 1;
      p++;
    }
  }
  let best = 0;
  for (let c = 1; c < k; c++) if (vote[c]! > vote[best]!) best = c;
  return model.labels[best]!;
}

/**
 * svm_predict_probability for one row: the class probabilities into `p` (length labels.length, in
 * label order) from a model trained with probability=true.
 */
export function svmPredictProbability(
  model: SvmModel, params: KernelParams, sv: Float64Array, dim: number, x: Float64Array, at: number, p: Float64Array,
): void {
  const k = model.labels.length;
  const decision = new Float64Array((k * (k - 1)) / 2);
  svmPredictValues(model, params, sv, dim, x, at, decision);
  probabilitiesFromDecisions(k, decision, model.probA!, model.probB!, p, !model.upstream);
}
