import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgError } from '../../../../../src/errors/index.js';
import type { FitOptions } from '../../../../../src/pgml/engines/engine.js';
import { XgboostEngine } from '../../../../../src/pgml/engines/xgboost/index.js';
import { quantileConfig } from '../../../../../src/pgml/engines/xgboost/native.js';
import { xgboostConfig, type XgboostAlgorithm } from '../../../../../src/pgml/engines/xgboost/params.js';
import { accuracy, loadSplit, maxAbsDiff, pythonPredictions, pythonXgboostAvailable, r2 } from './fixtures.js';

const python = pythonXgboostAvailable();

async function train(algorithm: XgboostAlgorithm, dataset: string, options: FitOptions) {
  const split = loadSplit(dataset);
  const engine = new XgboostEngine(algorithm, 'native');
  await engine.fit({ x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y }, options);
  return { engine, split };
}

describe('xgboost engine (native libxgboost)', () => {
  it('classifies breast_cancer (binary) and matches python-xgboost', { skip: !python && 'no python3-xgboost' }, async () => {
    const options: FitOptions = { task: 'classification', hyperparams: { n_estimators: 50, max_depth: 4 }, numClasses: 2 };
    const { engine, split } = await train('xgboost', 'breast_cancer', options);
    assert.equal(engine.runtime, 'native');
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(accuracy(predicted, split.test.y) > 0.92, `accuracy ${accuracy(predicted, split.test.y)}`);

    const proba = await engine.predictProba(split.test.x, split.test.rows);
    assert.equal(proba.length, split.test.rows * 2);
    const config = xgboostConfig('xgboost', options);
    assert.equal(config.objective, 'binary:logistic');
    const reference = pythonPredictions('breast_cancer', config.params, config.rounds);
    assert.equal(reference.version, engine.libraryVersion);
    const positive = proba.filter((_, i) => i % 2 === 1);
    assert.ok(maxAbsDiff(positive, reference.pred) < 1e-6, `max diff ${maxAbsDiff(positive, reference.pred)}`);
  });

  it('classifies iris (multiclass softprob) and matches python-xgboost', { skip: !python && 'no python3-xgboost' }, async () => {
    const options: FitOptions = { task: 'classification', hyperparams: { n_estimators: 30, learning_rate: 0.2, random_state: 7 }, numClasses: 3 };
    const { engine, split } = await train('xgboost', 'iris', options);
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(accuracy(predicted, split.test.y) > 0.9);
    const proba = await engine.predictProba(split.test.x, split.test.rows);
    const config = xgboostConfig('xgboost', options);
    assert.deepEqual(config.params.slice(0, 2), [['objective', 'multi:softprob'], ['num_class', '3']]);
    const reference = pythonPredictions('iris', config.params, config.rounds);
    assert.ok(maxAbsDiff(proba, reference.pred) < 1e-6);
  });

  it('regresses diabetes and matches python-xgboost', { skip: !python && 'no python3-xgboost' }, async () => {
    const options: FitOptions = { task: 'regression', hyperparams: { n_estimators: 60, max_depth: 2, eta: 0.1, subsample: 0.8, seed: 3 } };
    const { engine, split } = await train('xgboost', 'diabetes', options);
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(r2(predicted, split.test.y) > 0.3, `r2 ${r2(predicted, split.test.y)}`);
    const config = xgboostConfig('xgboost', options);
    const reference = pythonPredictions('diabetes', config.params, config.rounds);
    // Float32 outputs in the hundreds: compare relative to the target's scale.
    assert.ok(maxAbsDiff(predicted, reference.pred) < 1e-3);
  });

  it('trains xgboost_random_forest as XGBRF does (one round of parallel trees)', { skip: !python && 'no python3-xgboost' }, async () => {
    const options: FitOptions = { task: 'classification', hyperparams: { n_estimators: 25, random_state: 1 }, numClasses: 3 };
    const config = xgboostConfig('xgboost_random_forest', options);
    assert.equal(config.rounds, 1);
    assert.ok(config.params.some(([k, v]) => k === 'num_parallel_tree' && v === '25'));
    const { engine, split } = await train('xgboost_random_forest', 'wine', options);
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(accuracy(predicted, split.test.y) > 0.85);
    const reference = pythonPredictions('wine', config.params, config.rounds);
    assert.ok(maxAbsDiff(await engine.predictProba(split.test.x, split.test.rows), reference.pred) < 1e-6);
  });

  it('bins the training rows in place with tree_method hist and matches python-xgboost on its own DMatrix', { skip: !python && 'no python3-xgboost' }, async () => {
    const options: FitOptions = { task: 'classification', hyperparams: { n_estimators: 40, tree_method: 'hist', max_bin: 32, n_jobs: 2 }, numClasses: 2 };
    const config = xgboostConfig('xgboost', options);
    assert.equal(quantileConfig(config.params), '{"missing":NaN,"max_bin":32,"nthread":2}');
    const split = loadSplit('breast_cancer');
    // As the pool hands it over: a view into a SharedArrayBuffer that does not start at its offset 0.
    const lead = 7 * split.cols;
    const shared = new Float32Array(new SharedArrayBuffer((lead + split.train.x.length) * 4));
    shared.fill(1e6, 0, lead);
    shared.set(split.train.x, lead);
    const engine = new XgboostEngine('xgboost', 'native');
    await engine.fit({ x: shared.subarray(lead), rows: split.train.rows, cols: split.cols, y: split.train.y }, options);
    const proba = await engine.predictProba(split.test.x, split.test.rows);
    const reference = pythonPredictions('breast_cancer', config.params, config.rounds);
    const positive = proba.filter((_, i) => i % 2 === 1);
    assert.ok(maxAbsDiff(positive, reference.pred) < 1e-6, `max diff ${maxAbsDiff(positive, reference.pred)}`);
  });

  it('predicts in place from a view of a shared buffer exactly as python-xgboost predicts through its DMatrix', { skip: !python && 'no python3-xgboost' }, async () => {
    // Held-out rows as scoring hands them over: a view into a SharedArrayBuffer, not at its offset 0.
    const sharedView = (x: Float32Array, lead: number) => {
      const shared = new Float32Array(new SharedArrayBuffer((lead + x.length) * 4));
      shared.fill(1e6, 0, lead);
      shared.set(x, lead);
      return shared.subarray(lead);
    };
    const cases: { dataset: string; options: FitOptions; output: (e: XgboostEngine, x: Float32Array, rows: number) => Promise<Float32Array> }[] = [
      {
        dataset: 'breast_cancer',
        options: { task: 'classification', hyperparams: { n_estimators: 30, max_depth: 4 }, numClasses: 2 },
        output: async (e, x, rows) => (await e.predictProba(x, rows)).filter((_, i) => i % 2 === 1),
      },
      { dataset: 'iris', options: { task: 'classification', hyperparams: { n_estimators: 20 }, numClasses: 3 }, output: (e, x, rows) => e.predictProba(x, rows) },
      { dataset: 'diabetes', options: { task: 'regression', hyperparams: { n_estimators: 20 } }, output: (e, x, rows) => e.predict(x, rows) },
    ];
    for (const { dataset, options, output } of cases) {
      const algorithm = 'xgboost';
      const { engine, split } = await train(algorithm, dataset, options);
      const config = xgboostConfig(algorithm, options);
      const reference = pythonPredictions(dataset, config.params, config.rounds);
      const got = await output(engine, sharedView(split.test.x, 5 * split.cols), split.test.rows);
      assert.equal(got.length, reference.pred.length, dataset);
      assert.equal(maxAbsDiff(got, reference.pred), 0, `${dataset} ${JSON.stringify(options.hyperparams)}: ${maxAbsDiff(got, reference.pred)}`);
    }
    // gblinear has no in-place prediction in XGBoost 1.7: it goes through a DMatrix, the first call
    // after finding out and every later one alike.
    const { engine, split } = await train('xgboost', 'diabetes', { task: 'regression', hyperparams: { booster: 'gblinear', n_estimators: 20 } });
    const first = await engine.predict(sharedView(split.test.x, 3 * split.cols), split.test.rows);
    assert.equal(first.length, split.test.rows);
    assert.deepEqual(Array.from(await engine.predict(split.test.x, split.test.rows)), Array.from(first));
    assert.ok(r2(first, split.test.y) > 0.2, `r2 ${r2(first, split.test.y)}`);
  });

  it('fits a small set on one thread unless a thread count is given, to the same model bytes', async () => {
    const options = (hyperparams: Record<string, unknown>): FitOptions => ({ task: 'regression', hyperparams: { n_estimators: 20, ...hyperparams } });
    const threads = (work: number, hyperparams: Record<string, unknown> = {}): string[] =>
      xgboostConfig('xgboost_random_forest', options(hyperparams), work).params.filter(([k]) => k === 'nthread').map(([, v]) => v);
    // diabetes' 331 x 10: one thread; breast_cancer's 426 x 30 and no size given: libxgboost's default.
    assert.deepEqual(threads(3_310), ['1']);
    assert.deepEqual(threads(12_780), []);
    assert.deepEqual(threads(Infinity), []);
    // The user's count wins, under either name.
    assert.deepEqual(threads(3_310, { n_jobs: 2 }), ['2']);
    assert.deepEqual(threads(3_310, { nthread: 0 }), ['0']);
    const bytes = async (hyperparams: Record<string, unknown>): Promise<Buffer> =>
      Buffer.from(await (await train('xgboost_random_forest', 'diabetes', options(hyperparams))).engine.serialize());
    assert.ok((await bytes({})).equals(await bytes({ nthread: 2 })), 'one thread or two, the same stored model');
  });

  it('keeps the copying DMatrix for boosters that read more than the bins', () => {
    const params = (hyperparams: Record<string, unknown>) => xgboostConfig('xgboost', { task: 'regression', hyperparams }).params;
    assert.equal(quantileConfig(params({ tree_method: 'hist' })), '{"missing":NaN}');
    assert.equal(quantileConfig(params({})), undefined);
    assert.equal(quantileConfig(params({ tree_method: 'exact' })), undefined);
    assert.equal(quantileConfig(params({ tree_method: 'approx' })), undefined);
    assert.equal(quantileConfig(params({ tree_method: 'hist', booster: 'gblinear' })), undefined);
    assert.equal(quantileConfig(params({ tree_method: 'hist', updater: 'grow_quantile_histmaker,prune' })), undefined);
    assert.equal(quantileConfig(params({ tree_method: 'hist', max_bin: 'many' })), undefined);
    assert.equal(quantileConfig(params({ tree_method: 'hist', nthread: 0 })), '{"missing":NaN}');
  });

  it('refuses a bad max_bin with tree_method hist as XGBoost words it (22023)', async () => {
    const split = loadSplit('diabetes');
    const data = { x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y };
    await assert.rejects(new XgboostEngine('xgboost', 'native').fit(data, { task: 'regression', hyperparams: { tree_method: 'hist', max_bin: 'many' } }), {
      code: '22023',
    });
  });

  it('gives probabilities that sum to 1 on digits, and argmax equals predict', async () => {
    const { engine, split } = await train('xgboost', 'digits', { task: 'classification', hyperparams: { n_estimators: 20 }, numClasses: 10 });
    const proba = await engine.predictProba(split.test.x, split.test.rows);
    const predicted = await engine.predict(split.test.x, split.test.rows);
    for (let r = 0; r < split.test.rows; r++) {
      const row = proba.subarray(r * 10, r * 10 + 10);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(row.indexOf(Math.max(...row)), predicted[r]);
    }
    assert.ok(accuracy(predicted, split.test.y) > 0.9);
  });

  it('derives probabilities from margins for multi:softmax', async () => {
    const { engine, split } = await train('xgboost', 'iris', { task: 'classification', hyperparams: { n_estimators: 10, objective: 'multi:softmax' }, numClasses: 3 });
    const proba = await engine.predictProba(split.test.x, split.test.rows);
    const predicted = await engine.predict(split.test.x, split.test.rows);
    for (let r = 0; r < split.test.rows; r++) {
      const row = proba.subarray(r * 3, r * 3 + 3);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(row.indexOf(Math.max(...row)), predicted[r]);
    }
  });

  it('round-trips through serialize/deserialize with identical predictions', async () => {
    const { engine, split } = await train('xgboost', 'breast_cancer', { task: 'classification', hyperparams: { n_estimators: 15 }, numClasses: 2 });
    const bytes = await engine.serialize();
    const loaded = await XgboostEngine.deserialize('xgboost', bytes);
    assert.equal(loaded.runtime, 'native');
    assert.deepEqual(await loaded.predictProba(split.test.x, split.test.rows), await engine.predictProba(split.test.x, split.test.rows));
    assert.deepEqual(await loaded.predict(split.test.x, split.test.rows), await engine.predict(split.test.x, split.test.rows));
    await assert.rejects(XgboostEngine.deserialize('xgboost', bytes.subarray(0, 20)), { code: 'XX001' });
  });

  it('treats NaN as missing', async () => {
    const { engine, split } = await train('xgboost', 'diabetes', { task: 'regression', hyperparams: { n_estimators: 5 } });
    const x = split.test.x.slice(0, split.cols);
    x[2] = Number.NaN;
    const [value] = await engine.predict(x, 1);
    assert.ok(Number.isFinite(value));
  });

  it('refuses unknown hyperparameters, bad values and bad objectives with 22023', async () => {
    const split = loadSplit('iris');
    const data = { x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y };
    const engine = new XgboostEngine('xgboost', 'native');
    await assert.rejects(engine.fit(data, { task: 'classification', hyperparams: { n_trees: 3 }, numClasses: 3 }), (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.equal(error.code, '22023');
      assert.match(error.message, /n_trees/);
      assert.match(error.hint ?? '', /n_estimators/);
      return true;
    });
    await assert.rejects(engine.fit(data, { task: 'classification', hyperparams: { n_estimators: 0 }, numClasses: 3 }), { code: '22023' });
    await assert.rejects(engine.fit(data, { task: 'classification', hyperparams: { max_depth: 'deep' }, numClasses: 3 }), { code: '22023' });
    await assert.rejects(engine.fit(data, { task: 'classification', hyperparams: { objective: 'nope' }, numClasses: 3 }), (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.equal(error.code, '22023');
      assert.match(error.message, /Unknown objective function/);
      assert.doesNotMatch(error.message, /Stack trace/);
      return true;
    });
    await assert.rejects(
      new XgboostEngine('xgboost_random_forest', 'native').fit(data, { task: 'classification', hyperparams: { num_parallel_tree: 4 }, numClasses: 3 }),
      { code: '22023' },
    );
  });

  it('trains joint regression (linnerud, three targets) as python-xgboost and XGBRF do with a 2-D label', { skip: !python && 'no python3-xgboost' }, async () => {
    const split = loadSplit('linnerud', 3);
    const runs: Array<[XgboostAlgorithm, Record<string, unknown>]> = [
      ['xgboost', { n_estimators: 10 }],
      ['xgboost', { n_estimators: 10, tree_method: 'hist', max_depth: 3 }],
      ['xgboost_random_forest', { n_estimators: 10, random_state: 2 }],
    ];
    for (const [algorithm, hyperparams] of runs) {
      const options: FitOptions = { task: 'regression', hyperparams };
      const engine = new XgboostEngine(algorithm, 'native');
      await engine.fit({ x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y, yCols: 3 }, options);
      const predicted = await engine.predict(split.test.x, split.test.rows);
      assert.equal(predicted.length, split.test.rows * 3);
      const config = xgboostConfig(algorithm, options);
      const reference = pythonPredictions('linnerud', config.params, config.rounds, 3);
      assert.equal(reference.pred.length, split.test.rows * 3);
      // Weights near 180, waists near 35, pulses near 55: float32 leaf sums agree to a few ulps.
      assert.ok(maxAbsDiff(predicted, reference.pred) < 1e-3, `${JSON.stringify(hyperparams)}: max diff ${maxAbsDiff(predicted, reference.pred)}`);

      const loaded = await XgboostEngine.deserialize(algorithm, await engine.serialize());
      assert.deepEqual(await loaded.predict(split.test.x, split.test.rows), predicted);
    }
  });

  it('refuses several label columns for classification with 0A000', async () => {
    const split = loadSplit('linnerud', 3);
    const data = { x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y, yCols: 3 };
    await assert.rejects(new XgboostEngine('xgboost', 'native').fit(data, { task: 'classification', hyperparams: {}, numClasses: 2 }), { code: '0A000' });
  });

  it('checks the feature count at prediction time', async () => {
    const { engine } = await train('xgboost', 'iris', { task: 'classification', hyperparams: { n_estimators: 2 }, numClasses: 3 });
    await assert.rejects(engine.predict(new Float32Array(5), 1), { code: '22023' });
  });
});
