import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { after, describe, it } from 'node:test';
import { closePool, noteClientMessage, poolLoad, poolStats, runInWorker, warmEnginePool } from '../../../../src/pgml/engines/pool.js';
import { getEngineFactory, listAlgorithms } from '../../../../src/pgml/engines/registry.js';
import { engineWarmUpSteps } from '../../../../src/pgml/engines/warm-up.js';
import { ENGINE_THREAD_NICE } from '../../../../src/pgml/engines/thread-priority.js';
import { loadSplit } from './xgboost/fixtures.js';

after(() => closePool());

describe('engine registry', () => {
  it('refuses unknown and task-incompatible algorithms with 22023 listing the valid ones', () => {
    assert.throws(() => getEngineFactory('gradient_magic', 'regression'), (error: { code: string; hint?: string }) =>
      error.code === '22023' && (error.hint ?? '').includes('xgboost'));
    assert.throws(() => getEngineFactory('xgboost', 'clustering'), { code: '22023' });
    assert.ok(listAlgorithms('classification').includes('xgboost_random_forest'));
  });
});

describe('worker pool', () => {
  it('trains on a worker thread while the event loop keeps ticking', async () => {
    const split = loadSplit('digits');
    const factory = getEngineFactory('xgboost', 'classification');
    const engine = factory.create();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      await engine.fit(
        { x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y },
        { task: 'classification', hyperparams: { n_estimators: 60, max_depth: 8 }, numClasses: 10 },
      );
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'the event loop was blocked during fit');
    assert.equal(engine.runtime, 'native');
    const predicted = await engine.predict(split.test.x, split.test.rows);
    const loaded = await factory.deserialize(await engine.serialize());
    assert.deepEqual(await loaded.predict(split.test.x, split.test.rows), predicted);
    const proba = await loaded.predictProba!(split.test.x.slice(0, split.cols), 1);
    assert.ok(Math.abs(proba.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  });

  it('carries PgErrors from the worker with their SQLSTATE', async () => {
    const engine = getEngineFactory('xgboost', 'regression').create();
    await assert.rejects(engine.fit({ x: new Float32Array(4), rows: 2, cols: 2, y: new Float32Array(2) }, { task: 'regression', hyperparams: { bogus: 1 } }), { code: '22023' });
    await assert.rejects(
      engine.fit({ x: new Float32Array(4), rows: 2, cols: 2, y: new Float32Array(2) }, { task: 'regression', hyperparams: { objective: 'nope' } }),
      { code: '22023' },
    );
    await assert.rejects(getEngineFactory('xgboost', 'regression').deserialize(new Uint8Array([1, 2, 3])), { code: 'XX001' });
  });

  it('predicts with a model the worker has evicted from its cache since (the bytes go again)', async () => {
    const factory = getEngineFactory('linear', 'regression');
    const fitted = async (slope: number) => {
      const engine = factory.create();
      const x = Float32Array.from([0, 1, 2, 3]);
      await engine.fit({ x, rows: 4, cols: 1, y: x.map((v) => slope * v) }, { task: 'regression', hyperparams: {} });
      return engine;
    };
    const first = await fitted(2);
    const probe = Float32Array.from([10]);
    const before = (await first.predict(probe, 1))[0]!;
    assert.ok(Math.abs(before - 20) < 1e-3, `${before}`);
    // More models than a worker keeps (32), each predicted once so it enters the workers' caches.
    for (let i = 0; i < 40; i++) await (await fitted(i)).predict(probe, 1);
    const after = (await first.predict(probe, 1))[0]!;
    assert.equal(after, before);
  });

  it('merges predictions that wait for a worker into one engine call, each caller getting its own rows', async () => {
    // Three classes on two features: predict_proba has three outputs per row to split back.
    const cols = 2;
    const n = 150;
    const x = Float32Array.from({ length: n * cols }, (_, i) => Math.sin(i * 1.7) * 3 + (Math.floor(i / cols) % 3) * 2);
    const y = Float32Array.from({ length: n }, (_, r) => r % 3);
    const engine = getEngineFactory('linear', 'classification').create();
    await engine.fit({ x, rows: n, cols, y }, { task: 'classification', hyperparams: {}, numClasses: 3 });
    const rowsOf = (start: number, count: number) => x.slice(start * cols, (start + count) * cols);
    const calls = Array.from({ length: 60 }, (_, i) => ({ start: i, count: 1 + (i % 3) }));
    const expected: Float32Array[] = [];
    for (const c of calls) expected.push(await engine.predictProba!(rowsOf(c.start, c.count), c.count));
    const before = poolStats();
    const together = await Promise.all(calls.map((c) => engine.predictProba!(rowsOf(c.start, c.count), c.count)));
    const after = poolStats();
    assert.equal(after.operations - before.operations, calls.length);
    assert.ok(after.workerCalls - before.workerCalls < calls.length / 2, `${after.workerCalls - before.workerCalls} worker calls`);
    together.forEach((got, i) => assert.deepEqual(Array.from(got), Array.from(expected[i]!), `call ${i}`));
  });

  it('predicts and predicts probabilities in one worker call, equal to the two calls', async () => {
    const n = 80;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 2.3) * 4);
    const y = x.map((v) => (v > 0.5 ? 1 : 0));
    const train = async (algorithm: string) => {
      const engine = getEngineFactory(algorithm, 'classification').create();
      await engine.fit({ x, rows: n, cols: 1, y }, { task: 'classification', hyperparams: {}, numClasses: 2 });
      return engine;
    };
    const logistic = await train('linear');
    const before = poolStats();
    const both = await logistic.predictWithProba!(x, n);
    assert.equal(poolStats().workerCalls - before.workerCalls, 1);
    assert.deepEqual(Array.from(both.predicted), Array.from(await logistic.predict(x, n)));
    assert.deepEqual(Array.from(both.proba ?? []), Array.from(await logistic.predictProba!(x, n)));
    // RidgeClassifier has no probability model: the predictions come alone.
    const ridge = await train('ridge');
    const alone = await ridge.predictWithProba!(x, n);
    assert.equal(alone.proba, undefined);
    assert.deepEqual(Array.from(alone.predicted), Array.from(await ridge.predict(x, n)));
  });

  describe('engine threads run at nice 10 (Linux), the event loop at 0', { skip: process.platform !== 'linux' }, () => {
    /** The nice field of /proc/self/task/<tid>/stat (proc(5): field 19), a per-thread value on Linux. */
    const nice = (task: string): number => {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const tasks = (): string[] => readdirSync('/proc/self/task');

    it('an engine thread and nothing of the main thread', async () => {
      await warmEnginePool([]);
      const values = tasks().map(nice);
      assert.equal(nice(String(process.pid)), 0, 'the main thread keeps its priority');
      assert.ok(values.includes(ENGINE_THREAD_NICE), `thread nice values: ${values.join(' ')}`);
    });

    it("the threads a native XGBoost fit starts (libgomp's) inherit it", async () => {
      await warmEnginePool([]);
      const before = new Set(tasks());
      // More threads than any earlier fit of this file asked for, so libgomp starts new ones.
      const moreThreads = availableParallelism() + 1;
      const n = 2000;
      const x = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
      const y = Float32Array.from({ length: n }, (_, i) => (x[i * 4]! + x[i * 4 + 1]! > 0 ? 1 : 0));
      const engine = getEngineFactory('xgboost', 'classification').create();
      await engine.fit({ x, rows: n, cols: 4, y }, { task: 'classification', hyperparams: { n_estimators: 5, nthread: moreThreads }, numClasses: 2 });
      if (engine.runtime !== 'native') return assert.ok(true, 'libxgboost is not installed: no libgomp threads to look at');
      const started = tasks().filter((task) => !before.has(task));
      assert.ok(started.length > 0, `the fit with nthread ${moreThreads} started no thread`);
      assert.deepEqual(started.map(nice), started.map(() => ENGINE_THREAD_NICE), `nice values of the threads the fit started: ${started.map(nice).join(' ')}`);
    });
  });

  it('starts a worker ahead with the named modules loaded, and serves the next request on it', async () => {
    await closePool();
    const module = new URL('./fixtures/evaluated-at.ts', import.meta.url).href;
    await warmEnginePool([module]);
    const warmedBy = Date.now();
    assert.deepEqual(poolLoad(), { running: 0, queued: 0 });
    // The worker evaluated the module while warming, before the warm-up settled.
    const at = (await runInWorker('', 'run', { module, name: 'whenEvaluated', input: null, what: 'reading a fixture' })) as number;
    assert.ok(at <= warmedBy, `evaluated at ${at}, warm by ${warmedBy}`);
  });

  it('starts the JIT warm-up of a worker started ahead at once, not after the idle delay', async () => {
    await closePool();
    const module = new URL(`../../../../src/pgml/engines/warm-up.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
    await warmEnginePool([]);
    // The first step starts as the warm request ends, long before WARM_UP_IDLE_MS; this request comes right after.
    const started = (await runInWorker('', 'run', { module, name: 'warmUpStepsStarted', input: null, what: 'reading the warm-up' })) as number;
    assert.ok(started >= 1, `warm-up steps started: ${started}`);
  });

  it("runs an algorithm's warm-up steps on a fresh thread before its first training job there", async () => {
    await closePool();
    const module = new URL(`../../../../src/pgml/engines/warm-up.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
    const stepsStarted = async (algorithm: string) =>
      (await runInWorker(algorithm, 'run', { module, name: 'warmUpStepsStarted', input: null, what: 'reading the warm-up' })) as number;
    const sgd = engineWarmUpSteps().filter((step) => step.algorithm === 'stochastic_gradient_descent');
    assert.ok(sgd.length > 0);
    // Then each of its variants once more (the tails: what the last step of a variant marked is compiled before the job).
    const tails = new Set(sgd.map((step) => step.variant)).size;
    assert.ok(tails > 0 && tails < sgd.length);
    // The job reaches the new thread before its idle warm-up can start (it waits WARM_UP_IDLE_MS): only SGD's steps ran.
    assert.equal(await stepsStarted('stochastic_gradient_descent'), sgd.length + tails);
  });

  it('loads TensorFlow.js only in a worker that trains a neural_network, never on the main thread', async () => {
    await closePool();
    const module = new URL('./fixtures/tensorflow-loaded.ts', import.meta.url).href;
    await warmEnginePool([module]);
    const loadedInWorker = async () => (await runInWorker('', 'run', { module, name: 'tensorflowLoaded', input: null, what: 'reading a fixture' })) as boolean;
    const x = Float32Array.from([0, 0, 1, 1, 0, 1, 1, 0]);
    const data = { x, rows: 4, cols: 2, y: Float32Array.from([0, 1, 1, 0]) };
    await getEngineFactory('linear', 'classification').create().fit(data, { task: 'classification', hyperparams: {}, numClasses: 2 });
    assert.equal(await loadedInWorker(), false, 'a linear fit loaded TensorFlow.js');
    const network = getEngineFactory('neural_network', 'classification').create();
    await network.fit(data, { task: 'classification', hyperparams: { hidden_layer_sizes: [4], max_iter: 5 }, numClasses: 2 });
    assert.equal((await network.predict(x, 4)).length, 4);
    // Requests one after another all go to the one warm worker (an idle worker is reused before another starts).
    assert.equal(await loadedInWorker(), true, 'the worker that trained a neural_network has TensorFlow.js');
    assert.equal('_tfengine' in globalThis, false, 'the main thread loaded TensorFlow.js');
  });

  // Last: the clock (client-clock.ts) stays marked for WARM_UP_IDLE_MS after the test.
  it('holds the JIT warm-up of a worker started ahead while clients are being served', async () => {
    await closePool();
    const module = new URL(`../../../../src/pgml/engines/warm-up.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
    // A client sends something every 100 ms, as the proxy's sessions would mark it.
    noteClientMessage();
    const clients = setInterval(noteClientMessage, 100);
    try {
      await warmEnginePool([]);
      const started = (await runInWorker('', 'run', { module, name: 'warmUpStepsStarted', input: null, what: 'reading the warm-up' })) as number;
      assert.equal(started, 0, 'warm-up steps started while clients were being served');
    } finally {
      clearInterval(clients);
      await closePool();
    }
  });
});
