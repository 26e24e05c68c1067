import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { powerOf } from '../../../../src/pgml/engines/sgd-epochs.js';
import { shuffleRows } from '../../../../src/pgml/engines/sgd-shuffle.js';
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

  it("shuffles rows as scikit-learn's SequentialDataset.shuffle (our_rand_r in exact integers)", () => {
    const reference = (order: number[], seed: number): void => {
      let state = BigInt(seed);
      const n = order.length;
      for (let i = 0; i < n - 1; i++) {
        if (state === 0n) state = 1n;
        state ^= (state << 13n) & 0xffffffffn;
        state ^= state >> 17n;
        state ^= (state << 5n) & 0xffffffffn;
        const j = i + Number((state % 0x80000000n) % BigInt(n - i));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    };
    for (const seed of [1, 5, 12345, 2 ** 31 - 2, 987654321]) {
      const expected = Array.from({ length: 1000 }, (_, i) => i);
      const order = Int32Array.from(expected);
      for (let epoch = 0; epoch < 3; epoch++) {
        reference(expected, seed);
        shuffleRows(order, seed);
      }
      assert.deepEqual(Array.from(order), expected, `seed ${seed}`);
    }
  });

  it("invscaling's t ** 0.25 is the correctly rounded fourth root", () => {
    // r = m·2^e is the double nearest t^¼ when t lies between the fourth powers of the midpoints
    // (2m ∓ 1)·2^(e-1) to its neighbours; compared exactly in integers.
    const view = new DataView(new ArrayBuffer(8));
    const isNearest = (t: number, r: number): boolean => {
      view.setFloat64(0, r);
      const bits = view.getBigUint64(0);
      const m = (bits & 0xfffffffffffffn) | 0x10000000000000n;
      const shift = 4n * (1n - (((bits >> 52n) & 0x7ffn) - 1075n));
      const scaled = BigInt(t) << shift;
      return (2n * m - 1n) ** 4n <= scaled && scaled <= (2n * m + 1n) ** 4n;
    };
    const ts = [...Array.from({ length: 5000 }, (_, i) => i + 1), 717, 4729, 1e6 + 7, 123456789, 2 ** 31 - 1];
    for (const t of ts) assert.ok(isNearest(t, powerOf(t, 0.25)), `t = ${t}: ${powerOf(t, 0.25)}`);
    assert.equal(isNearest(717, 717 ** 0.25 + 2 ** -50), false, 'the check tells a wrong root');
    assert.equal(powerOf(10, 0.5), Math.sqrt(10));
    assert.equal(powerOf(10, 0.3), 10 ** 0.3);
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
    const breastCancer = loadSplit('breast_cancer');
    // The reference sees the features rounded to float32 as the engines do: passive-aggressive
    // regression moves by whole units when only the last digits of x differ.
    const reference = sklearnAvailable()
      ? sklearn({
          sgdDiabetes: { split: diabetes, estimator: 'linear_model.SGDRegressor', params: { random_state: 0 }, float32: true },
          paDiabetes: { split: diabetes, estimator: 'linear_model.PassiveAggressiveRegressor', params: { random_state: 0 }, float32: true },
          paDiabetes5: { split: diabetes, estimator: 'linear_model.PassiveAggressiveRegressor', params: { random_state: 5, C: 0.5, epsilon: 2 }, float32: true },
          sgdElasticNet: { split: diabetes, estimator: 'linear_model.SGDRegressor', params: { random_state: 4, penalty: 'elasticnet', alpha: 0.01, l1_ratio: 0.5 }, float32: true },
          sgdDigits: { split: digits, estimator: 'linear_model.SGDClassifier', params: { random_state: 0 }, float32: true },
          perceptronDigits: { split: digits, estimator: 'linear_model.Perceptron', params: { random_state: 0 }, float32: true },
          paDigits: { split: digits, estimator: 'linear_model.PassiveAggressiveClassifier', params: { random_state: 3 }, float32: true },
          paBreastCancer: { split: breastCancer, estimator: 'linear_model.PassiveAggressiveClassifier', params: { random_state: 0 }, float32: true },
        })
      : undefined;
    // The same random_state visits the rows in scikit-learn's order (numpy's seed draws, its xorshift
    // shuffle), so the fit is scikit-learn's: the same classes, values equal to float32 precision.
    const cases: [string, 'classification' | 'regression', ReturnType<typeof loadSplit>, keyof NonNullable<typeof reference>, Record<string, unknown>][] = [
      ['stochastic_gradient_descent', 'regression', diabetes, 'sgdDiabetes', { random_state: 0 }],
      ['passive_aggressive', 'regression', diabetes, 'paDiabetes', { random_state: 0 }],
      ['passive_aggressive', 'regression', diabetes, 'paDiabetes5', { random_state: 5, C: 0.5, epsilon: 2 }],
      ['stochastic_gradient_descent', 'regression', diabetes, 'sgdElasticNet', { random_state: 4, penalty: 'elasticnet', alpha: 0.01, l1_ratio: 0.5 }],
      ['stochastic_gradient_descent', 'classification', digits, 'sgdDigits', { random_state: 0 }],
      ['perceptron', 'classification', digits, 'perceptronDigits', { random_state: 0 }],
      ['passive_aggressive', 'classification', digits, 'paDigits', { random_state: 3 }],
      ['passive_aggressive', 'classification', breastCancer, 'paBreastCancer', { random_state: 0 }],
    ];
    for (const [algorithm, task, split, key, hyperparams] of cases) {
      it(`${algorithm} ${task} on ${split.name} with ${JSON.stringify(hyperparams)} predicts what scikit-learn predicts`, async () => {
        const { engine } = await score(algorithm, split, task, hyperparams);
        const ours = await engine.predict(split.test.x, split.test.rows);
        const theirs = reference![key].predict!;
        assert.equal(ours.length, theirs.length);
        if (task === 'classification') {
          assert.deepEqual(Array.from(ours), theirs);
        } else {
          theirs.forEach((value, i) => assert.ok(Math.abs(ours[i]! - value) <= 1e-5 * Math.max(1, Math.abs(value)), `row ${i}: ${ours[i]} vs ${value}`));
        }
      });
    }
  });
});
