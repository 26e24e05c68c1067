import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { engineWarmUpSteps, idleWarmUp, linearProgramWarmUpSteps, preparationWarmUpStep } from '../../../../src/pgml/engines/warm-up.js';
import { loadSplit, type Split } from './sklearn-reference.js';

/** The serialized models of every warmed family on real data, as a user's fits would give them. */
async function models(): Promise<string[]> {
  const diabetes = loadSplit('diabetes');
  const digits = loadSplit('digits');
  const breastCancer = loadSplit('breast_cancer');
  const seeded = { random_state: 3 };
  const fits: (readonly [string, Split, 'regression' | 'classification' | 'clustering' | 'decomposition', Record<string, unknown>])[] = [
    ['stochastic_gradient_descent', diabetes, 'regression', seeded],
    ['passive_aggressive', diabetes, 'regression', seeded],
    ['stochastic_gradient_descent', digits, 'classification', seeded],
    ['perceptron', digits, 'classification', seeded],
    ['passive_aggressive', digits, 'classification', seeded],
    ['linear_svm', diabetes, 'regression', seeded],
    ['linear_svm', breastCancer, 'classification', seeded],
    ['linear', breastCancer, 'classification', {}],
    ['linear', loadSplit('iris'), 'classification', {}],
    ...(['svm', 'nu_svm', 'gaussian_process'] as const).map((algorithm) => [algorithm, breastCancer, 'classification', {}] as const),
    ['affinity_propagation', loadSplit('iris'), 'clustering', {}],
    ['ridge', breastCancer, 'classification', {}],
    ...(['kmeans', 'mini_batch_kmeans'] as const).map((algorithm) => [algorithm, loadSplit('iris'), 'clustering', { n_clusters: 3, random_state: 0 }] as const),
    ['pca', loadSplit('iris'), 'decomposition', { n_components: 2 }],
    ...(
      ['linear', 'ridge', 'lasso', 'elastic_net', 'bayesian_ridge', 'automatic_relevance_determination', 'least_angle', 'lasso_least_angle', 'orthogonal_matching_pursuit', 'huber', 'svm', 'nu_svm',
        'kernel_ridge', 'gaussian_process', 'quantile'] as const
    ).map((algorithm) => [algorithm, diabetes, 'regression', {}] as const),
    ['quantile', diabetes, 'regression', { alpha: 0.01 }],
  ];
  const out: string[] = [];
  for (const [algorithm, split, task, hyperparams] of fits) {
    const engine = getLocalEngineFactory(algorithm).create();
    await engine.fit(split.train, { task, hyperparams, numClasses: split.numClasses });
    out.push(Buffer.from(await engine.serialize()).toString('base64'));
  }
  return out;
}

