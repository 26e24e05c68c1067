// Without a BLAS (PGML_BLAS_LIB naming a file that does not exist) the linear family computes XᵀX and
// Xᵀy with its JavaScript loops, says so in the start-up line, and still fits as scikit-learn does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { loadSplit, sklearn, sklearnAvailable } from './sklearn-reference.js';

// Before the first load: each test file runs in its own process, and the BLAS is loaded once per thread.
const MISSING = '/nonexistent/pgml-proxy-test/libopenblas.so.0';
process.env.PGML_BLAS_LIB = MISSING;
const { blasStatus, describeBlas, gram, gramJs, lapackSymmetricEigen, leastSquaresLapack, xTy, xTyFloat32, xTyJs, centredProductsFloat32 } = await import('../../../../src/pgml/engines/blas.js');
const { getLocalEngineFactory } = await import('../../../../src/pgml/engines/registry.js');
const { centreRows } = await import('../../../../src/pgml/engines/linear-regressor.js');
const { centreColumnMajor } = await import('../../../../src/pgml/engines/linear-solvers.js');
const { assertCentredColumnMajor, CENTRED_SHAPES } = await import('../../../support/centred-column-major.js');
const { fitLogistic } = await import('../../../../src/pgml/engines/logistic.js');

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const diabetes = loadSplit('diabetes');

/** The users of gram and xTy (and xTyFloat32), each against its scikit-learn estimator (tolerances as linear-estimators.test.ts). */
const CASES: [string, string, Record<string, unknown>, number][] = [
  ['least_angle', 'linear_model.Lars', {}, 1e-4],
  ['lasso_least_angle', 'linear_model.LassoLars', { alpha: 0.01 }, 1e-4],
  ['orthogonal_matching_pursuit', 'linear_model.OrthogonalMatchingPursuit', { n_nonzero_coefs: 5 }, 1e-4],
  ['automatic_relevance_determination', 'linear_model.ARDRegression', {}, 1e-3],
  // Without LAPACK, the eigendecomposition of XᵀX is the JavaScript Jacobi rotations'.
  ['bayesian_ridge', 'linear_model.BayesianRidge', {}, 1e-4],
  // Without LAPACK, least squares runs the JavaScript Householder solve; ridge's products the loops.
  ['linear', 'linear_model.LinearRegression', {}, 1e-6],
  ['ridge', 'linear_model.Ridge', { alpha: 0.5 }, 1e-6],
  // Without LAPACK, the kernel estimators factor, solve and invert with the JavaScript loops.
  ['kernel_ridge', 'kernel_ridge.KernelRidge', {}, 1e-4],
  ['gaussian_process', 'gaussian_process.GaussianProcessRegressor', { alpha: 1, normalize_y: true }, 1e-4],
  // The duality gap at w = 0 from Xᵀy in JavaScript: past it (the defaults), and ending there (alpha 1000).
  ['lasso', 'linear_model.Lasso', {}, 1e-4],
  ['elastic_net', 'linear_model.ElasticNet', { alpha: 1000 }, 1e-6],
  // ransac's batched trial predictions (weightsTimesRowsFloat32) as JavaScript sums: numpy's subsets, sklearn's consensus set.
  ['ransac', 'linear_model.RANSACRegressor', { random_state: 0 }, 1e-4],
  ['ransac', 'linear_model.RANSACRegressor', { random_state: 1, min_samples: 40, stop_n_inliers: 150 }, 1e-4],
  // huber's predictions and gradient as JavaScript products over the float64 blocks. L-BFGS stops on
  // gtol short of the optimum, where the sums' order moves a prediction by ~1e-3 (row 62: 1.1e-3 here).
  ['huber', 'linear_model.HuberRegressor', { max_iter: 1000 }, 2e-3],
];

