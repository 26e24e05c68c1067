// The typed-array numerical cores behind automatic_relevance_determination (pinvh) and theil_sen (the
// square subset solve, numpy's choice without replacement, the spatial median), each against the
// SciPy / NumPy / scikit-learn function it follows, on inputs a python3 script draws when the suite starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { NumpyRandomState } from '../../../../src/pgml/engines/numpy-random.js';
import { pinvh } from '../../../../src/pgml/engines/symmetric-pinv.js';
import { solveSquare, spatialMedian } from '../../../../src/pgml/engines/theil-sen.js';
import { sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';

const SCRIPT = `
import json
import numpy as np
from scipy.linalg import pinvh
from sklearn.linear_model._theil_sen import _spatial_median

rng = np.random.RandomState(42)
out = {'pinvh': [], 'solve': [], 'median': []}
b = rng.normal(size=(6, 6))
full = b @ b.T + 0.1 * np.eye(6)
c = rng.normal(size=(5, 2))
rank_two = c @ c.T
d = np.diag([1e3, 2.0, 1e-20, 5.0])
q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
tiny_eigenvalue = q @ d @ q.T
indefinite = np.array([[2.0, 3.0, 0.5], [3.0, -1.0, 0.0], [0.5, 0.0, 4.0]])
for m in (full, rank_two, tiny_eigenvalue, indefinite):
    out['pinvh'].append({'n': len(m), 'a': m.ravel().tolist(), 'inverse': pinvh(m).ravel().tolist()})
for n in (3, 8, 31):
    a = rng.normal(size=(n, n))
    a[0, 0] = 0.0
    y = rng.normal(size=n)
    out['solve'].append({'n': n, 'a': a.ravel().tolist(), 'b': y.tolist(), 'w': np.linalg.lstsq(a, y, rcond=None)[0].tolist()})
for count, dim in ((300, 4), (2000, 11)):
    points = rng.standard_cauchy(size=(count, dim))
    points[7] = points[3]
    n_iter, median = _spatial_median(points, max_iter=300, tol=1e-3)
    out['median'].append({'count': count, 'dim': dim, 'points': points.ravel().tolist(), 'median': median.tolist()})
state = np.random.RandomState(0)
out['choice'] = [state.choice(331, size=11, replace=False).tolist() for _ in range(3)]
print(json.dumps(out))
`;

interface Reference {
  pinvh: { n: number; a: number[]; inverse: number[] }[];
  solve: { n: number; a: number[]; b: number[]; w: number[] }[];
  median: { count: number; dim: number; points: number[]; median: number[] }[];
  choice: number[][];
}

function reference(): Reference {
  const run = spawnSync('python3', ['-c', SCRIPT], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`reference script failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Reference;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance * scale, `${what}[${i}]: ${actual[i]} against ${expected[i]}`);
  }
}

describe('solver cores follow SciPy, NumPy and scikit-learn', { skip: skipReason }, () => {
  const ref = skipReason ? undefined : reference();

  it('pinvh inverts a positive definite matrix and cuts the null space of singular or indefinite ones as scipy does', () => {
    for (const [i, { n, a, inverse }] of ref!.pinvh.entries()) {
      assertClose(pinvh(Float64Array.from(a), n), inverse, 1e-9, `pinvh case ${i}`);
    }
  });

  it('solveSquare solves as lstsq on a square system that needs pivoting', () => {
    for (const { n, a, b, w } of ref!.solve) {
      const rhs = Float64Array.from(b);
      assert.ok(solveSquare(Float64Array.from(a), rhs, n));
      assertClose(rhs, w, 1e-9, `solve n=${n}`);
    }
    assert.equal(solveSquare(Float64Array.of(1, 2, 2, 4), Float64Array.of(1, 1), 2), false, 'a singular system is refused');
  });

  it("permutationInto draws RandomState.choice(n, k, replace=False)'s subsets", () => {
    const random = new NumpyRandomState(0);
    const buffer = new Int32Array(331);
    for (const expected of ref!.choice) assert.deepEqual(Array.from(random.permutationInto(buffer).subarray(0, 11)), expected);
  });

  it("spatialMedian is sklearn's _spatial_median, a duplicated point included", () => {
    for (const { count, dim, points, median } of ref!.median) {
      const actual = spatialMedian({ values: Float64Array.from(points), count, dim }, 300, 1e-3);
      assertClose(actual, median, 1e-9, `median of ${count} × ${dim}`);
    }
  });
});
