import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainRequest } from '../../../../src/pgml/training/options.js';

describe('pgml.train arguments', () => {
  it("applies PostgresML's defaults", () => {
    const r = trainRequest({ project_name: 'p' }, null);
    assert.equal(r.algorithm, 'linear');
    assert.equal(r.testSize, 0.25);
    assert.equal(r.testSampling, 'stratified');
    assert.equal(r.automaticDeploy, true);
    assert.equal(r.materializeSnapshot, false);
    assert.equal(r.task, null);
    assert.deepEqual(r.hyperparams, {});
  });

  it('treats NULL as the default and reads text-encoded parameters', () => {
    const r = trainRequest(
      { project_name: 'p', algorithm: null, test_size: '0.5', automatic_deploy: 'f', hyperparams: '{"alpha": 1}' },
      ['y'],
    );
    assert.equal(r.algorithm, 'linear');
    assert.equal(r.testSize, 0.5);
    assert.equal(r.automaticDeploy, false);
    assert.deepEqual(r.hyperparams, { alpha: 1 });
  });

  it('refuses bad values with 22023', () => {
    assert.throws(() => trainRequest({ project_name: 'p', task: 'forecast' }, null), { code: '22023' });
    assert.throws(() => trainRequest({ project_name: 'p', test_sampling: 'sideways' }, null), { code: '22023' });
    assert.throws(() => trainRequest({ project_name: 'p', search: 'bayes' }, null), { code: '22023' });
    assert.throws(() => trainRequest({ project_name: 'p', runtime: 'gpu' }, null), { code: '22023' });
    assert.throws(() => trainRequest({ project_name: 'p', hyperparams: '[1]' }, null), { code: '22023' });
  });
});
