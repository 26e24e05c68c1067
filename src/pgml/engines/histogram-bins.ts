/**
 * HistGradientBoosting's binning (scikit-learn's _BinMapper): each feature's thresholds from its
 * training values (midpoints of the distinct values when there are few, else quantiles), then every
 * training value's bin, stored by feature. Sorting and the bin search are done here without a branch
 * on the data (a radix sort of the float32 values, a fixed eight-step search): both were branchy and
 * were most of the binning's time on a 100k-row table.
 */

export interface BinnedData {
  /**
   * cols × rows bin indexes, by feature (sklearn's X_binned is Fortran-ordered too): building a
   * histogram reads one feature's bins at a time. Only the training rows, in the training set's order
   * (sklearn's X_binned_train): the root's histogram reads each feature's bins front to back, and a
   * node's rows, kept in that order, read them forwards.
   */
  bins: Uint8Array;
  rows: number;
  cols: number;
  /** Per feature: upper bound of each bin but the last (x <= thresholds[b] falls in bin b or lower). */
  thresholds: number[][];
}

/** Rows sampled for the quantiles, as sklearn's _BinMapper(subsample=2e5). */
export const BIN_SAMPLE = 200_000;

/**
 * The rows `train` of row-major x, column by column (sklearn bins X_train one column at a time):
 * thresholds and bins then read each feature's values front to back, instead of one value per row.
 */
export function trainingColumns(x: Float32Array, cols: number, train: Int32Array): Float32Array {
  const rows = train.length;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const from = train[i]! * cols;
    for (let c = 0; c < cols; c++) out[c * rows + i] = x[from + c]!;
  }
  return out;
}

/**
 * sklearn's _find_binning_thresholds: midpoints between distinct values when there are few, else the
 * percentiles (numpy's averaged_inverted_cdf, as scikit-learn 1.9) of the column, duplicates dropped.
 * `columns` from trainingColumns; `sample`: the rows _BinMapper subsampled (with replacement) when
 * there are more than BIN_SAMPLE.
 */
export function binThresholds(columns: Float32Array, rows: number, cols: number, maxBins: number, sample: Int32Array | null): number[][] {
  const out: number[][] = [];
  const count = sample ? sample.length : rows;
  const values = new Float64Array(count);
  const picked = sample ? new Float32Array(count) : undefined;
  const sorter = new Float32Sorter(count);
  for (let c = 0; c < cols; c++) {
    const column = columns.subarray(c * rows, (c + 1) * rows);
    if (picked) for (let i = 0; i < count; i++) picked[i] = column[sample![i]!]!;
    sorter.sort(picked ?? column, values);
    let distinct = 0;
    for (let i = 0; i < values.length && distinct <= maxBins; i++) if (i === 0 || values[i] !== values[i - 1]) distinct++;
    if (distinct <= maxBins) {
      const midpoints: number[] = [];
      for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]) midpoints.push((values[i - 1]! + values[i]!) / 2);
      out.push(midpoints);
      continue;
    }
    const thresholds: number[] = [];
    for (let q = 1; q < maxBins; q++) {
      const t = percentileAveragedInvertedCdf(values, q * (100 / maxBins));
      if (thresholds.length === 0 || t > thresholds[thresholds.length - 1]!) thresholds.push(t);
    }
    out.push(thresholds);
  }
  return out;
}

/**
 * numpy's percentile(method='averaged_inverted_cdf') on sorted values, in numpy's floating-point steps
 * (percent from linspace(0, 100, max_bins + 1)): virtual index n·q - 1; the value above it, or the
 * midpoint b - (b - a)·0.5 when the index is whole.
 */
function percentileAveragedInvertedCdf(sorted: Float64Array, percent: number): number {
  const n = sorted.length;
  const virtual = n * (percent / 100) - 1;
  if (virtual >= n - 1) return sorted[n - 1]!;
  if (virtual < 0) return sorted[0]!;
  const previous = Math.floor(virtual);
  const a = sorted[previous]!;
  const b = sorted[previous + 1]!;
  return virtual - previous === 0 ? b - (b - a) * 0.5 : b;
}

