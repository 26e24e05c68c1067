import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rbfExp } from '../../../../src/pgml/engines/libsvm/rbf-exp.js';

/** Units in the last place between two positive doubles. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8));
}

describe('rbfExp (the precomputed rbf kernel\'s exp)', () => {
  it('rounds to the float Math.exp rounds to, within 2 ulps of it, over rbf\'s arguments', () => {
    // a deterministic sweep of −745 … 1: whole, tiny and in-between arguments, each table slot and 2^k
    let worst = 0;
    for (let i = 0; i <= 400000; i++) {
      const x = i % 2 ? -((i * 0.6180339887498949) % 1) * 10 ** ((i % 7) - 4) : -746 + i * (747 / 400000);
      const expected = Math.exp(x);
      const actual = rbfExp(x);
      assert.equal(Math.fround(actual), Math.fround(expected), `float of exp(${x})`);
      if (expected >= 2.2250738585072014e-308) worst = Math.max(worst, Math.abs(ulps(actual, expected)));
    }
    assert.ok(worst <= 2, `${worst} ulps from Math.exp`);
  });

  it('is 1 at 0, 0 below underflow, and keeps NaN and the infinities', () => {
    assert.equal(rbfExp(0), 1);
    assert.equal(rbfExp(-0), 1);
    assert.equal(rbfExp(-746), 0);
    assert.equal(rbfExp(-Infinity), 0);
    assert.equal(rbfExp(Infinity), Infinity);
    assert.ok(Number.isNaN(rbfExp(NaN)));
    assert.equal(rbfExp(1), Math.E);
  });
});
