// OpenBLAS's kernels: its fallback for a CPU it does not recognise is replaced by the kernels the CPU's
// flags allow, through a reload with OPENBLAS_CORETYPE; any other choice, and the user's, stands.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coreForFlags, cpuFlags, FALLBACK_CORE, replacementCore } from '../../../../src/pgml/engines/openblas-core.js';

// Before the first load (each test file runs in its own process): OpenBLAS is made to take its fallback,
// as it did by itself on a CPU it did not know.
process.env.OPENBLAS_CORETYPE = FALLBACK_CORE;
const { blasStatus, describeBlas, reloadBlasWithCore, rowsTimesColumns } = await import('../../../../src/pgml/engines/blas.js');

const AVX512 = ['avx', 'avx2', 'fma', 'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

describe('the OpenBLAS core for a CPU', () => {
  it('is SkylakeX with AVX-512, Haswell with AVX2 and FMA, none below', () => {
    assert.equal(coreForFlags(new Set(AVX512)), 'SkylakeX');
    assert.equal(coreForFlags(new Set(AVX512.filter((f) => f !== 'avx512vl'))), 'Haswell');
    assert.equal(coreForFlags(new Set(['sse3', 'avx', 'avx2', 'fma'])), 'Haswell');
    assert.equal(coreForFlags(new Set(['sse3', 'avx', 'avx2'])), undefined);
    assert.equal(coreForFlags(new Set()), undefined);
  });

  it('replaces only the fallback, never the user\'s OPENBLAS_CORETYPE, not with PGML_BLAS_CORETYPE=off', () => {
    const flags = new Set(AVX512);
    assert.equal(replacementCore('Prescott', flags, {}), 'SkylakeX');
    assert.equal(replacementCore('Prescott', new Set(['avx2', 'fma']), {}), 'Haswell');
    assert.equal(replacementCore('Prescott', new Set(['sse3']), {}), undefined);
    for (const chosen of ['Cooperlake', 'SkylakeX', 'Zen', 'Haswell', undefined]) assert.equal(replacementCore(chosen, flags, {}), undefined);
    assert.equal(replacementCore('Prescott', flags, { OPENBLAS_CORETYPE: 'Prescott' }), undefined);
    assert.equal(replacementCore('Prescott', flags, { PGML_BLAS_CORETYPE: 'off' }), undefined);
  });

  it('reads this machine\'s flags from /proc/cpuinfo', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
    assert.ok(cpuFlags().has('fpu'));
  });
});

describe('reloading OpenBLAS with another core', () => {
  const status = blasStatus();
  const core = coreForFlags(cpuFlags());
  const skip = status.status !== 'loaded' || status.value.core === undefined ? 'OpenBLAS is not installed'
    : !core ? 'this CPU has no kernels above the fallback' : false;

  it('runs the new kernels after the main thread\'s reload, with the same products, and says so', { skip }, () => {
    assert.equal(status.status === 'loaded' && status.value.core, FALLBACK_CORE);
    assert.match(describeBlas(), new RegExp(`OpenBLAS kernels ${FALLBACK_CORE} \\(OPENBLAS_CORETYPE\\)`));
    // digits' shape: 1347 rows, 64 columns and the intercept's, 10 outputs
    const n = 1347;
    const cols = 65;
    const x = Float64Array.from({ length: n * cols }, (_, i) => (i % cols === 64 ? 1 : Math.floor(Math.abs(Math.sin(i * 12.9898) * 17))));
    const w = Float64Array.from({ length: 10 * cols }, (_, i) => Math.cos(i) / 8);
    const before = new Float64Array(n * 10);
    rowsTimesColumns(x, n, cols, w, 10, before);

    const reloaded = reloadBlasWithCore(core!);
    assert.equal(reloaded.status === 'loaded' && reloaded.value.core, core);
    assert.equal(reloaded.status === 'loaded' && reloaded.value.replaced, FALLBACK_CORE);
    assert.equal(blasStatus(), reloaded);
    assert.equal(process.env.OPENBLAS_CORETYPE, core);
    assert.match(describeBlas(), new RegExp(`OpenBLAS kernels ${core} in place of its ${FALLBACK_CORE} fallback`));
    const after = new Float64Array(n * 10);
    rowsTimesColumns(x, n, cols, w, 10, after);
    // Another kernel's order of additions: the same products up to rounding.
    after.forEach((v, i) => assert.ok(Math.abs(v - before[i]!) <= 1e-12 * Math.max(1, Math.abs(before[i]!)), `score ${i}: ${v} vs ${before[i]}`));
  });
});
