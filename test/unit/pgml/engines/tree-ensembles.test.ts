import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { columnMajor, fitTree, leafOf, oneHotClasses, presortFeatures } from '../../../../src/pgml/engines/tree.js';
import { seededRandom } from '../../../../src/pgml/random.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable, type Split } from './sklearn-reference.js';

describe('CART core', () => {
  it('finds the best threshold halfway between values and grows to purity', () => {
    const x = Float32Array.of(1, 2, 3, 10, 11, 12);
    const targets = Float64Array.of(0, 0, 0, 5, 5, 5);
    const tree = fitTree(
      { x, rows: 6, cols: 1, targets, outputs: 1, weights: new Float64Array(6).fill(1), presorted: presortFeatures(x, 6, 1) },
      { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 1, random: Math.random },
    );
    assert.deepEqual(tree.feature, [0, -1, -1]);
    assert.equal(tree.threshold[0], 6.5);
    assert.deepEqual(tree.value, [2.5, 0, 5]);
    assert.equal(tree.value[leafOf(tree, Float32Array.of(6.4), 0)], 0);
  });

  it('one-hot targets give gini splits and class shares in the leaves', () => {
    const x = Float32Array.of(0, 1, 2, 3);
    const targets = Float64Array.of(1, 0, 1, 0, 0, 1, 0, 1);
    const tree = fitTree(
      { x, rows: 4, cols: 1, targets, outputs: 2, weights: Float64Array.of(1, 1, 1, 1), presorted: presortFeatures(x, 4, 1) },
      { maxDepth: 1, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 1, random: Math.random },
    );
    assert.deepEqual(tree.value, [0.5, 0.5, 1, 0, 0, 1]);
  });

  it('reads x by column and recognises one-hot targets as classes', () => {
    assert.deepEqual(columnMajor(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2), Float32Array.of(1, 3, 5, 2, 4, 6));
    assert.deepEqual(oneHotClasses(Float64Array.of(0, 1, 1, 0, 0, 1), 3, 2), Int32Array.of(1, 0, 1));
    assert.equal(oneHotClasses(Float64Array.of(0, 1, 1, 1), 2, 2), undefined);
    assert.equal(oneHotClasses(Float64Array.of(0, 1, 0.5, 0.5), 2, 2), undefined);
    assert.equal(oneHotClasses(Float64Array.of(0, 1), 2, 1), undefined);
  });

  it('splits one-hot classes as the general multi-output sums do', () => {
    const { train, numClasses } = loadSplit('iris');
    const { x, rows, cols, y } = train;
    const oneHot = new Float64Array(rows * numClasses);
    // A constant extra output adds the same 0.25 × weight to every split's score: same splits, general path.
    const withConstant = new Float64Array(rows * (numClasses + 1));
    for (let r = 0; r < rows; r++) {
      oneHot[r * numClasses + y![r]!] = 1;
      withConstant[r * (numClasses + 1) + y![r]!] = 1;
      withConstant[r * (numClasses + 1) + numClasses] = 0.5;
    }
    const weights = Float64Array.from({ length: rows }, (_, r) => 1 + (r % 3));
    const presorted = presortFeatures(x, rows, cols);
    const grow = (targets: Float64Array, outputs: number) => fitTree(
      { x, rows, cols, targets, outputs, weights, presorted },
      { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 2, random: seededRandom(5) },
    );
    const classes = grow(oneHot, numClasses);
    const general = grow(withConstant, numClasses + 1);
    assert.ok(classes.feature.length > 5);
    assert.deepEqual(classes.feature, general.feature);
    assert.deepEqual(classes.threshold, general.threshold);
  });

  it('sorting the candidate features at each node grows the tree that the presorted order grows', () => {
    const { train, numClasses } = loadSplit('digits');
    const { x, rows, cols, y } = train;
    const targets = new Float64Array(rows * numClasses);
    for (let r = 0; r < rows; r++) targets[r * numClasses + y![r]!] = 1;
    const presorted = presortFeatures(x, rows, cols);
    // Integer weights on one-hot classes sort at each node; halved weights (the same splits and values,
    // exactly) keep every feature's presorted order instead.
    const grow = (weight: number) => fitTree(
      { x, rows, cols, targets, outputs: numClasses, weights: Float64Array.from({ length: rows }, (_, r) => weight * (r % 4)), presorted },
      { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 8, random: seededRandom(3) },
    );
    const sortedPerNode = grow(1);
    const presortedOrder = grow(0.5);
    assert.ok(sortedPerNode.feature.length > 50);
    assert.deepEqual(sortedPerNode.feature, presortedOrder.feature);
    assert.deepEqual(sortedPerNode.threshold, presortedOrder.threshold);
    assert.deepEqual(sortedPerNode.value, presortedOrder.value);
  });

  it('with max_leaf_nodes grows best first: the split that lowers the squared error most comes first', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const targets = Float64Array.of(0, 0, 5, 5, 100, 100, 140, 140);
    const grow = (maxLeafNodes: number, maxDepth: number) => fitTree(
      { x, rows: 8, cols: 1, targets, outputs: 1, weights: new Float64Array(8).fill(1), presorted: presortFeatures(x, 8, 1) },
      { maxDepth, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 1, maxLeafNodes, random: Math.random },
    );
    // Three leaves: the root at 4.5, then the right child (error 1600 → 0), not the left one (25 → 0).
    const three = grow(3, Infinity);
    const predict = (tree: ReturnType<typeof grow>, v: number) => tree.value[leafOf(tree, Float32Array.of(v), 0)];
    assert.deepEqual([2, 3, 6, 7].map((v) => predict(three, v)), [2.5, 2.5, 100, 140]);
    assert.equal(three.feature.filter((f) => f >= 0).length, 2);
    // max_depth still applies, as in sklearn's BestFirstTreeBuilder.
    assert.deepEqual([2, 3, 6, 7].map((v) => predict(grow(8, 1), v)), [2.5, 2.5, 120, 120]);
  });
});

