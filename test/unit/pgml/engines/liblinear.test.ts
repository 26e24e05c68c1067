// linear_svm on liblinear 2.3 (liblinear.ts) against the TypeScript port it replaces when installed. The
// dual solvers (hinge, epsilon_insensitive) are the same algorithm in both, shuffled by different random
// sequences: they end within the tolerance of one optimum. The primal Newton method differs in one
// documented way: 2.3 preconditions its conjugate gradients (scikit-learn's copy and the port do not),
// so where tol stops it early (unscaled breast_cancer) the weights differ while the scores agree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { liblinearStatus } from '../../../../src/pgml/engines/liblinear.js';
import { closePool } from '../../../../src/pgml/engines/pool.js';
import { getEngineFactory, getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import type { Task } from '../../../../src/pgml/engines/engine.js';
import { accuracy, loadSplit, r2, type Split } from './sklearn-reference.js';

const skipReason = liblinearStatus().status === 'loaded' ? false : 'liblinear 2.3 (Debian: liblinear4) is not installed';
const diabetes = loadSplit('diabetes');
const breastCancer = loadSplit('breast_cancer');
const iris = loadSplit('iris');

async function fit(split: Split, task: Task, hyperparams: Record<string, unknown>, runtime?: 'js') {
  const engine = getLocalEngineFactory('linear_svm').create();
  const pinned = process.env.PGML_LINEAR_SVM_RUNTIME;
  if (runtime) process.env.PGML_LINEAR_SVM_RUNTIME = runtime;
  try {
    await engine.fit(split.train, { task, hyperparams, ...(task === 'classification' ? { numClasses: split.numClasses } : {}) });
  } finally {
    if (pinned === undefined) delete process.env.PGML_LINEAR_SVM_RUNTIME;
    else process.env.PGML_LINEAR_SVM_RUNTIME = pinned;
  }
  const predicted = await engine.predict(split.test.x, split.test.rows);
  const score = task === 'classification' ? accuracy(split.test.y!, predicted) : r2(split.test.y!, predicted);
  return { engine, predicted, score };
}

describe('linear_svm on liblinear against the TypeScript port', { skip: skipReason }, () => {
  const cases: [Split, Task, Record<string, unknown>, number][] = [
    [breastCancer, 'classification', { random_state: 0 }, 0.02],
    [iris, 'classification', { C: 0.5, random_state: 0 }, 0],
    [iris, 'classification', { loss: 'hinge', random_state: 0 }, 0.03],
    [diabetes, 'regression', { random_state: 0 }, 0.01],
    [diabetes, 'regression', { loss: 'squared_epsilon_insensitive', C: 10, random_state: 0 }, 0.01],
  ];
  for (const [split, task, hyperparams, margin] of cases) {
    it(`${split.name} ${JSON.stringify(hyperparams)}: scores within ${margin} of the port`, async () => {
      const native = await fit(split, task, hyperparams);
      const port = await fit(split, task, hyperparams, 'js');
      assert.equal(native.engine.runtime, 'native');
      assert.equal(port.engine.runtime, 'js');
      assert.ok(Math.abs(native.score - port.score) <= margin, `liblinear ${native.score}, port ${port.score}`);
    });
  }

  // The same dual coordinate descent on both sides: predictions agree to its tolerance, whatever the shuffle.
  const regressions: [Record<string, unknown>, number][] = [
    [{ random_state: 0 }, 5e-3],
    [{ epsilon: 20, random_state: 0 }, 5e-3],
    [{ intercept_scaling: 100, C: 0.1, random_state: 0 }, 5e-3],
    [{ epsilon: 10, C: 10, fit_intercept: false, random_state: 0 }, 5e-3],
    [{ loss: 'squared_epsilon_insensitive', epsilon: 30, random_state: 0 }, 2e-2],
  ];
  for (const [hyperparams, tolerance] of regressions) {
    it(`diabetes ${JSON.stringify(hyperparams)}: predictions within ${tolerance} of the port's`, async () => {
      const native = await fit(diabetes, 'regression', hyperparams);
      const port = await fit(diabetes, 'regression', hyperparams, 'js');
      port.predicted.forEach((v, r) => {
        const gap = Math.abs(native.predicted[r]! - v) / Math.max(1, Math.abs(v));
        assert.ok(gap <= tolerance, `row ${r}: liblinear ${native.predicted[r]}, port ${v}`);
      });
    });
  }

  it('iris with C = 0.5 predicts every test row as the port does', async () => {
    const native = await fit(iris, 'classification', { C: 0.5 });
    const port = await fit(iris, 'classification', { C: 0.5 }, 'js');
    assert.deepEqual(Array.from(native.predicted), Array.from(port.predicted));
  });

  it('keeps the runtime through serialize and deserialize', async () => {
    const { engine, predicted } = await fit(breastCancer, 'classification', {});
    const again = await getLocalEngineFactory('linear_svm').deserialize(await engine.serialize());
    assert.equal(again.runtime, 'native');
    assert.deepEqual(Array.from(await again.predict(breastCancer.test.x, breastCancer.test.rows)), Array.from(predicted));
  });

  it('leaves a max_iter other than its fixed 1000 to the port, and the notice says why', async () => {
    const { engine } = await fit(diabetes, 'regression', { max_iter: 500, random_state: 0 });
    assert.equal(engine.runtime, 'js');
    const notice = getLocalEngineFactory('linear_svm').runtimeNotice!('js');
    assert.match(notice!, /TypeScript port of liblinear.*max_iter/);
    assert.equal(getLocalEngineFactory('linear_svm').runtimeNotice!('native'), undefined);
  });
});

describe('dual trainings in several engine threads at once', { skip: skipReason }, () => {
  after(() => closePool());

  // libc's rand() is the process's: without the lock around srand and train (process-lock.ts), trainings
  // overlapping in the pool's threads draw from one sequence and end on other weights than alone.
  // (iris with hinge loss: without the lock one of 12 differed in each of four runs.)
  for (const [split, task, hyperparams] of [[iris, 'classification', { loss: 'hinge', random_state: 3 }]] as const) {
    it(`${split.name} ${JSON.stringify(hyperparams)}: each gives the model it gives alone`, async () => {
      const factory = getEngineFactory('linear_svm', task);
      const trained = async (): Promise<Buffer> => {
        const engine = factory.create();
        await engine.fit(split.train, { task, hyperparams, ...(task === 'classification' ? { numClasses: split.numClasses } : {}) });
        assert.equal(engine.runtime, 'native');
        return Buffer.from(await engine.serialize());
      };
      const alone = await trained();
      const together = await Promise.all(Array.from({ length: 12 }, trained));
      together.forEach((model, i) => assert.ok(model.equals(alone), `training ${i} of 12 differs from the lone one`));
    });
  }
});

describe('finding liblinear', () => {
  // A fresh process: each thread loads the library once.
  const describeWith = (path: string): string => {
    const module = new URL('../../../../src/pgml/engines/liblinear.ts', import.meta.url).href;
    const code = `import { describeLiblinear } from ${JSON.stringify(module)}; console.log(describeLiblinear());`;
    return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, PGML_LIBLINEAR_LIB: path },
      encoding: 'utf8',
    }).trim();
  };

  it('PGML_LIBLINEAR_LIB naming a missing file: not used, and the reason names the file', () => {
    assert.equal(describeWith('/nonexistent/liblinear.so.4'), 'liblinear was found but failed to load: /nonexistent/liblinear.so.4: no such file (PGML_LIBLINEAR_LIB)');
  });

  const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6', '/usr/lib/libc.so.6'].find(existsSync);
  it('a library that is not liblinear 2.2x–2.3x is refused with the reason', { skip: libc ? false : 'no libc.so.6 found' }, () => {
    const line = describeWith(libc!);
    assert.ok(line.startsWith(`liblinear was found but failed to load: ${libc}: `) && line.includes('liblinear_version'), line);
  });
});
