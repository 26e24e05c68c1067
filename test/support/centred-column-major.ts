// centreColumnMajor (least squares' X and y for LAPACK) against what it replaces, columnMajor(centreRows(...)):
// the same doubles, bit for bit, with and without an intercept, over shapes that cross FLOAT32_BLOCK_ROWS
// (1024 rows) with every column count modulo 4 and under four, the cases columnMeansFloat32 treats apart.
import assert from 'node:assert/strict';

interface Data {
  x: Float32Array;
  rows: number;
  cols: number;
  y: Float64Array;
  outputs: number;
}
interface Centred {
  x: Float64Array;
  y: Float64Array;
  xMean: Float64Array;
  yMean: Float64Array;
}

export const CENTRED_SHAPES: [rows: number, cols: number, outputs: number][] = [
  [3000, 30, 1], [2500, 7, 2], [2049, 8, 1], [1500, 5, 3], [1100, 4, 1], [3000, 3, 1], [1300, 2, 1], [1025, 1, 2], [700, 6, 1], [5, 3, 1],
];

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

export function assertCentredColumnMajor(
  centreRows: (data: Data, fitIntercept: boolean) => Centred,
  centreColumnMajor: (data: Data, fitIntercept: boolean) => Centred,
  [rows, cols, outputs]: [number, number, number],
  fitIntercept: boolean,
  /** false under a BLAS kernel whose dgemv sums X's columns in another order (Prescott's): the means then only agree to rounding. */
  exactMeans = true,
): void {
  const next = seeded(rows * 31 + cols);
  // Means far from zero, values that are not multiples of them: a mean or a subtraction off by one rounding shows.
  const x = Float32Array.from({ length: rows * cols }, (_, i) => next() * 300 + 1000 * ((i % cols) - 2) + 0.1);
  const y = Float64Array.from({ length: rows * outputs }, () => next() * 50 + 7.3);
  const data = { x, rows, cols, y, outputs };
  const expected = centreRows(data, fitIntercept);
  const actual = centreColumnMajor(data, fitIntercept);
  assert.deepEqual(actual.yMean, expected.yMean, 'y means');
  if (exactMeans) assert.deepEqual(actual.xMean, expected.xMean, 'X means');
  else actual.xMean.forEach((m, c) => assert.ok(Math.abs(m - expected.xMean[c]!) <= 1e-12 * Math.abs(expected.xMean[c]!), `X mean ${c}: ${m} vs ${expected.xMean[c]}`));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Centred on its own means, exactly: x − mean in double, as centreRows subtracts.
      const want = exactMeans ? expected.x[r * cols + c]! : x[r * cols + c]! - (fitIntercept ? actual.xMean[c]! : 0);
      assert.ok(Object.is(actual.x[c * rows + r], want), `x row ${r} column ${c}`);
    }
    for (let o = 0; o < outputs; o++) assert.ok(Object.is(actual.y[o * rows + r], expected.y[r * outputs + o]), `y row ${r} output ${o}`);
  }
}
