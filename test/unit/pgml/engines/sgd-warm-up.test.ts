import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { idleWarmUp, sgdWarmUpSteps } from '../../../../src/pgml/engines/sgd-warm-up.js';
import { loadSplit } from './sklearn-reference.js';

/** The serialized models of the SGD family on real data, as a user's fits would give them. */
async function models(): Promise<string[]> {
  const diabetes = loadSplit('diabetes');
  const digits = loadSplit('digits');
  const fits = [
    ['stochastic_gradient_descent', diabetes, 'regression'],
    ['passive_aggressive', diabetes, 'regression'],
    ['stochastic_gradient_descent', digits, 'classification'],
    ['perceptron', digits, 'classification'],
    ['passive_aggressive', digits, 'classification'],
  ] as const;
  const out: string[] = [];
  for (const [algorithm, split, task] of fits) {
    const engine = getLocalEngineFactory(algorithm).create();
    await engine.fit(split.train, { task, hyperparams: { random_state: 3 }, numClasses: split.numClasses });
    out.push(Buffer.from(await engine.serialize()).toString('base64'));
  }
  return out;
}

describe('SGD JIT warm-up', () => {
  it('runs every step and changes no model', async () => {
    const before = await models();
    const steps = sgdWarmUpSteps();
    assert.ok(steps.length > 0);
    for (const step of steps) await step();
    assert.deepEqual(await models(), before);
  });

  it('runs only after the thread has been idle, waits again after a request, and a failing step ends it quietly', async () => {
    const ran: number[] = [];
    let busy = true;
    const steps = [0, 1, 2, 3].map((i) => async () => {
      if (i === 2) throw new Error('step failed');
      ran.push(i);
    });
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
});
