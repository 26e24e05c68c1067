import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distanceTable, InterleavedRows, writeKernelMatrix } from '../../../../src/pgml/engines/libsvm/precomputed.js';
import { tableExp } from '../../../../src/pgml/engines/table-exp.js';

/** A deterministic matrix: integers 0 … 16 (as digits'), or fractions. */
function rowsOf(rows: number, cols: number, integers: boolean): Float64Array {
  return Float64Array.from({ length: rows * cols }, (_, i) => {
    const wave = (Math.sin(i * 12.9898) * 43758.5453) % 1;
    return integers ? Math.floor(Math.abs(wave) * 17) : wave * 3;
  });
}

/** upstream's kernel_rbf with its dot product summed in feature order. */
function upstreamRbf(x: Float64Array, cols: number, i: number, j: number, gamma: number): number {
  let si = 0;
  let sj = 0;
  let dot = 0;
  for (let c = 0; c < cols; c++) {
    si += x[i * cols + c]! * x[i * cols + c]!;
    sj += x[j * cols + c]! * x[j * cols + c]!;
    dot += x[i * cols + c]! * x[j * cols + c]!;
  }
  return tableExp(-gamma * (si + sj - 2 * dot));
}

describe('writeKernelMatrix (native libsvm\'s precomputed rbf rows)', () => {
  for (const integers of [true, false]) {
    it(`writes each row's serial number and kernel values where upstream reads them (${integers ? 'integer features: by squared distance' : 'fractions'})`, () => {
      // 75 rows: three bands of 32, the last one short and odd
      const rows = 75;
      const cols = 9;
      const gamma = integers ? 0.0021 : 0.17;
      const x = rowsOf(rows, cols, integers);
      const layout = new InterleavedRows(rows);
      const values = new Float64Array(layout.doubles).fill(-1);
      writeKernelMatrix(values, layout, x, cols, gamma);
      for (let i = 0; i < rows; i++) {
        assert.equal(values[layout.slot(i, 0)], i + 1, `serial number of row ${i}`);
        for (let j = 0; j < rows; j++) {
          const value = values[layout.slot(i, j + 1)]!;
          if (i === j) assert.equal(value, 1, `K(${i}, ${i})`);
          // integer features: BLAS's sums are exact, so the very doubles of upstream's formula
          else if (integers) assert.equal(value, upstreamRbf(x, cols, i, j, gamma), `K(${i}, ${j})`);
          else assert.equal(Math.fround(value), Math.fround(upstreamRbf(x, cols, i, j, gamma)), `K(${i}, ${j})`);
        }
      }
    });
  }

  it('looks exp up by squared distance only where the table stays small', () => {
    assert.equal(distanceTable(Float64Array.of(0, 64 * 256, 5))?.length, 4 * 64 * 256 + 1, 'digits: 64 pixels of 16 at most');
    assert.ok(distanceTable(Float64Array.of(0, 16385, 5)) === undefined, 'a table of more than 2^16 + 1 distances');
  });
});
