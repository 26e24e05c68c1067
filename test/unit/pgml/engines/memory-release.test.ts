import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { after, describe, it } from 'node:test';
import { collectYoungGeneration, releaseFreedMemory, RELEASE_MIN_SHARED_BYTES, sharedBytes } from '../../../../src/pgml/engines/memory-release.js';
import { closePool, runInWorker, warmEnginePool } from '../../../../src/pgml/engines/pool.js';

after(() => closePool());

const MB = 1024 * 1024;

/** The process's resident set in MB (Linux). */
function residentMb(): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kb) / 1024;
}

describe('sharedBytes', () => {
  it('counts each SharedArrayBuffer that typed arrays in a job view once, through nested plain objects', () => {
    const matrix = new SharedArrayBuffer(4 * MB);
    const labels = new SharedArrayBuffer(MB);
    const job = {
      dataset: { raw: { x: new Float32Array(matrix), y: new Float64Array(labels) }, options: { testSize: 0.25 } },
      views: [new Float32Array(matrix, 0, 16), new Float32Array(matrix, 64)],
      local: new Float32Array(8 * MB),
    };
    assert.equal(sharedBytes(job), 5 * MB);
    assert.equal(sharedBytes({ keys: Array.from({ length: 100 }, () => new Float32Array(matrix)) }), 0, 'a long plain array is data, not looked into');
    assert.equal(sharedBytes(null), 0);
  });
});

describe('memory a job leaves behind', { skip: process.platform !== 'linux' && 'reads /proc/self/status' }, () => {
  it("gives a training job's shared matrix back once the job has ended, though the worker then sits idle", async () => {
    await warmEnginePool([]);
    const module = new URL('./fixtures/read-matrix.ts', import.meta.url).href;
    const bytes = 256 * MB;
    assert.ok(bytes >= RELEASE_MIN_SHARED_BYTES);
    releaseFreedMemory();
    const before = residentMb();
    let x: Float32Array | undefined = new Float32Array(new SharedArrayBuffer(bytes)).fill(1);
    const sum = await runInWorker('', 'run', { module, name: 'sumMatrix', input: { x }, what: 'reading a matrix' });
    assert.equal(sum, bytes / 4 / 1024);
    const held = residentMb();
    assert.ok(held - before > 200, `the matrix is resident while referenced: ${held.toFixed(0)} MB against ${before.toFixed(0)} MB before`);
    // The main thread lets go of its reference too; the memory is freed once every thread has collected it.
    x = undefined;
    releaseFreedMemory();
    // The worker releases again 100 ms after its reply (worker.ts: a release right at the reply may still
    // find the matrix referenced), so the memory may come back a little after the job: wait up to 2 s.
    let left = residentMb();
    for (let waited = 0; held - left <= 192 && waited < 2000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      releaseFreedMemory();
      left = residentMb();
    }
    // Measured as what letting go returned: the worker's JIT warm-up may allocate meanwhile.
    assert.ok(held - left > 192, `RSS ${left.toFixed(0)} MB once let go against ${held.toFixed(0)} MB while held: the idle worker still holds the matrix`);
  });
});

describe('collectYoungGeneration', () => {
  /** Bytes in use in V8's young generation (new space) of this thread. */
  const youngBytes = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_used_size;

  /** Garbage in the young generation: 30,000 small objects, about 1.8 MB. */
  function makeYoungGarbage(): number {
    const garbage: unknown[] = [];
    for (let i = 0; i < 30_000; i++) garbage.push({ i, values: [i, i + 1] });
    return garbage.length;
  }

  it('empties the young generation of garbage, so that a fit that follows starts with an empty nursery', () => {
    // One round first: a fresh thread's nursery starts at 1 MB and grows through scavenges during the
    // loop, and V8 then keeps mostly-live pages whole (dead objects included) instead of copying them,
    // so a first round left 0.5-1.6 of its 1.8 MB young. From the second round on, it fits.
    makeYoungGarbage();
    collectYoungGeneration();
    const start = youngBytes();
    assert.equal(makeYoungGarbage(), 30_000);
    const grown = youngBytes() - start;
    assert.ok(grown > 1024 * 1024, `the garbage took ${grown} bytes of the young generation`);
    collectYoungGeneration();
    const left = youngBytes() - start;
    assert.ok(left < grown / 4, `${left} bytes more than at the start left young after the scavenge, of ${grown}`);
  });
});
