/**
 * The engine shell shared by scikit-learn's linear regressors that are fitted by their own solver
 * (bayesian_ridge, automatic_relevance_determination, huber, quantile, least_angle, lasso_least_angle,
 * orthogonal_matching_pursuit, linear_svm regression, ransac, theil_sen): each estimator file supplies
 * its fit, this file checks the input, keeps the coefficients, predicts X·wᵀ + b and stores the model.
 * Joint targets are accepted only where scikit-learn's estimator is natively multi-output.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions } from './engine.js';
import {
  checkPredictShape, decodeState, encodeModel, notFitted, requireFinite, requireTask,
} from './engine-support.js';
import { linearPredict, type LinearCoefficients, type RegressionRows } from './linear-solvers.js';

// The estimators built on this shell take their centring helpers from here; they live beside the solvers.
export { centreRows, outputColumn, type CentredRows, type RegressionRows } from './linear-solvers.js';

export interface LinearRegressorSpec {
  algorithm: string;
  hyperparams: readonly string[];
  /** scikit-learn fits several targets at once (MultiOutputMixin); otherwise train_joint is refused. */
  multiOutput: boolean;
  fit(data: RegressionRows, hyperparams: Record<string, unknown>): LinearCoefficients | Promise<LinearCoefficients>;
}

interface LinearRegressorState extends LinearCoefficients {
  algorithm: string;
  cols: number;
}

const FORMAT = 'pgml-proxy/linear-regressor';

class LinearRegressorEngine implements Engine {
  readonly runtime = 'js' as const;

  constructor(private readonly spec: LinearRegressorSpec, private state?: LinearRegressorState) {}

  get algorithm(): string {
    return this.spec.algorithm;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { algorithm } = this.spec;
    checkHyperparamNames(algorithm, options.hyperparams, this.spec.hyperparams);
    requireTask(algorithm, options, ['regression']);
    requireFinite(algorithm, data.x);
    const outputs = data.yCols ?? 1;
    if (!data.y || data.y.length !== data.rows * outputs) {
      throw new PgError(SqlState.InvalidParameterValue, `${algorithm} needs one label per training row`);
    }
    if (outputs > 1 && !this.spec.multiOutput) {
      throw new PgError(SqlState.FeatureNotSupported, `${algorithm} supports a single label column only`, {
        hint: "scikit-learn's estimator fits one target; train one project per target",
      });
    }
    const model = await this.spec.fit({ x: data.x, rows: data.rows, cols: data.cols, y: Float64Array.from(data.y), outputs }, options.hyperparams);
    this.state = { algorithm, cols: data.cols, coef: model.coef, intercept: model.intercept };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(state.algorithm, x, rows, state.cols);
    return Float32Array.from(linearPredict(state, x, rows, state.cols));
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): LinearRegressorState {
    if (!this.state) throw notFitted(this.spec.algorithm);
    return this.state;
  }
}

export function linearRegressorFactory(spec: LinearRegressorSpec): EngineFactory {
  return {
    algorithm: spec.algorithm,
    tasks: ['regression'],
    hyperparams: spec.hyperparams,
    create: () => new LinearRegressorEngine(spec),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      const state = decodeState<LinearRegressorState>(FORMAT, spec.algorithm, bytes);
      return new LinearRegressorEngine(spec, state);
    },
  };
}

/** The intercept that goes with weights fitted on centred data: ȳ − x̄·w. */
export function interceptFor(w: ArrayLike<number>, xMean: Float64Array, yMean: number): number {
  let b = yMean;
  for (let c = 0; c < xMean.length; c++) b -= xMean[c]! * w[c]!;
  return b;
}
