import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { koffi } from '../../../../src/pgml/engines/native-library.js';
import { boundOpenMpSpinning, GOMP_SPIN_COUNT } from '../../../../src/pgml/engines/openmp.js';

describe('boundOpenMpSpinning', () => {
  it('bounds the spin where the user chose nothing', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/bin' };
    assert.equal(boundOpenMpSpinning(env), true);
    assert.equal(env.GOMP_SPINCOUNT, String(GOMP_SPIN_COUNT));
  });

  it("leaves a user's spin count or wait policy as it is", () => {
    const spin: NodeJS.ProcessEnv = { GOMP_SPINCOUNT: '300000' };
    assert.equal(boundOpenMpSpinning(spin), false);
    assert.deepEqual(spin, { GOMP_SPINCOUNT: '300000' });
    const passive: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'passive' };
    assert.equal(boundOpenMpSpinning(passive), false);
    assert.deepEqual(passive, { OMP_WAIT_POLICY: 'passive' });
  });

  // libgomp reads the C environment (getenv) when it is loaded, not Node's copy.
  it('sets the variable where getenv(3) reads it', { skip: process.platform !== 'linux' }, () => {
    const saved = { spin: process.env.GOMP_SPINCOUNT, policy: process.env.OMP_WAIT_POLICY };
    delete process.env.GOMP_SPINCOUNT;
    delete process.env.OMP_WAIT_POLICY;
    try {
      const getenv = koffi().load('libc.so.6').func('const char* getenv(const char* name)') as (name: string) => string | null;
      assert.equal(getenv('GOMP_SPINCOUNT'), null);
      assert.equal(boundOpenMpSpinning(), true);
      assert.equal(getenv('GOMP_SPINCOUNT'), String(GOMP_SPIN_COUNT));
    } finally {
      for (const [name, value] of [['GOMP_SPINCOUNT', saved.spin], ['OMP_WAIT_POLICY', saved.policy]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
