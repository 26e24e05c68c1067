/**
 * `mean_shift`: scikit-learn's MeanShift with a flat kernel. Every seed (each training row, or the
 * occupied grid cells with bin_seeding) climbs to the mean of the rows within bandwidth until it moves
 * less than 1e-3·bandwidth (max_iter steps); the resulting modes, strongest first, are kept unless
 * within bandwidth of a stronger one. bandwidth defaults to sklearn's estimate_bandwidth (quantile 0.3:
 * the mean distance to the ⌊0.3·n⌋-th nearest row, the row itself included). Predicts the nearest mode.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Dataset } from './engine.js';
import { boolParam, intParam, rangeParam } from './engine-support.js';
import { clusteringFactory, type CentreModel } from './clustering-support.js';

const ALGORITHM = 'mean_shift';

function distance(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, cols: number): number {
  let s = 0;
  for (let c = 0; c < cols; c++) s += (a[ai * cols + c]! - b[bi * cols + c]!) ** 2;
  return Math.sqrt(s);
}

export function estimateBandwidth(x: Float32Array, rows: number, cols: number, quantile = 0.3): number {
  const neighbours = Math.max(1, Math.floor(rows * quantile));
  const row = new Float64Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) row[j] = distance(x, i, x, j, cols);
    row.sort();
    total += row[neighbours - 1]!;
  }
  return total / rows;
}

/** Occupied cells of a grid of side binSize (at least minBinFreq rows), as points: sklearn's get_bin_seeds. */
function binSeeds(x: Float32Array, rows: number, cols: number, binSize: number, minBinFreq: number): Float64Array | undefined {
  const counts = new Map<string, { cell: number[]; count: number }>();
  for (let r = 0; r < rows; r++) {
    const cell = Array.from({ length: cols }, (_, c) => roundHalfEven(x[r * cols + c]! / binSize));
    const key = cell.join(',');
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { cell, count: 1 });
  }
  const kept = [...counts.values()].filter((e) => e.count >= minBinFreq);
  if (kept.length === rows) return undefined;
  return Float64Array.from(kept.flatMap((e) => e.cell.map((v) => v * binSize)));
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function fit(data: Dataset, hp: Record<string, unknown>): CentreModel {
  const { x, rows, cols } = data;
  const bandwidth = hp.bandwidth === undefined || hp.bandwidth === null
    ? estimateBandwidth(x, rows, cols)
    : rangeParam(ALGORITHM, hp, 'bandwidth', 1, { min: 0, exclusiveMin: true });
  const maxIter = intParam(ALGORITHM, hp, 'max_iter', 300, 0);
  const seeds = boolParam(ALGORITHM, hp, 'bin_seeding', false)
    ? binSeeds(x, rows, cols, bandwidth, intParam(ALGORITHM, hp, 'min_bin_freq', 1)) ?? Float64Array.from(x)
    : Float64Array.from(x);
  boolParam(ALGORITHM, hp, 'cluster_all', true);
  const stop = 1e-3 * bandwidth;
  const modes = new Map<string, { mode: Float64Array; intensity: number }>();
  for (let s = 0; s < seeds.length / cols; s++) {
    let mean = seeds.slice(s * cols, (s + 1) * cols);
    let within = 0;
    for (let iteration = 0; ; iteration++) {
      const next = new Float64Array(cols);
      within = 0;
      for (let r = 0; r < rows; r++) {
        if (distance(x, r, mean, 0, cols) > bandwidth) continue;
        within++;
        for (let c = 0; c < cols; c++) next[c]! += x[r * cols + c]!;
      }
      if (within === 0) break;
      for (let c = 0; c < cols; c++) next[c]! /= within;
      const moved = distance(next, 0, mean, 0, cols);
      mean = next;
      if (moved <= stop || iteration === maxIter) break;
    }
    if (within > 0) modes.set(Array.from(mean).join(','), { mode: mean, intensity: within });
  }
  if (modes.size === 0) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: no seed has a training row within bandwidth ${bandwidth}`, { hint: 'raise bandwidth' });
  }
  // Strongest first; ties by the mode's coordinates, descending, as sklearn sorts (intensity, centre).
  const sorted = [...modes.values()].sort((a, b) => {
    if (a.intensity !== b.intensity) return b.intensity - a.intensity;
    for (let c = 0; c < cols; c++) if (a.mode[c] !== b.mode[c]) return b.mode[c]! - a.mode[c]!;
    return 0;
  });
  const unique = sorted.map(() => true);
  sorted.forEach((candidate, i) => {
    if (!unique[i]) return;
    sorted.forEach((other, j) => {
      if (j !== i && distance(candidate.mode, 0, other.mode, 0, cols) <= bandwidth) unique[j] = false;
    });
  });
  return { centres: sorted.filter((_, i) => unique[i]).flatMap((m) => Array.from(m.mode)) };
}

export const meanShiftFactory = clusteringFactory({
  algorithm: ALGORITHM,
  hyperparams: ['bandwidth', 'bin_seeding', 'min_bin_freq', 'cluster_all', 'max_iter'],
  fit,
});
