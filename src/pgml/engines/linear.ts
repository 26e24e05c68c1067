/**
 * The linear family, named and parameterised as PostgresML maps it onto scikit-learn:
 * `linear` → LinearRegression / LogisticRegression, `ridge` → Ridge / RidgeClassifier,
 * `lasso` → Lasso, `elastic_net` → ElasticNet (regression only, as in PostgresML).
 */
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  argmaxRows, boolParam, checkPredictShape, choiceParam, decodeState, encodeModel, intParam, notFitted,
  rangeParam, requireFinite, requireNumClasses, requireTask,
} from './engine-support.js';
import { elasticNet, leastSquares, linearPredict, ridge, type LinearCoefficients } from './linear-solvers.js';
import { fitLogistic, logisticProba } from './logistic.js';

type Kind = 'regression' | 'logistic' | 'ridge_classifier';

interface LinearState extends LinearCoefficients {
  algorithm: string;
  kind: Kind;
  cols: number;
  numClasses: number;
}

interface Spec {
  algorithm: 'linear' | 'ridge' | 'lasso' | 'elastic_net';
  tasks: readonly Task[];
  hyperparams: readonly string[];
}

const SPECS: Record<Spec['algorithm'], Spec> = {
  linear: { algorithm: 'linear', tasks: ['regression', 'classification'], hyperparams: ['fit_intercept', 'C', 'penalty', 'max_iter', 'tol'] },
  ridge: { algorithm: 'ridge', tasks: ['regression', 'classification'], hyperparams: ['alpha', 'fit_intercept'] },
  lasso: { algorithm: 'lasso', tasks: ['regression'], hyperparams: ['alpha', 'fit_intercept', 'max_iter', 'tol'] },
  elastic_net: { algorithm: 'elastic_net', tasks: ['regression'], hyperparams: ['alpha', 'l1_ratio', 'fit_intercept', 'max_iter', 'tol'] },
};

const FORMAT = 'pgml-proxy/linear';

class LinearEngine implements Engine {
  readonly runtime = 'js' as const;
  private state: LinearState | undefined;

  constructor(private readonly spec: Spec, state?: LinearState) {
    this.state = state;
  }

