// The XGBoost training's peak memory (issue 15): a training of one model drops its float32 training
// rows from memory once libxgboost holds them as bins, before the boosting allocates its own memory,
// so the matrix, the bins and the boosting's buffers are never resident together. Counted in resident
// megabytes of the matrix's own mapping (/proc/self/smaps), not in time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { PgError, SqlState } from '../../../../src/errors/index.js';
import { discardPages } from '../../../../src/pgml/engines/memory-release.js';
import { koffi } from '../../../../src/pgml/engines/native-library.js';
import { closePool } from '../../../../src/pgml/engines/pool.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { nativeXgboostStatus } from '../../../../src/pgml/engines/xgboost/native.js';
import { datasetFromMatrix, matrixBuilder, planDataset, type DatasetJob } from '../../../../src/pgml/preparation/dataset.js';
import { prepareAndFit } from '../../../../src/pgml/training/prepare.js';
import { datasetSplits, fitAndScore } from '../../../../src/pgml/training/score.js';

after(() => closePool());

const MB = 1024 * 1024;

/** Resident MB of the mapping of this process that holds `view`'s first byte (/proc/self/smaps). */
function residentMb(view: Float32Array): number {
  const address = koffi().address(view) as bigint;
  let inside = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header) inside = BigInt(`0x${header[1]}`) <= address && address < BigInt(`0x${header[2]}`);
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss && inside) return Number(rss[1]) / 1024;
  }
  throw new Error('no mapping holds the matrix');
}

/**
 * `rows` of one float4[`width`] feature and a 0/1 label, as the read builds them (a growable shared
 * matrix, a mapping of its own), the last quarter held out: deterministic, so two calls give the same job.
 */
function wideJob(rows: number, width: number): DatasetJob {
  const plan = planDataset({ task: 'classification', columns: [{ name: 'e', type: 'float4[]' }, { name: 'y', type: 'int4' }], yColumnNames: ['y'] });
  const builder = matrixBuilder(plan, 1 << 30, (bytes) => new PgError(SqlState.OutOfMemory, `${bytes} bytes`));
  let seed = 12345;
  for (let r = 0; r < rows; r++) {
    builder.beginRow();
    builder.arrayStart(0, width);
    let sum = 0;
    for (let e = 0; e < width; e++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const v = seed / 0x7fffffff - 0.5;
      if (e < 3) sum += v;
      builder.number(0, v);
    }
    builder.number(1, sum > 0 ? 1 : 0);
    builder.endRow();
  }
  return { plan, raw: builder.finish(), options: { testSize: 0.25, testSampling: 'last' } };
}

/** Metrics without the timings, which differ from run to run. */
function untimed(metrics: Record<string, number>): Record<string, number> {
  const { fit_time: _fit, score_time: _score, ...rest } = metrics;
  return rest;
}

const linux = process.platform === 'linux';
const native = nativeXgboostStatus().status === 'loaded';

describe('memory of an XGBoost training', () => {
  it('discardPages drops only the whole pages inside a view: its first and last partial pages, and the rows around it, keep their values', { skip: !linux && 'madvise is Linux' }, () => {
    const x = new Float32Array(new SharedArrayBuffer(4 * MB));
    x.fill(7);
    // A view that starts and ends inside a page, as a training split of a matrix does.
    const view = x.subarray(1000, 1000 + 600_000);
    const dropped = discardPages(view);
    assert.ok(dropped >= view.byteLength - 2 * 65536 && dropped <= view.byteLength, `${dropped} of ${view.byteLength} bytes dropped`);
    assert.equal(x[999], 7, 'before the view');
    assert.equal(x[1000], 7, "the view's first partial page is kept");
    assert.equal(x[1000 + 600_000 - 1], 7, "the view's last partial page is kept");
    assert.equal(x[1000 + 600_000], 7, 'after the view');
    assert.equal(x[1000 + 300_000], 0, 'a page inside the view reads as zeros: it was given back');
  });

  it(
    'a one-model training drops its float32 training rows before the first boosting round, and trains the same model as on intact rows',
    { skip: (!linux && 'reads /proc/self/smaps') || (!native && 'no native libxgboost') },
    async () => {
      const rows = 1 << 17;
      const width = 64;
      const hyperparams = { n_estimators: 2, max_depth: 2, tree_method: 'hist', nthread: 1 };
      const matrixMb = (rows * width * 4) / MB; // 32 MB, 24 of them training rows
      const heldOutMb = matrixMb / 4;

      // The same training on intact rows, in this thread: what the job's model and metrics must equal.
      const expected = await (async () => {
        const { plan, raw, options } = wideJob(rows, width);
        const data = datasetFromMatrix(plan, raw, options);
        const engine = getLocalEngineFactory('xgboost').create();
        const fitted = await fitAndScore({ engine, task: 'classification', hyperparams, ...datasetSplits(data) });
        const model = await engine.serialize();
        engine.dispose?.();
        return { model, metrics: fitted.metrics };
      })();

      const job = wideJob(rows, width);
      assert.ok(residentMb(job.raw.x) >= matrixMb * 0.99, 'the whole matrix is resident before the training');
      const residentAtRounds: number[] = [];
      const result = await prepareAndFit(
        { dataset: job, algorithm: 'xgboost', task: 'classification', hyperparams },
        { dataset: () => undefined, progress: () => residentAtRounds.push(residentMb(job.raw.x)) },
        new AbortController().signal,
      );
      assert.equal(residentAtRounds.length, hyperparams.n_estimators);
      // The held-out rows (8 MB), scored after the fit, and a partial page at the split; without the
      // drop the whole 32 MB matrix is resident through the boosting.
      assert.ok(
        residentAtRounds.every((mb) => mb <= heldOutMb + 1),
        `resident MB of the ${matrixMb} MB matrix at each round: ${residentAtRounds.join(', ')} (held-out rows: ${heldOutMb} MB)`,
      );
      assert.deepEqual(result.model, expected.model, 'the same model as trained on intact rows');
      assert.deepEqual(untimed(result.metrics), untimed(expected.metrics));
    },
  );
});
