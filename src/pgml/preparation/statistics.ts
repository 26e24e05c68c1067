/**
 * Per-column statistics over the training split, computed as PostgresML's `Column::analyze` does
 * (`orm/snapshot.rs`): NaN (missing) values are counted and left out, the median is the upper
 * middle element, the variance is the population variance, ventiles are 19 cut points, and the
 * mode is the middle candidate among the longest runs. Imputation and scaling read these numbers,
 * and they are stored in the snapshot's `columns` JSON under PostgresML's field names.
 */
import { sortDoubles } from './sort-doubles.js';

export interface Statistics {
  min: number;
  max: number;
  max_abs: number;
  mean: number;
  median: number;
  mode: number;
  variance: number;
  std_dev: number;
  missing: number;
  distinct: number;
  histogram: number[];
  ventiles: number[];
}

const HISTOGRAM_BINS = 20;
const VENTILES = 19;

/**
 * Statistics of the present values; `undefined` when every value is missing. The present values
 * are gathered and sorted in `scratch` (a new array unless given; `values` itself may be passed, it
 * is then overwritten): a caller analyzing many columns reuses one, since a new array per column of a
 * million rows left tens of MB of garbage resident until the thread collected (issue 15).
 */
export function analyze(values: ArrayLike<number>, scratch: Float64Array = new Float64Array(values.length)): Statistics | undefined {
  if (scratch.length < values.length) throw new RangeError(`analyze: scratch of ${scratch.length} for ${values.length} values`);
  const present = scratch;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isNaN(v)) present[n++] = v;
  }
  if (n === 0) return undefined;
  // In the order Float64Array's own sort gives, by a radix sort on large columns (sort-doubles.ts).
  const data = sortDoubles(present.subarray(0, n));

  const min = data[0] as number;
  const max = data[n - 1] as number;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += data[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (mean - (data[i] as number)) * (mean - (data[i] as number));
  const variance = squares / n;

  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  const ventiles = new Array<number>(VENTILES).fill(Number.NaN);
  const ventileSize = n / 20;
  let h = 0;
  let streak = 1;
  let maxStreak = 0;
  let previous = Number.NaN;
  let modes: number[] = [];
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const value = data[i] as number;
    if (value === previous) {
      streak += 1;
    } else if (!Number.isNaN(previous)) {
      if (streak > maxStreak) {
        modes = [previous];
        maxStreak = streak;
      } else if (streak === maxStreak) {
        modes.push(previous);
      }
      streak = 1;
      distinct += 1;
    }
    previous = value;

    while (h < HISTOGRAM_BINS && value >= boundary(min, max, h)) h += 1;
    // value >= min = boundary 0, so h ≥ 1 here.
    histogram[h - 1] = (histogram[h - 1] as number) + 1;

    const v = Math.floor(i / ventileSize);
    if (v < VENTILES) ventiles[v] = value;
  }
  distinct += 1;
  const mode = streak > maxStreak ? previous : (modes[Math.floor(modes.length / 2)] as number);
  // With fewer than 20 values some cut points were never written: repeat the one before.
  for (let i = 1; i < VENTILES; i++) {
    if (Number.isNaN(ventiles[i])) ventiles[i] = ventiles[i - 1] as number;
  }

  return {
    min,
    max,
    max_abs: Math.max(Math.abs(min), Math.abs(max)),
    mean,
    median: data[Math.floor(n / 2)] as number,
    mode,
    variance,
    std_dev: Math.sqrt(variance),
    missing: values.length - n,
    distinct,
    histogram,
    ventiles,
  };
}

function boundary(min: number, max: number, index: number): number {
  return min + ((max - min) * index) / HISTOGRAM_BINS;
}