  get algorithm(): string {
    return this.spec.algorithm;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { algorithm } = this.spec;
    checkHyperparamNames(algorithm, options.hyperparams, this.spec.hyperparams);
    const task = requireTask(algorithm, options, this.spec.tasks);
    requireFinite(algorithm, data.x);
    const { x, rows, cols } = data;
    const y = data.y;
    const yCols = data.yCols ?? 1;
    if (!y || y.length !== rows * yCols) {
      throw new PgError(SqlState.InvalidParameterValue, `${algorithm} needs one label per training row`);
    }
    const hp = options.hyperparams;
    const fitIntercept = boolParam(algorithm, hp, 'fit_intercept', true);

    if (task === 'classification') {
      if (yCols !== 1) throw new PgError(SqlState.FeatureNotSupported, `${algorithm} classification takes one label column`);
      const numClasses = requireNumClasses(algorithm, options);
      if (algorithm === 'ridge') {
        const targets = ridgeClassifierTargets(y, rows, numClasses);
        const alpha = rangeParam(algorithm, hp, 'alpha', 1.0, { min: 0 });
        const model = ridge(x, rows, cols, targets, numClasses === 2 ? 1 : numClasses, alpha, fitIntercept);
        this.state = { ...model, algorithm, kind: 'ridge_classifier', cols, numClasses };
        return;
      }
      const penalty = choiceParam(algorithm, hp, 'penalty', 'l2', ['l2', 'none']);
      const c = penalty === 'none' ? Infinity : rangeParam(algorithm, hp, 'C', 1.0, { min: 0, exclusiveMin: true });
      const { model } = fitLogistic(x, rows, cols, y, numClasses, {
        c,
        fitIntercept,
        maxIter: intParam(algorithm, hp, 'max_iter', 100),
        tol: rangeParam(algorithm, hp, 'tol', 1e-4, { min: 0 }),
      });
      this.state = { ...model, algorithm, kind: 'logistic', cols };
      return;
    }

    let model: LinearCoefficients;
    if (algorithm === 'linear') {
      model = leastSquares(x, rows, cols, Float64Array.from(y), yCols, fitIntercept);
    } else if (algorithm === 'ridge') {
      model = ridge(x, rows, cols, Float64Array.from(y), yCols, rangeParam(algorithm, hp, 'alpha', 1.0, { min: 0 }), fitIntercept);
    } else {
      const cdOptions = {
        alpha: rangeParam(algorithm, hp, 'alpha', 1.0, { min: 0 }),
        l1Ratio: algorithm === 'lasso' ? 1 : rangeParam(algorithm, hp, 'l1_ratio', 0.5, { min: 0, max: 1 }),
        fitIntercept,
        maxIter: intParam(algorithm, hp, 'max_iter', 1000),
        tol: rangeParam(algorithm, hp, 'tol', 1e-4, { min: 0 }),
      };
      // sklearn fits each output of a joint target independently; so do we.
      model = { coef: [], intercept: [] };
      for (let o = 0; o < yCols; o++) {
        const column = new Float64Array(rows);
        for (let r = 0; r < rows; r++) column[r] = y[r * yCols + o]!;
        const fitted = elasticNet(x, rows, cols, column, cdOptions);
        model.coef.push(fitted.coef[0]!);
        model.intercept.push(fitted.intercept[0]!);
      }
    }
    this.state = { ...model, algorithm, kind: 'regression', cols, numClasses: 0 };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(state.algorithm, x, rows, state.cols);
    switch (state.kind) {
      case 'regression':
        return Float32Array.from(linearPredict(state, x, rows, state.cols));
      case 'logistic':
        return argmaxRows(logisticProba(state, x, rows, state.cols), rows, state.numClasses);
      case 'ridge_classifier': {
        const decision = linearPredict(state, x, rows, state.cols);
        if (state.numClasses > 2) return argmaxRows(decision, rows, state.numClasses);
        return Float32Array.from(decision, (d) => (d > 0 ? 1 : 0));
      }
    }
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(state.algorithm, x, rows, state.cols);
    if (state.kind !== 'logistic') {
      // RidgeClassifier and regressors have no probability model in scikit-learn either.
      throw new PgError(SqlState.FeatureNotSupported, `${state.algorithm} ${state.kind === 'regression' ? 'regression' : 'classification'} does not produce probabilities`);
    }
    return logisticProba(state, x, rows, state.cols);
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): LinearState {
    if (!this.state) throw notFitted(this.spec.algorithm);
    return this.state;
  }
}

/** RidgeClassifier regresses on ±1 targets: one column for two classes, one per class otherwise. */
function ridgeClassifierTargets(y: Float32Array, rows: number, numClasses: number): Float64Array {
  const outputs = numClasses === 2 ? 1 : numClasses;
  const targets = new Float64Array(rows * outputs).fill(-1);
  for (let r = 0; r < rows; r++) {
    if (outputs === 1) targets[r] = y[r] === 1 ? 1 : -1;
    else targets[r * outputs + y[r]!] = 1;
  }
  return targets;
}

function factory(spec: Spec): EngineFactory {
  return {
    algorithm: spec.algorithm,
    tasks: spec.tasks,
    hyperparams: spec.hyperparams,
    create: () => new LinearEngine(spec),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      const state = decodeState<LinearState>(FORMAT, spec.algorithm, bytes);
      return new LinearEngine(spec, state);
    },
  };
}

export const linearFactory = factory(SPECS.linear);
export const ridgeFactory = factory(SPECS.ridge);
export const lassoFactory = factory(SPECS.lasso);
export const elasticNetFactory = factory(SPECS.elastic_net);