// Same split and hyperparameters as scikit-learn; the metric must land within 0.02 (or better).
describe('tree ensembles against scikit-learn', { skip: !sklearnAvailable() && 'python3 with scikit-learn not installed' }, () => {
  const iris = loadSplit('iris');
  const cancer = loadSplit('breast_cancer');
  const diabetes = loadSplit('diabetes');
  // The bench's split of breast_cancer (test_sampling => 'last'): 30 features with more distinct values
  // than max_bins, so the bins come from percentiles.
  const cancerLast = loadSplit('breast_cancer', { testSampling: 'last' });
  // Above 10,000 training rows early stopping is on; noisy labels make it stop well before max_iter.
  const noisy = noisyTable('noisy_classes', (a, b, u) => (a + 0.3 * b + 0.5 * u > 0.9 ? 1 : 0));
  const noisyRegression = noisyTable('noisy_values', (a, b, u) => 2 * a + b + u);
  const reference = sklearnAvailable()
    ? sklearn({
        gbtIris: { split: iris, estimator: 'ensemble.GradientBoostingClassifier', params: { random_state: 0 } },
        gbtCancer: { split: cancer, estimator: 'ensemble.GradientBoostingClassifier', params: { random_state: 0 } },
        gbtDiabetes: { split: diabetes, estimator: 'ensemble.GradientBoostingRegressor', params: { random_state: 0 } },
        gbtIrisLeaves: { split: iris, estimator: 'ensemble.GradientBoostingClassifier', params: { n_estimators: 20, max_leaf_nodes: 4, random_state: 0 } },
        gbtCancerLeaves: { split: cancer, estimator: 'ensemble.GradientBoostingClassifier', params: { n_estimators: 20, max_leaf_nodes: 4, random_state: 0 } },
        gbtDiabetesLeaves: { split: diabetes, estimator: 'ensemble.GradientBoostingRegressor', params: { n_estimators: 20, max_leaf_nodes: 4, random_state: 0 } },
        etCancer: { split: cancer, estimator: 'ensemble.ExtraTreesClassifier', params: { random_state: 0 } },
        etDiabetes: { split: diabetes, estimator: 'ensemble.ExtraTreesRegressor', params: { random_state: 0 } },
        etIrisProba: { split: iris, estimator: 'ensemble.ExtraTreesClassifier', params: { random_state: 0 }, proba: true },
        etCancerProba: { split: cancer, estimator: 'ensemble.ExtraTreesClassifier', params: { random_state: 3, n_estimators: 30 }, proba: true },
        etCancerBootstrap: { split: cancer, estimator: 'ensemble.ExtraTreesClassifier', params: { random_state: 0, n_estimators: 20, bootstrap: true, max_leaf_nodes: 12 }, proba: true },
        // Leaf values are means of the float32 labels the engine receives: the reference rounds them too.
        etDiabetesExact: { split: diabetes, estimator: 'ensemble.ExtraTreesRegressor', params: { random_state: 0 }, float32: true },
        etDiabetesLeaves: { split: diabetes, estimator: 'ensemble.ExtraTreesRegressor', params: { random_state: 2, n_estimators: 25, max_leaf_nodes: 20, max_features: 0.5 }, float32: true },
        hgbIris: { split: iris, estimator: 'ensemble.HistGradientBoostingClassifier', params: { random_state: 0 } },
        hgbCancer: { split: cancer, estimator: 'ensemble.HistGradientBoostingClassifier', params: { random_state: 0 } },
        hgbCancerLast: { split: cancerLast, estimator: 'ensemble.HistGradientBoostingClassifier', params: { random_state: 0 }, proba: true, float32: true },
        hgbEarlyClassifier: { split: noisy, estimator: 'ensemble.HistGradientBoostingClassifier', params: { random_state: 0 }, float32: true },
        hgbEarlyRegressor: { split: noisyRegression, estimator: 'ensemble.HistGradientBoostingRegressor', params: { random_state: 0 }, float32: true },
        hgbDiabetes: { split: diabetes, estimator: 'ensemble.HistGradientBoostingRegressor', params: { random_state: 0 } },
        adaIris: { split: iris, estimator: 'ensemble.AdaBoostClassifier', params: { random_state: 0 } },
        adaCancer: { split: cancer, estimator: 'ensemble.AdaBoostClassifier', params: { random_state: 0 } },
        adaDiabetes: { split: diabetes, estimator: 'ensemble.AdaBoostRegressor', params: { random_state: 0 } },
        bagCancer: { split: cancer, estimator: 'ensemble.BaggingClassifier', params: { random_state: 0 } },
        // Leaf values are means of the float32 labels the engine receives: the reference rounds them too.
        bagDiabetes: { split: diabetes, estimator: 'ensemble.BaggingRegressor', params: { random_state: 0 }, float32: true },
        bagCancerProba: { split: cancer, estimator: 'ensemble.BaggingClassifier', params: { random_state: 0 }, proba: true },
        bagIrisDefaults: { split: iris, estimator: 'ensemble.BaggingClassifier', params: { random_state: 0 }, proba: true },
        bagIris: { split: iris, estimator: 'ensemble.BaggingClassifier', params: { random_state: 3, n_estimators: 7, max_samples: 0.5 } },
      })
    : undefined;

  const cases: [string, string, typeof iris, 'classification' | 'regression', keyof NonNullable<typeof reference>][] = [
    ['gradient_boosting_trees', 'iris', iris, 'classification', 'gbtIris'],
    ['gradient_boosting_trees', 'breast_cancer', cancer, 'classification', 'gbtCancer'],
    ['gradient_boosting_trees', 'diabetes', diabetes, 'regression', 'gbtDiabetes'],
    ['extra_trees', 'breast_cancer', cancer, 'classification', 'etCancer'],
    ['extra_trees', 'diabetes', diabetes, 'regression', 'etDiabetes'],
    ['bagging', 'breast_cancer', cancer, 'classification', 'bagCancer'],
    ['ada_boost', 'iris', iris, 'classification', 'adaIris'],
    ['ada_boost', 'breast_cancer', cancer, 'classification', 'adaCancer'],
    ['ada_boost', 'diabetes', diabetes, 'regression', 'adaDiabetes'],
    ['hist_gradient_boosting', 'iris', iris, 'classification', 'hgbIris'],
    ['hist_gradient_boosting', 'breast_cancer', cancer, 'classification', 'hgbCancer'],
    ['hist_gradient_boosting', 'diabetes', diabetes, 'regression', 'hgbDiabetes'],
  ];
  for (const [algorithm, name, split, task, key] of cases) {
    it(`${algorithm} on ${name} scores within 0.02 of scikit-learn`, async () => {
      const engine = getLocalEngineFactory(algorithm).create();
      await engine.fit(split.train, { task, hyperparams: { random_state: 1 }, numClasses: split.numClasses });
      const predicted = await engine.predict(split.test.x, split.test.rows);
      const expected = Float32Array.from(reference![key].predict!);
      const ours = task === 'classification' ? accuracy(split.test.y!, predicted) : r2(split.test.y!, predicted);
      const theirs = task === 'classification' ? accuracy(split.test.y!, expected) : r2(split.test.y!, expected);
      assert.ok(ours >= theirs - 0.02, `${algorithm} ${name}: ours ${ours}, scikit-learn ${theirs}`);
      const reloaded = await getLocalEngineFactory(algorithm).deserialize(await engine.serialize());
      assert.deepEqual(await reloaded.predict(split.test.x, split.test.rows), predicted);
      if (task === 'classification') {
        const proba = await engine.predictProba!(split.test.x, split.test.rows);
        const k = split.numClasses;
        for (let r = 0; r < split.test.rows; r++) {
          let sum = 0;
          for (let c = 0; c < k; c++) sum += proba[r * k + c]!;
          assert.ok(Math.abs(sum - 1) < 1e-5);
        }
      }
    });
  }

  // The bootstrap rows are numpy's for the same seed, and each tree visits features in the order its
  // sklearn DecisionTree draws (ties between equally good features in deep nodes break the same way).
  it("bagging predicts diabetes as BaggingRegressor with the same random_state, tree for tree", async () => {
    const engine = getLocalEngineFactory('bagging').create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { random_state: 0 } });
    const ours = await engine.predict(diabetes.test.x, diabetes.test.rows);
    const theirs = reference!.bagDiabetes.predict!;
    assert.equal(ours.length, theirs.length);
    theirs.forEach((value, i) => assert.ok(Math.abs(ours[i]! - value) <= 1e-4 * Math.abs(value), `row ${i}: ours ${ours[i]}, scikit-learn ${value}`));
  });

  for (const [name, split, key] of [['breast_cancer', cancer, 'bagCancerProba'], ['iris', iris, 'bagIrisDefaults']] as const) {
    it(`bagging's class probabilities on ${name} are BaggingClassifier's for the same random_state`, async () => {
      const engine = getLocalEngineFactory('bagging').create();
      await engine.fit(split.train, { task: 'classification', hyperparams: { random_state: 0 }, numClasses: split.numClasses });
      assert.deepEqual(Array.from(await engine.predict(split.test.x, split.test.rows)), reference![key].predict!);
      const proba = await engine.predictProba!(split.test.x, split.test.rows);
      const theirs = reference![key].proba!.flat();
      theirs.forEach((value, i) => assert.ok(Math.abs(proba[i]! - value) < 1e-6, `value ${i}: ours ${proba[i]}, scikit-learn ${value}`));
    });
  }

  // Each tree draws its features and thresholds as sklearn's RandomSplitter does from the same tree seed.
  for (const [name, split, key, hyperparams] of [
    ['iris', iris, 'etIrisProba', { random_state: 0 }],
    ['breast_cancer', cancer, 'etCancerProba', { random_state: 3, n_estimators: 30 }],
    ['breast_cancer with bootstrap and max_leaf_nodes', cancer, 'etCancerBootstrap', { random_state: 0, n_estimators: 20, bootstrap: true, max_leaf_nodes: 12 }],
  ] as const) {
    it(`extra_trees' class probabilities on ${name} are ExtraTreesClassifier's for the same random_state`, async () => {
      const engine = getLocalEngineFactory('extra_trees').create();
      await engine.fit(split.train, { task: 'classification', hyperparams, numClasses: split.numClasses });
      assert.deepEqual(Array.from(await engine.predict(split.test.x, split.test.rows)), reference![key].predict!);
      const proba = await engine.predictProba!(split.test.x, split.test.rows);
      const theirs = reference![key].proba!.flat();
      theirs.forEach((value, i) => assert.ok(Math.abs(proba[i]! - value) < 1e-6, `value ${i}: ours ${proba[i]}, scikit-learn ${value}`));
    });
  }

  for (const [key, hyperparams] of [
    ['etDiabetesExact', { random_state: 0 }],
    ['etDiabetesLeaves', { random_state: 2, n_estimators: 25, max_leaf_nodes: 20, max_features: 0.5 }],
  ] as const) {
    it(`extra_trees predicts diabetes as ExtraTreesRegressor with ${JSON.stringify(hyperparams)}`, async () => {
      const engine = getLocalEngineFactory('extra_trees').create();
      await engine.fit(diabetes.train, { task: 'regression', hyperparams });
      const ours = await engine.predict(diabetes.test.x, diabetes.test.rows);
      const theirs = reference![key].predict!;
      assert.equal(ours.length, theirs.length);
      theirs.forEach((value, i) => assert.ok(Math.abs(ours[i]! - value) <= 1e-5 * Math.abs(value), `row ${i}: ours ${ours[i]}, scikit-learn ${value}`));
    });
  }

  it('bagging classifies iris as BaggingClassifier with the same seed, n_estimators and max_samples', async () => {
    const engine = getLocalEngineFactory('bagging').create();
    const hyperparams = { random_state: 3, n_estimators: 7, max_samples: 0.5 };
    await engine.fit(iris.train, { task: 'classification', hyperparams, numClasses: 3 });
    assert.deepEqual(Array.from(await engine.predict(iris.test.x, iris.test.rows)), reference!.bagIris.predict!);
  });

  it('gradient boosting with the same tree as sklearn gives the same binary predictions on breast_cancer', async () => {
    const engine = getLocalEngineFactory('gradient_boosting_trees').create();
    await engine.fit(cancer.train, { task: 'classification', hyperparams: {}, numClasses: 2 });
    const predicted = await engine.predict(cancer.test.x, cancer.test.rows);
    const expected = reference!.gbtCancer.predict!;
    const agree = Array.from(predicted).filter((p, i) => p === expected[i]).length / predicted.length;
    assert.ok(agree > 0.97, `agreement ${agree}`);
  });

  it("hist_gradient_boosting grows scikit-learn 1.9's trees on breast_cancer (averaged_inverted_cdf bins, float32 gradients): the same predictions", async () => {
    const engine = getLocalEngineFactory('hist_gradient_boosting').create();
    await engine.fit(cancerLast.train, { task: 'classification', hyperparams: { random_state: 0 }, numClasses: 2 });
    assert.deepEqual(Array.from(await engine.predict(cancerLast.test.x, cancerLast.test.rows)), reference!.hgbCancerLast.predict!);
    // sklearn's gradients are float32: probabilities agree to about 1e-6, not to the last digit.
    const proba = await engine.predictProba!(cancerLast.test.x, cancerLast.test.rows);
    reference!.hgbCancerLast.proba!.flat().forEach((value, i) => assert.ok(Math.abs(proba[i]! - value) < 1e-4, `value ${i}: ours ${proba[i]}, scikit-learn ${value}`));
  });

  // The held-out rows are train_test_split's for the seed sklearn draws, so both stop at the same iteration.
  for (const [task, split, key] of [['classification', noisy, 'hgbEarlyClassifier'], ['regression', noisyRegression, 'hgbEarlyRegressor']] as const) {
    it(`hist_gradient_boosting ${task} stops early above 10,000 rows at scikit-learn's iteration`, async () => {
      const engine = getLocalEngineFactory('hist_gradient_boosting').create();
      await engine.fit(split.train, { task, hyperparams: { random_state: 0 }, numClasses: 2 });
      const state = JSON.parse(new TextDecoder().decode(await engine.serialize())) as { trees: unknown[] };
      const [iterations] = reference![key].n_iter!;
      assert.ok(iterations! < 100, `scikit-learn ran ${iterations} iterations`);
      assert.equal(state.trees.length, iterations);
    });
  }

  it('extra_trees trains several regression targets at once (train_joint)', async () => {
    const rows = 80;
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i * 0.37));
    const y = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      y[2 * r] = 2 * x[2 * r]!;
      y[2 * r + 1] = x[2 * r + 1]! - x[2 * r]!;
    }
    const engine = getLocalEngineFactory('extra_trees').create();
    await engine.fit({ x, rows, cols: 2, y, yCols: 2 }, { task: 'regression', hyperparams: { random_state: 3 } });
    const out = await engine.predict(x, rows);
    assert.equal(out.length, rows * 2);
    assert.ok(r2(y.filter((_, i) => i % 2 === 0), out.filter((_, i) => i % 2 === 0)) > 0.99);
  });

  // PostgresML's multi_classification.sql grid-searches these two on gradient_boosting_trees.
  it('gradient boosting with max_leaf_nodes and either criterion predicts as sklearn (best-first stage trees)', async () => {
    for (const [split, task, key] of [[iris, 'classification', 'gbtIrisLeaves'], [cancer, 'classification', 'gbtCancerLeaves'], [diabetes, 'regression', 'gbtDiabetesLeaves']] as const) {
      for (const criterion of ['friedman_mse', 'squared_error']) {
        const engine = getLocalEngineFactory('gradient_boosting_trees').create();
        const hyperparams = { n_estimators: 20, max_leaf_nodes: 4, criterion, random_state: 0 };
        await engine.fit(split.train, { task, hyperparams, numClasses: split.numClasses });
        const predicted = await engine.predict(split.test.x, split.test.rows);
        const expected = reference![key].predict!;
        const close = Array.from(predicted).filter((p, i) => Math.abs(p - expected[i]!) <= 1e-3 * Math.max(1, Math.abs(p))).length;
        assert.ok(close / predicted.length >= 0.97, `${split.name} ${criterion}: ${close} of ${predicted.length} predictions as sklearn's`);
      }
    }
    await assert.rejects(
      getLocalEngineFactory('gradient_boosting_trees').create().fit(iris.train, { task: 'classification', hyperparams: { criterion: 'gini' }, numClasses: 3 }),
      (e: { code: string; message: string }) => e.code === '22023' && /friedman_mse/.test(e.message),
    );
    await assert.rejects(
      getLocalEngineFactory('gradient_boosting_trees').create().fit(iris.train, { task: 'classification', hyperparams: { max_leaf_nodes: 1 }, numClasses: 3 }),
      (e: { code: string }) => e.code === '22023',
    );
  });

  it('refuses unknown hyperparameters listing the valid ones', async () => {
    await assert.rejects(
      getLocalEngineFactory('gradient_boosting_trees').create().fit(iris.train, { task: 'classification', hyperparams: { n_estimator: 5 }, numClasses: 3 }),
      (e: { code: string; hint?: string }) => e.code === '22023' && /learning_rate/.test(e.hint ?? ''),
    );
  });
});

/** 14,000 rows of two uniform features and a label from them and uniform noise, as a CSV in a scratch directory. */
function noisyTable(name: string, label: (a: number, b: number, u: number) => number): Split {
  const random = seededRandom(11);
  const lines = ['a,b,label'];
  for (let r = 0; r < 14_000; r++) {
    const [a, b, u] = [Math.fround(random()), Math.fround(random()), Math.fround(random())];
    lines.push(`${a},${b},${label(a, b, u)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hgb-early-'));
  writeFileSync(join(dir, `${name}.csv`), `${lines.join('\n')}\n`);
  return loadSplit(name, { dir });
}
