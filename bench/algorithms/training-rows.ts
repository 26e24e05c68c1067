// The training rows the in-process benches fit: the first 75% of a dataset's CSV (label last), as
// bench/algorithms splits them. `dataset` names a repository CSV (datasets/<name>.csv) or is a path
// ending in .csv (a synthetic table written out, say).
import { readFileSync } from 'node:fs';

export interface TrainingRows {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  cols: number;
  /** Distinct labels over the whole file (classification). */
  numClasses: number;
}

export function loadTrainingRows(dataset: string): TrainingRows {
  const file = dataset.endsWith('.csv') ? dataset : new URL(`../../datasets/${dataset}.csv`, import.meta.url);
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const values = lines.map((line) => line.split(',').map(Number));
  const rows = Math.floor(values.length * 0.75);
  const cols = values[0]!.length - 1;
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  values.slice(0, rows).forEach((v, r) => {
    x.set(v.slice(0, cols), r * cols);
    y[r] = v[cols]!;
  });
  return { x, y, rows, cols, numClasses: new Set(values.map((v) => v[cols])).size };
}
