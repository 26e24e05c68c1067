import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PgError } from '../../../../src/errors/index.js';
import { describeLibsvm, libsvmStatus, nativeSvmTrain } from '../../../../src/pgml/engines/libsvm/native.js';
import { supportVectors, svmPredictValues, svmTrain, type SvmParams } from '../../../../src/pgml/engines/libsvm/train.js';
import { nuSvmFactory, svmFactory } from '../../../../src/pgml/engines/svm.js';

// This file's own process: libsvm is looked for on first use, after this line, at a file that is not there.
const missing = '/nonexistent/pgml-proxy-test/libsvm.so.3';
process.env.PGML_LIBSVM_LIB = missing;

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/libsvm.json', import.meta.url), 'utf8')) as {
  data: Record<string, { x: number[][]; y: number[]; test: number[][] }>;
};

describe('svm and nu_svm without a loadable libsvm (PGML_LIBSVM_LIB pointing to a missing file)', () => {
  it('reports the override\'s path as failed, not as "not installed"', () => {
    assert.equal(libsvmStatus().status, 'failed');
    assert.match(describeLibsvm(), /^libsvm was found but failed to load: .*no such file \(PGML_LIBSVM_LIB\)/);
    assert.ok(describeLibsvm().includes(missing));
  });

  it('train on the TypeScript port, record runtime js, say why, and give the port\'s model', async () => {
    const d = fixture.data.iris!;
    const cols = d.x[0]!.length;
    const data = { x: Float32Array.from(d.x.flat()), y: Float32Array.from(d.y), rows: d.y.length, cols };
    const test = Float32Array.from(d.test.flat());
    for (const factory of [svmFactory, nuSvmFactory]) {
      const engine = factory.create();
      assert.equal(engine.runtime, 'js');
      await engine.fit(data, { task: 'classification', hyperparams: { gamma: 0.25 }, numClasses: 3 });
      assert.equal(engine.runtime, 'js');
      assert.equal((await factory.deserialize(await engine.serialize())).runtime, 'js');
      const notice = factory.runtimeNotice!('js', { gamma: 0.25 }) ?? '';
      assert.ok(notice.startsWith(`${factory.algorithm} trained on the TypeScript port of scikit-learn's libsvm, not on native libsvm: libsvm was found but failed to load`), notice);

      const params: SvmParams = {
        type: factory === svmFactory ? 'c_svc' : 'nu_svc', kernel: 'rbf', degree: 3, gamma: 0.25, coef0: 0, C: 1, nu: 0.5,
        epsilon: 0.1, tol: 1e-3, shrinking: true, cacheSize: 200, maxIter: -1,
      };
      const x = Float64Array.from(data.x);
      const model = svmTrain({ x, y: Float64Array.from(data.y), rows: data.rows, cols }, params);
      const sv = supportVectors(x, cols, model.support);
      const expected = d.test.map((_, r) => svmPredictValues(model, params, sv, cols, Float64Array.from(test), r * cols));
      assert.deepEqual(Array.from(await engine.predict(test, d.test.length)), expected);
    }
  });

  it('refuses a native training with 55000 and the reason', () => {
    assert.throws(
      () => nativeSvmTrain(new Float64Array(4), Float64Array.of(0, 1), 2, 2, {} as SvmParams),
      (e: unknown) => e instanceof PgError && e.code === '55000' && (e.detail ?? '').includes(missing),
    );
  });
});
