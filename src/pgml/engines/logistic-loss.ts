/**
 * scikit-learn's LinearModelLoss.loss_gradient for LogisticRegression's lbfgs solver: the mean of
 * the pointwise losses (HalfBinomialLoss for two classes, one weight vector; HalfMultinomialLoss
 * otherwise, the full softmax with one vector per class, not the centred parametrisation) plus
 * l2/2·‖W‖², the intercepts unpenalised, and its gradient.
 *
 * One evaluation is two matrix products over the rows, X·Wᵀ and then (P − Y)ᵀ·X, as scikit-learn
 * takes them with NumPy's BLAS (blas.ts; JavaScript loops without one), over float64 blocks of the
 * float32 rows (float64-row-blocks.ts): no float64 copy of a large matrix, and every buffer
 * allocated once per fit, none per row or per evaluation.
 *
 * The parameters are one row per output: its `cols` weights, then its intercept (when fitted).
 */
import { addResidualsTimesRows, rowsTimesColumns } from './blas.js';
import { Float64RowBlocks } from './float64-row-blocks.js';
import { tableExp } from './table-exp.js';

export interface LogisticLossOptions {
  /** scikit-learn's l2_reg_strength: 1 / (C · rows); 0 without a penalty. */
  l2: number;
  fitIntercept: boolean;
}

export class LogisticLoss {
  /** Weight rows: 1 for two classes (class 1's log-odds), else one per class. */
  readonly outputs: number;
  /** Distance between two outputs' rows of parameters: cols, and 1 for the intercept when fitted. */
  readonly stride: number;
  private readonly blocks: Float64RowBlocks;
  private readonly scores: Float64Array;
  /** One row's exp(z − max z), multinomial. */
  private readonly exps: Float64Array;
  /** The parameters transposed, stride × outputs: one column an output, as rowsTimesColumns takes them. */
  private readonly columns: Float64Array;

  constructor(
    x: Float32Array,
    private readonly rows: number,
    private readonly cols: number,
    private readonly labels: Float32Array,
    numClasses: number,
    private readonly options: LogisticLossOptions,
    blockOptions: { keepBytes?: number } = {},
  ) {
    this.outputs = numClasses === 2 ? 1 : numClasses;
    this.stride = cols + (options.fitIntercept ? 1 : 0);
    // The intercept rides in the products as a column of ones: X·Wᵀ adds it, Rᵀ·X sums its gradient.
    this.blocks = new Float64RowBlocks(x, rows, cols, { ...blockOptions, ones: options.fitIntercept });
    this.scores = new Float64Array(this.blocks.blockRows * this.outputs);
    this.exps = new Float64Array(this.outputs);
    this.columns = new Float64Array(this.outputs * this.stride);
  }

  /** How many parameters: outputs × stride. */
  get size(): number {
    return this.outputs * this.stride;
  }

  /** Whether the float64 blocks are kept between evaluations (small tables) or refilled each time. */
  get keepsBlocks(): boolean {
    return this.blocks.keeps;
  }

  /** The objective at `theta`; its gradient into `grad`. */
  readonly evaluate = (theta: Float64Array, grad: Float64Array): number => {
    const { outputs, stride, cols, rows, labels, scores, exps, blocks, columns } = this;
    grad.fill(0);
    // One output: its row is its column.
    if (outputs > 1) for (let o = 0; o < outputs; o++) for (let c = 0; c < stride; c++) columns[c * outputs + o] = theta[o * stride + c]!;
    const weights = outputs > 1 ? columns : theta;
    let loss = 0;
    for (let b = 0; b < blocks.count; b++) {
      const block = blocks.block(b);
      const n = blocks.rowsOf(b);
      const raw = outputs * n === scores.length ? scores : scores.subarray(0, outputs * n);
      rowsTimesColumns(block, n, stride, weights, outputs, raw);
      // Each row's loss, and its residual (∂loss/∂score over rows, scikit-learn's grad_pointwise) in place of its scores.
      const start = blocks.start(b);
      loss += outputs === 1 ? binomialRows(raw, labels, start, n, rows) : multinomialRows(raw, labels, start, n, outputs, rows, exps);
      addResidualsTimesRows(raw, n, outputs, block, stride, grad, stride);
    }
    const { l2 } = this.options;
    let squares = 0;
    for (let o = 0; o < outputs; o++) {
      for (let c = 0; c < cols; c++) {
        const w = theta[o * stride + c]!;
        squares += w * w;
        grad[o * stride + c]! += l2 * w;
      }
    }
    return loss / rows + 0.5 * l2 * squares;
  };
}

/**
 * HalfBinomialLoss's loss_gradient (sklearn/_loss/_loss.pyx.tp, closs_grad_half_binomial) for rows
 * start … start + n − 1: the sum of their losses; each score replaced by (σ(z) − y) / rows.
 */
function binomialRows(raw: Float64Array, labels: Float32Array, start: number, n: number, rows: number): number {
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const z = raw[r]!;
    const y = labels[start + r] === 1 ? 1 : 0;
    let gradient: number;
    if (z <= -37) {
      const e = Math.exp(z);
      loss += e - y * z;
      gradient = e - y;
    } else if (z <= -2) {
      const e = Math.exp(z);
      loss += Math.log1p(e) - y * z;
      gradient = ((1 - y) * e - y) / (1 + e);
    } else if (z <= 18) {
      const e = Math.exp(-z);
      loss += Math.log1p(e) + (1 - y) * z;
      gradient = (1 - y - y * e) / (1 + e);
    } else {
      const e = Math.exp(-z);
      loss += e + (1 - y) * z;
      gradient = (1 - y - y * e) / (1 + e);
    }
    raw[r] = gradient / rows;
  }
  return loss;
}

/**
 * HalfMultinomialLoss's loss_gradient for rows start … start + n − 1 (K scores a row): the sum of
 * log Σ exp(z) − z_y, and each score replaced by (softmax(z)_k − [y = k]) / rows.
 */
function multinomialRows(
  raw: Float64Array, labels: Float32Array, start: number, n: number, k: number, rows: number, exps: Float64Array,
): number {
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const offset = r * k;
    let max = raw[offset]!;
    for (let o = 1; o < k; o++) if (max < raw[offset + o]!) max = raw[offset + o]!;
    let sum = 0;
    // tableExp: Math.exp was half of a digits fit (table-exp.ts). The binomial rows keep Math.exp: one a row.
    for (let o = 0; o < k; o++) {
      const e = tableExp(raw[offset + o]! - max);
      exps[o] = e;
      sum += e;
    }
    const label = labels[start + r]!;
    loss += Math.log(sum) + max - raw[offset + label]!;
    for (let o = 0; o < k; o++) {
      raw[offset + o] = (exps[o]! / sum - (o === label ? 1 : 0)) / rows;
    }
  }
  return loss;
}