describe('without a BLAS', () => {
  it('the start-up line says the explicit path failed and that the products run in JavaScript', () => {
    assert.equal(blasStatus().status, 'failed');
    const line = describeBlas();
    assert.ok(line.includes(MISSING), line);
    assert.match(line, /BLAS was found but failed to load: .*PGML_BLAS_LIB.*XᵀX and Xᵀy run in JavaScript/);
  });

  it('gram and xTy are the JavaScript loops, bit for bit', () => {
    const { train } = loadSplit('diabetes');
    const x = Float64Array.from(train.x);
    const y = Float64Array.from(train.y!);
    assert.deepEqual(gram(x, train.rows, train.cols), gramJs(x, train.rows, train.cols));
    assert.deepEqual(xTy(x, train.rows, train.cols, y), xTyJs(x, train.rows, train.cols, y));
    assert.deepEqual(xTyFloat32(train.x, train.rows, train.cols, y), xTyJs(x, train.rows, train.cols, y));
    // Centred block by block, summed in the same row order: one centred copy's products, bit for bit.
    const centred = centreRows({ x: train.x, rows: train.rows, cols: train.cols, y, outputs: 1 }, true);
    const blocked = centredProductsFloat32(train.x, train.rows, train.cols, centred.xMean, [centred.y]);
    assert.deepEqual(blocked.gram, gramJs(centred.x, train.rows, train.cols));
    assert.deepEqual(blocked.xTargets[0], xTyJs(centred.x, train.rows, train.cols, centred.y));
  });

  it("least squares' column-major centred X and y are centreRows' bit for bit, the means summed in row order", () => {
    for (const shape of CENTRED_SHAPES) for (const fitIntercept of [true, false]) assertCentredColumnMajor(centreRows, centreColumnMajor, shape, fitIntercept);
  });

  it('LAPACK\'s least squares and eigendecomposition are absent, so the callers solve in JavaScript', () => {
    assert.equal(leastSquaresLapack(new Float64Array(4), 2, 2, new Float64Array(2), 1, 1e-12), undefined);
    assert.equal(lapackSymmetricEigen(Float64Array.of(2, 1, 1, 2), 2), undefined);
  });

  describe('the estimators built on them predict as scikit-learn on diabetes', { skip: skipReason }, () => {
    const reference = skipReason
      ? undefined
      : sklearn(Object.fromEntries(CASES.map(([, estimator, params], i) => [`case${i}`, { split: diabetes, estimator, params }])));
    CASES.forEach(([algorithm, estimator, hyperparams, tolerance], i) => {
      it(`${algorithm} ${JSON.stringify(hyperparams)} = ${estimator}`, async () => {
        const engine = getLocalEngineFactory(algorithm).create();
        await engine.fit(diabetes.train, { task: 'regression', hyperparams });
        const predicted = await engine.predict(diabetes.test.x, diabetes.test.rows);
        const expected = reference![`case${i}`]!.predict!;
        predicted.forEach((v, r) => assert.ok(Math.abs(v - expected[r]!) <= tolerance * Math.max(1, Math.abs(expected[r]!)), `row ${r}: ${v} vs ${expected[r]}`));
      });
    });
  });

  it("logistic regression fits as scikit-learn's with the JavaScript products (test/fixtures/logistic.json)", () => {
    const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/logistic.json', import.meta.url), 'utf8')) as {
      logistic: { dataset: string; params: Record<string, unknown>; n_iter: number; nfev: number; coef: number[][]; intercept: number[] }[];
    };
    for (const dataset of ['digits', 'iris']) {
      const expected = fixture.logistic.find((c) => c.dataset === dataset && Object.keys(c.params).length === 0)!;
      const split = loadSplit(dataset, { testSampling: 'last' });
      const fit = fitLogistic(split.train.x, split.train.rows, split.train.cols, split.train.y!, split.numClasses, { c: 1, fitIntercept: true, maxIter: 100, tol: 1e-4 });
      assert.equal(fit.iterations, expected.n_iter);
      assert.equal(fit.evaluations, expected.nfev);
      const scale = Math.max(...expected.coef.flat().map(Math.abs));
      fit.model.coef.forEach((row, o) => row.forEach((v, c) => assert.ok(Math.abs(v - expected.coef[o]![c]!) <= 1e-4 * scale, `${dataset} coef[${o}][${c}]: ${v} vs ${expected.coef[o]![c]}`)));
      fit.model.intercept.forEach((v, o) => assert.ok(Math.abs(v - expected.intercept[o]!) <= 1e-4 * Math.max(1, scale), `${dataset} intercept[${o}]`));
    }
  });
});
