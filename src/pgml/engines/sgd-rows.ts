/**
 * The nonzero entries of each row, for the SGD family's row loops (sgd-epochs.ts). Their dot product
 * w·x is a chain of dependent additions (scikit-learn's order, one term a column), so its time is the
 * chain's length: skipping the zero terms shortens it. Digits is half zeros; one-hot features more.
 *
 * Skipping is exact while every weight is finite: a skipped term w·0 is ±0, and adding ±0 to a sum
 * that starts at +0 changes no bit of it. An infinite weight times 0 is NaN, which the full sum
 * carries and the short one would not, so the loops go back to every column for good once a weight
 * is not finite (a diverging fit: its error and model stay the full loop's).
 */

/**
 * Above this share of nonzero entries the lookups cost more than the skipped terms save: on digits
 * (51% nonzero) a row's dot took 50 ns of CPU this way against 70 ns over every column, so a nonzero
 * term costs about 1.4 times a dense one (in-process, V8 12, AMD EPYC, loaded machine).
 */
const MAX_DENSITY = 0.6;

/** x's nonzero entries row by row (compressed sparse rows), in column order. */
export interface SparseRows {
  /** Row r's entries are at start[r] .. start[r + 1] - 1. */
  start: Int32Array;
  columns: Int32Array;
  values: Float32Array;
}

/**
 * The rows' nonzero entries, or undefined when the rows are too dense for skipping zeros to pay.
 *
 * The loops over every value are in a function of their own that reads and writes typed arrays only; the result
 * object is made out here. Optimized code that creates `{ start, ... }` depends on that map's field
 * representations, and the map is shared with every other object literal whose first key is `start` on the thread
 * (histogram-tree.ts's nodes hold numbers there): hist_gradient_boosting's fit generalized the field and V8
 * threw away this function's code with its loops, so the SGD family's next fit ran them in the interpreter while a
 * compiler thread rebuilt them beside it: breast_cancer SGD 1.3–1.5 ms on the thread and 2.0–2.8 ms of compiling
 * against 0.9–1.0 and none (BENCHMARKS.md, tiny17). A typed array's map belongs to the context and never changes.
 */
export function sparseRows(x: Float32Array, rows: number, cols: number): SparseRows | undefined {
  const nonzero = nonzeroEntries(x, rows, cols, NONE, NONE, NO_VALUES);
  if (nonzero > MAX_DENSITY * rows * cols) return undefined;
  const start = new Int32Array(rows + 1);
  const columns = new Int32Array(nonzero);
  const values = new Float32Array(nonzero);
  nonzeroEntries(x, rows, cols, start, columns, values);
  return { start, columns, values };
}

const NONE = new Int32Array(0);
const NO_VALUES = new Float32Array(0);

/**
 * The number of nonzero values; with `start` sized rows + 1 (and columns, values by that number), the entries too,
 * row by row in column order. One function for both: every fit counts, dense or not, so V8 optimizes it during
 * the warm-up, and the warm-up's sparse steps (warm-up.ts) have by then given the filling loop its feedback; a
 * filling loop of its own ran too seldom there and was compiled during a user's first digits fit.
 */
function nonzeroEntries(x: Float32Array, rows: number, cols: number, start: Int32Array, columns: Int32Array, values: Float32Array): number {
  if (start.length === 0) {
    let nonzero = 0;
    for (let i = 0; i < rows * cols; i++) if (x[i] !== 0) nonzero++;
    return nonzero;
  }
  let at = 0;
  for (let r = 0; r < rows; r++) {
    start[r] = at;
    const off = r * cols;
    for (let c = 0; c < cols; c++) {
      if (x[off + c] === 0) continue;
      columns[at] = c;
      values[at++] = x[off + c]!;
    }
  }
  start[rows] = at;
  return at;
}
