import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable } from './sklearn-reference.js';

async function score(algorithm: string, split: ReturnType<typeof loadSplit>, task: 'classification' | 'regression', hyperparams: Record<string, unknown>) {
  const engine = getLocalEngineFactory(algorithm).create();
  await engine.fit(split.train, { task, hyperparams, numClasses: split.numClasses });
  const predicted = await engine.predict(split.test.x, split.test.rows);
  return { engine, value: task === 'classification' ? accuracy(split.test.y!, predicted) : r2(split.test.y!, predicted) };
}

describe('SGD family (plain SGD as scikit-learn)', () => {
  it('perceptron separates linearly separable points', async () => {
    const rows = 60;
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i * 1.7) * 3);
    const y = Float32Array.from({ length: rows }, (_, r) => (x[2 * r]! + x[2 * r + 1]! > 0 ? 1 : 0));
    const engine = getLocalEngineFactory('perceptron').create();
    await engine.fit({ x, rows, cols: 2, y }, { task: 'classification', hyperparams: { random_state: 0, tol: null, max_iter: 200 }, numClasses: 2 });
    assert.equal(accuracy(y, await engine.predict(x, rows)), 1);
  });

  it('log_loss gives probabilities; hinge refuses them with 0A000', async () => {
    const iris = loadSplit('iris');
    const { engine } = await score('stochastic_gradient_descent', iris, 'classification', { loss: 'log_loss', random_state: 0 });
    const proba = await engine.predictProba!(iris.test.x, iris.test.rows);
    for (let r = 0; r < iris.test.rows; r++) assert.ok(Math.abs(proba[3 * r]! + proba[3 * r + 1]! + proba[3 * r + 2]! - 1) < 1e-5);
    const hinge = await score('stochastic_gradient_descent', iris, 'classification', { random_state: 0 });
    await assert.rejects(hinge.engine.predictProba!(iris.test.x, iris.test.rows), (e: { code: string }) => e.code === '0A000');
  });

  it('refuses unknown hyperparameters and a constant rate without eta0', async () => {
    const iris = loadSplit('iris');
    await assert.rejects(score('passive_aggressive', iris, 'classification', { alpha: 1 }), (e: { code: string; hint?: string }) => e.code === '22023' && /C, /.test(e.hint ?? ''));
    await assert.rejects(score('stochastic_gradient_descent', iris, 'classification', { learning_rate: 'constant' }), /eta0/);
  });

  describe('against scikit-learn', { skip: !sklearnAvailable() && 'python3 with scikit-learn not installed' }, () => {
    const diabetes = loadSplit('diabetes');
    const digits = loadSplit('digits');
    const reference = sklearnAvailable()
      ? sklearn({
          sgdDiabetes: { split: diabetes, estimator: 'linear_model.SGDRegressor', params: { random_state: 0 } },
          paDiabetes: { split: diabetes, estimator: 'linear_model.PassiveAggressiveRegressor', params: { random_state: 0 } },
          sgdDigits: { split: digits, estimator: 'linear_model.SGDClassifier', params: { random_state: 0 } },
          perceptronDigits: { split: digits, estimator: 'linear_model.Perceptron', params: { random_state: 0 } },
          paDigits: { split: digits, estimator: 'linear_model.PassiveAggressiveClassifier', params: { random_state: 0 } },
        })
      : undefined;
    // SGD visits rows in a random order: one seed's score varies by a few points on either side, so the
    // classifiers are compared on the mean of three seeds; the regressors converge to the same fit.
    const cases: [string, 'classification' | 'regression', ReturnType<typeof loadSplit>, keyof NonNullable<typeof reference>, number][] = [
      ['stochastic_gradient_descent', 'regression', diabetes, 'sgdDiabetes', 0.02],
      ['passive_aggressive', 'regression', diabetes, 'paDiabetes', 0.05],
      ['stochastic_gradient_descent', 'classification', digits, 'sgdDigits', 0.03],
      ['perceptron', 'classification', digits, 'perceptronDigits', 0.03],
      ['passive_aggressive', 'classification', digits, 'paDigits', 0.03],
    ];
    for (const [algorithm, task, split, key, margin] of cases) {
      it(`${algorithm} ${task} on ${split.name} is within ${margin} of scikit-learn`, async () => {
        const values: number[] = [];
        for (const seed of [1, 2, 3]) values.push((await score(algorithm, split, task, { random_state: seed })).value);
        const ours = values.reduce((a, b) => a + b, 0) / values.length;
        const expected = Float32Array.from(reference![key].predict!);
        const theirs = task === 'classification' ? accuracy(split.test.y!, expected) : r2(split.test.y!, expected);
        assert.ok(ours >= theirs - margin, `ours ${values.join(', ')}, scikit-learn ${theirs}`);
      });
    }
  });
});