/** The bins of trainingColumns' rows, by feature; in a SharedArrayBuffer for a helper thread. */
export function binData(columns: Float32Array, rows: number, cols: number, thresholds: number[][], shared = false): BinnedData {
  const bins = new Uint8Array(shared ? new SharedArrayBuffer(rows * cols) : new ArrayBuffer(rows * cols));
  const bounds = new Float64Array(256);
  for (let c = 0; c < cols; c++) {
    bounds.fill(Infinity);
    bounds.set(thresholds[c]!);
    for (let at = c * rows, end = at + rows; at < end; at++) bins[at] = binOf(bounds, columns[at]!);
  }
  return { bins, rows, cols, thresholds };
}

/**
 * The bin of a value: how many of the (at most 255, sorted) thresholds lie below it, i.e. the first
 * bin whose threshold is >= the value. `bounds` holds the thresholds padded to 256 with +Infinity;
 * eight halvings of a fixed size, each adding its step when the threshold before it is below the value,
 * so no branch depends on the data (a binary search's branches are mispredicted about every other step).
 */
export function binOf(bounds: Float64Array, value: number): number {
  let lo = 0;
  lo += +(bounds[lo + 127]! < value) << 7;
  lo += +(bounds[lo + 63]! < value) << 6;
  lo += +(bounds[lo + 31]! < value) << 5;
  lo += +(bounds[lo + 15]! < value) << 4;
  lo += +(bounds[lo + 7]! < value) << 3;
  lo += +(bounds[lo + 3]! < value) << 2;
  lo += +(bounds[lo + 1]! < value) << 1;
  lo += +(bounds[lo]! < value);
  return lo;
}

/** Values from which a radix sort beats the built-in sort (its three passes over 2,048 counters each cost a fixed ~10,000 steps). */
const RADIX_MIN_VALUES = 2048;
const DIGIT_BITS = 11;
const DIGITS = 1 << DIGIT_BITS;

/**
 * Sorts float32 values into a float64 array, ascending as Float64Array's sort (-0 before +0; finite
 * values only). From RADIX_MIN_VALUES on, a least-significant-digit radix sort of the values' bits,
 * mapped so that unsigned order is numeric order (negatives' bits all flipped, positives' sign bit set):
 * three passes of 11 bits, no comparisons. Buffers are kept for the next sort of the same size.
 */
export class Float32Sorter {
  private readonly keys: Int32Array;
  private readonly spare: Int32Array;
  private readonly counts = new Int32Array(DIGITS);

  constructor(private readonly size: number) {
    this.keys = new Int32Array(size);
    this.spare = new Int32Array(size);
  }

  sort(values: Float32Array, out: Float64Array): void {
    const n = this.size;
    if (n < RADIX_MIN_VALUES) {
      out.set(values);
      out.sort();
      return;
    }
    const bits = new Int32Array(values.buffer, values.byteOffset, n);
    let from = this.keys;
    let to = this.spare;
    // Sign set: all bits flipped; else the sign bit set.
    for (let i = 0; i < n; i++) from[i] = bits[i]! ^ ((bits[i]! >> 31) | 0x80000000);
    const counts = this.counts;
    for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[(from[i]! >>> shift) & (DIGITS - 1)]!++;
      let sum = 0;
      for (let d = 0; d < DIGITS; d++) {
        const c = counts[d]!;
        counts[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const key = from[i]!;
        to[counts[(key >>> shift) & (DIGITS - 1)]!++] = key;
      }
      [from, to] = [to, from];
    }
    // Back to the float's bits: the sign bit set means it was a positive value.
    for (let i = 0; i < n; i++) to[i] = from[i]! ^ (~(from[i]! >> 31) | 0x80000000);
    const sorted = new Float32Array(to.buffer, to.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = sorted[i]!;
  }
}
