// pca against scikit-learn 1.9's PCA on iris (test/fixtures/pca.json, made by scripts/make-pca-fixture.py): the
// same solver choice ('covariance_eigh' for 150 × 4, 'full' SVD for 30 × 4), components with svd_flip's signs,
// explained variance ratios, and the transform.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pcaFactory, usesCovarianceEigh } from '../../../../src/pgml/engines/pca.js';

interface PcaCase {
  rows: number;
  cols: number;
  n_components: number;
  solver: string;
  x: number[];
  components: number[][];
  explained_variance_ratio: number[];
  transform: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/pca.json', import.meta.url), 'utf8')) as { cases: Record<string, PcaCase> };

const near = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

describe('pca as scikit-learn PCA (svd_solver auto)', () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name}: ${c.solver}, components, signs, variance ratios and transform`, async () => {
      assert.equal(usesCovarianceEigh(c.rows, c.cols), c.solver === 'covariance_eigh');
      const x = Float32Array.from(c.x);
      const engine = pcaFactory.create();
      await engine.fit({ x, rows: c.rows, cols: c.cols }, { task: 'decomposition', hyperparams: { n_components: c.n_components } });
      const state = (engine as unknown as { state: { components: number[][] } }).state;
      assert.equal(state.components.length, c.components.length);
      state.components.forEach((component, k) => component.forEach((v, j) => near(v, c.components[k]![j]!, 1e-9, `component ${k}[${j}]`)));
      const ratios = (engine as unknown as { explainedVarianceRatio: number[] }).explainedVarianceRatio;
      assert.equal(ratios.length, c.explained_variance_ratio.length);
      ratios.forEach((r, k) => near(r, c.explained_variance_ratio[k]!, 1e-12, `ratio ${k}`));
      const projected = await engine.predict(x.subarray(0, 12 * c.cols), 12);
      // Float32 output: agreement to float32's rounding.
      c.transform.flat().forEach((v, i) => near(projected[i]!, v, 1e-6, `transform ${i}`));
    });
  }

  it("picks sklearn's solver by shape", () => {
    assert.equal(usesCovarianceEigh(150, 4), true);
    assert.equal(usesCovarianceEigh(39, 4), false);
    assert.equal(usesCovarianceEigh(40, 4), true);
    assert.equal(usesCovarianceEigh(20_000, 1001), false);
  });
});
