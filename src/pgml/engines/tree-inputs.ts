/**
 * The CART core's views of the training data (tree.ts): features presorted once per ensemble, x by
 * column, one-hot targets as classes, and each row's rank in the presorted order.
 */

/** Rows ordered by each feature's value, cols × rows: computed once per ensemble, shared by its trees. */
export function presortFeatures(x: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows * cols);
  const order = Array.from({ length: rows }, (_, i) => i);
  for (let c = 0; c < cols; c++) {
    order.sort((a, b) => x[a * cols + c]! - x[b * cols + c]! || a - b);
    out.set(order, c * rows);
  }
  return out;
}

/**
 * x by feature, cols × rows. The split search reads one feature of many rows: in row-major x each read
 * is a cache miss on large tables, in a column it stays within a few hundred kilobytes.
 */
export function columnMajor(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  }
  return out;
}

/**
 * Each row's class when the targets are one-hot rows (classification), else undefined. Adding a row's
 * weight to its class's sum is then exactly what adding w × t over every output does (w × 0 adds +0).
 */
export function oneHotClasses(targets: Float64Array, rows: number, outputs: number): Int32Array | undefined {
  if (outputs < 2) return undefined;
  const classes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let ones = 0;
    for (let k = 0; k < outputs; k++) {
      const t = targets[r * outputs + k]!;
      if (t === 1) {
        ones++;
        classes[r] = k;
      } else if (t !== 0) {
        return undefined;
      }
    }
    if (ones !== 1) return undefined;
  }
  return classes;
}

/** Each row's position in each feature's presorted order, cols × rows; kept while that presort lives. */
const rankCache = new WeakMap<Int32Array, Int32Array>();

export function ranksOf(presorted: Int32Array, rows: number, cols: number): Int32Array {
  let ranks = rankCache.get(presorted);
  if (ranks) return ranks;
  ranks = new Int32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < rows; i++) ranks[c * rows + presorted[c * rows + i]!] = i;
  }
  rankCache.set(presorted, ranks);
  return ranks;
}

export function integers(values: Float64Array): boolean {
  return values.every((v) => Number.isInteger(v));
}
