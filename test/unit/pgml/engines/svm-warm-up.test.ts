import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { svmWarmUpSteps } from '../../../../src/pgml/engines/svm-warm-up.js';
import { loadSplit } from './sklearn-reference.js';

/** The serialized models of the svm family on real data, as a user's fits would give them. */
async function models(): Promise<string[]> {
  const diabetes = loadSplit('diabetes');
  const iris = loadSplit('iris');
  const fits = [
    ['svm', iris, 'classification', { probability: true, random_state: 1 }],
    ['svm', diabetes, 'regression', {}],
    ['nu_svm', iris, 'classification', {}],
    ['linear_svm', iris, 'classification', {}],
    ['linear_svm', diabetes, 'regression', { random_state: 1 }],
  ] as const;
  const out: string[] = [];
  for (const [algorithm, split, task, hyperparams] of fits) {
    const engine = getLocalEngineFactory(algorithm).create();
    await engine.fit(split.train, { task, hyperparams, numClasses: split.numClasses });
    out.push(Buffer.from(await engine.serialize()).toString('base64'));
  }
  return out;
}

describe('svm JIT warm-up', () => {
  it('runs every step and changes no model', async () => {
    const before = await models();
    const steps = svmWarmUpSteps();
    assert.ok(steps.length > 0);
    for (const step of steps) await step();
    assert.deepEqual(await models(), before);
  });
});