describe('engine JIT warm-up', () => {
  it('runs every step and changes no model', async () => {
    const before = await models();
    const steps = [...engineWarmUpSteps(), ...linearProgramWarmUpSteps()];
    assert.ok(steps.length > 0);
    for (const step of steps) await step.run();
    assert.deepEqual(await models(), before);
  });

  it('runs only after the thread has been idle, waits again after a request, and a failing step ends it quietly', async () => {
    const ran: number[] = [];
    let busy = true;
    const steps = [0, 1, 2, 3].map((i) => ({
      algorithm: 'a',
      task: 'regression' as const,
      run: async () => {
        if (i === 2) throw new Error('step failed');
        ran.push(i);
      },
    }));
    const warmUp = idleWarmUp(steps, () => busy, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.deepEqual(ran, [], 'nothing runs while a request is in flight');
    busy = false;
    warmUp.resume();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(ran, [], 'nothing runs before the thread has been idle for the delay');
    await warmUp.done;
    assert.deepEqual(ran, [0, 1], 'the steps after the failing one are dropped');
  });

  it('runs at once after start(), without the idle wait, then the steps start() adds, and pauses for a request', async () => {
    const ran: number[] = [];
    let busy = false;
    const steps = [0, 1, 2].map((i) => ({
      algorithm: 'a',
      task: 'regression' as const,
      run: async () => {
        ran.push(i);
        // A request arrives during the first step: the next step waits for it and the idle delay after it.
        if (i === 0) busy = true;
      },
    }));
    // An idle delay no test waits for: only start() can run the steps.
    const warmUp = idleWarmUp(steps, () => busy, 600_000);
    warmUp.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(ran, [0], 'the first step ran at once; the others wait while a request is in flight');
    busy = false;
    warmUp.start([{ algorithm: 'a', task: 'regression', run: async () => void ran.push(3) }]);
    await warmUp.done;
    assert.deepEqual(ran, [0, 1, 2, 3], "start's steps run after the others");
  });

  it('waits while clients are being served, after start() too, and goes on once they are quiet', async () => {
    const ran: number[] = [];
    let serving = true;
    const steps = [0, 1].map((i) => ({ algorithm: 'a', task: 'regression' as const, run: async () => void ran.push(i) }));
    const warmUp = idleWarmUp(steps, () => false, 20, () => serving);
    warmUp.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(ran, [], 'no step runs while clients are served, however often the thread looks');
    serving = false;
    await warmUp.done;
    assert.deepEqual(ran, [0, 1], 'the steps ran once the clients were quiet, with nothing else to wake them');
  });

  it("before() runs an algorithm's queued steps ahead of its fit, after the step running only, and leaves the others queued", async () => {
    const ran: string[] = [];
    let busy = false;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const step = (name: string, algorithm: string, wait?: Promise<void>) => ({
      algorithm,
      task: 'regression' as const,
      run: async () => {
        ran.push(`${name} started`);
        await wait;
        ran.push(`${name} done`);
      },
    });
    const warmUp = idleWarmUp([step('sgd 1', 'sgd', held), step('ridge 1', 'ridge'), step('sgd 2', 'sgd'), step('ridge 2', 'ridge')], () => busy, 600_000);
    warmUp.start();
    // A request to fit sgd arrives while the idle warm-up's first step runs (busy from now on).
    busy = true;
    const beforeSgd = warmUp.before('sgd');
    release();
    assert.equal(await beforeSgd, 1, 'the one sgd step still queued ran for the request');
    assert.deepEqual(ran, ['sgd 1 started', 'sgd 1 done', 'sgd 2 started', 'sgd 2 done'], 'the running step ended first; no ridge step ran');
    assert.equal(await warmUp.before('sgd'), 0, 'a thread that has warmed sgd runs nothing more for it');
    assert.equal(await warmUp.before('kmeans'), 0, 'an algorithm without steps runs nothing');
    // Another request (predict, say) waits for nothing: the idle loop starts no step while the thread is busy.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ran.length, 4);
    busy = false;
    warmUp.start();
    await warmUp.done;
    assert.deepEqual(ran.slice(4), ['ridge 1 started', 'ridge 1 done', 'ridge 2 started', 'ridge 2 done'], 'the idle warm-up goes on with the rest');
  });

  it("before() with a task runs that task's steps only; without one, every task's", async () => {
    const ran: string[] = [];
    const step = (algorithm: string, task: 'regression' | 'classification') => ({ algorithm, task, run: async () => void ran.push(`${algorithm} ${task}`) });
    const warmUp = idleWarmUp([step('ridge', 'classification'), step('ridge', 'regression'), step('svm', 'classification'), step('svm', 'regression')], () => true, 600_000);
    assert.equal(await warmUp.before('ridge', 'regression'), 1);
    assert.deepEqual(ran, ['ridge regression'], "a ridge regression does not run ridge classification's step");
    assert.equal(await warmUp.before('ridge', 'regression'), 0);
    assert.equal(await warmUp.before('svm'), 2, 'a training whose task is not known runs every step of its algorithm');
    assert.deepEqual(ran.slice(1), ['svm classification', 'svm regression']);
    assert.equal(await warmUp.before('ridge', 'classification'), 1);
  });

  it('has a step for every algorithm and task the bench fits first on a warm-up-less thread, each a pair the engine takes', () => {
    const steps = engineWarmUpSteps();
    const pairs = new Set(steps.map((step) => `${step.algorithm} ${step.task}`));
    for (const pair of ['linear regression', 'linear classification', 'lasso regression', 'elastic_net regression', 'ridge classification', 'least_angle regression',
      'affinity_propagation clustering', 'kmeans clustering', 'mini_batch_kmeans clustering', 'pca decomposition']) assert.ok(pairs.has(pair), pair);
    for (const step of steps) assert.ok(getLocalEngineFactory(step.algorithm).tasks.includes(step.task), `${step.algorithm} ${step.task}`);
  });

  it("runs the preparation's column statistics step, which before() never runs ahead of a fit", async () => {
    const step = preparationWarmUpStep();
    await step.run();
    assert.throws(() => getLocalEngineFactory(step.algorithm), /unknown algorithm/);
    const warmUp = idleWarmUp([step], () => false, 60_000);
    for (const algorithm of ['affinity_propagation', 'linear']) assert.equal(await warmUp.before(algorithm), 0, algorithm);
  });

  it('has steps for the SVMs solved natively too: their fits run JavaScript of ours around the solver', () => {
    const algorithms = new Set(engineWarmUpSteps().map((step) => step.algorithm));
    // svm and nu_svm: their rbf kernel matrix is built in JavaScript (libsvm/native.ts); linear_svm: liblinear.ts's trainLiblinear.
    for (const algorithm of ['stochastic_gradient_descent', 'linear', 'ridge', 'kernel_ridge', 'svm', 'nu_svm', 'linear_svm', 'gaussian_process']) assert.ok(algorithms.has(algorithm), algorithm);
  });

  it("before() fits each variant of the algorithm once more ahead of its first fit, whoever ran its steps, and only once", async () => {
    const ran: string[] = [];
    const step = (algorithm: string, variant: string | undefined, task: 'regression' | 'classification' = 'regression') => ({
      algorithm,
      task,
      ...(variant === undefined ? {} : { variant }),
      run: async () => void ran.push(`${algorithm} ${variant ?? '-'}`),
    });
    const steps = [step('svm', 'a'), step('svm', 'b'), step('svm', 'a'), step('svm', 'c', 'classification'), step('ridge', 'a'), step('sgd', undefined)];
    let busy = false;
    const warmUp = idleWarmUp(steps, () => busy, 600_000);
    // The idle loop runs every step (a thread started ahead of use).
    warmUp.start();
    await warmUp.done;
    assert.equal(ran.length, 6);
    busy = true;
    ran.length = 0;
    assert.equal(await warmUp.before('svm', 'regression'), 2, "svm regression's two variants, once each");
    assert.deepEqual(ran, ['svm a', 'svm b']);
    assert.equal(await warmUp.before('svm', 'regression'), 0, 'a tail runs once');
    assert.equal(await warmUp.before('sgd'), 0, 'a step without a variant has no tail');
    assert.equal(await warmUp.before('kmeans'), 0);
    assert.equal(await warmUp.before('svm'), 1, "the classification variant's tail is still there");
    assert.deepEqual(ran, ['svm a', 'svm b', 'svm c']);

    // before() runs the queued steps, then the tails of the variants those steps fitted.
    ran.length = 0;
    const fresh = idleWarmUp([step('ridge', 'a'), step('ridge', 'b'), step('ridge', 'a')], () => true, 600_000);
    assert.equal(await fresh.before('ridge'), 5);
    assert.deepEqual(ran, ['ridge a', 'ridge b', 'ridge a', 'ridge a', 'ridge b']);
  });

  it('gives every engine step a variant, the same for the same variant', () => {
    const steps = engineWarmUpSteps();
    for (const step of steps) assert.ok(step.variant, `${step.algorithm} ${step.task}`);
    const variants = new Set(steps.map((step) => step.variant));
    assert.ok(variants.size < steps.length, 'repeated variants share their key');
  });
});
