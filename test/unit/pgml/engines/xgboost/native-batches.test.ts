// The native QuantileDMatrix fed in batches whose rows are dropped as libxgboost builds its bins
// (issue 15): the same model bytes as from one batch on intact rows, dense, with missing values and with
// two label columns, and the rows dropped before the construction ends.
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync } from 'node:fs';
import { describe, it } from 'node:test';
import { discardPages } from '../../../../../src/pgml/engines/memory-release.js';
import { koffi } from '../../../../../src/pgml/engines/native-library.js';
import type { TrainInput } from '../../../../../src/pgml/engines/xgboost/booster.js';
import { nativeXgboostStatus } from '../../../../../src/pgml/engines/xgboost/native.js';

const status = nativeXgboostStatus();
const runtime = status.status === 'loaded' ? status.value : undefined;
const passesKnown = runtime !== undefined && /^1\.7\./.test(runtime.version);

const COLS = 16;
/** 4 MB batches of 16 columns are 65,536 rows: five batches, the last one short. */
const ROWS = 300_000;

/** Deterministic rows and labels in their own shared buffers (a mapping each, as the read's matrix). */
function data(options: { missingEvery?: number; targets?: number } = {}): { x: Float32Array; y: Float32Array } {
  const targets = options.targets ?? 1;
  const x = new Float32Array(new SharedArrayBuffer(ROWS * COLS * 4));
  const y = new Float32Array(new SharedArrayBuffer(ROWS * targets * 4));
  let seed = 987654321;
  for (let r = 0; r < ROWS; r++) {
    let sum = 0;
    for (let c = 0; c < COLS; c++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const v = seed / 0x7fffffff - 0.5;
      if (c < 4) sum += v;
      x[r * COLS + c] = options.missingEvery !== undefined && (r * COLS + c) % options.missingEvery === 0 ? Number.NaN : v;
    }
    for (let t = 0; t < targets; t++) y[r * targets + t] = targets === 1 ? (sum > 0 ? 1 : 0) : sum * (t + 1);
  }
  return { x, y };
}

function input(x: Float32Array, y: Float32Array, targets = 1): TrainInput {
  const objective = targets === 1 ? 'binary:logistic' : 'reg:squarederror';
  return {
    x,
    rows: ROWS,
    cols: COLS,
    y,
    targets,
    params: [
      ['objective', objective],
      ['tree_method', 'hist'],
      ['max_depth', '4'],
      ['nthread', '2'],
    ],
    rounds: 3,
  };
}

function modelOf(train: TrainInput): Uint8Array {
  const booster = runtime!.train(train);
  try {
    return booster.save();
  } finally {
    booster.free();
  }
}

/** Resident MB of `view`'s own pages: the present bit of each in /proc/self/pagemap (8 bytes a page). */
function residentMb(view: Float32Array): number {
  const page = 4096;
  const address = Number(koffi().address(view) as bigint);
  const first = Math.floor(address / page);
  const last = Math.ceil((address + view.byteLength) / page);
  const entries = Buffer.alloc((last - first) * 8);
  const fd = openSync('/proc/self/pagemap', 'r');
  try {
    readSync(fd, entries, 0, entries.length, first * 8);
  } finally {
    closeSync(fd);
  }
  let present = 0;
  for (let i = 0; i < last - first; i++) if (entries.readBigUInt64LE(i * 8) >> 63n === 1n) present++;
  return (present * page) / 2 ** 20;
}

const skip = (runtime === undefined && 'no native libxgboost') || (!passesKnown && `libxgboost ${runtime?.version}: rows are dropped after the construction only`) || (process.platform !== 'linux' && 'madvise and smaps are Linux');

describe('native XGBoost: the QuantileDMatrix in batches, rows dropped as they are binned', { skip }, () => {
  for (const [name, options] of [
    ['dense rows', {}],
    ['rows with missing values', { missingEvery: 7 }],
    ['two label columns', { targets: 2 }],
  ] as const) {
    it(`${name}: the same model bytes as one batch on intact rows; the rows go before the construction ends`, () => {
      const targets = 'targets' in options ? options.targets : 1;
      const intact = data(options);
      const expected = modelOf(input(intact.x, intact.y, targets));

      const dropped = data(options);
      const calls: Array<{ rows: number; residentBefore: number }> = [];
      const model = modelOf({
        ...input(dropped.x, dropped.y, targets),
        onRowsRead: (rows) => {
          calls.push({ rows, residentBefore: residentMb(dropped.x) });
          discardPages(dropped.x.subarray(0, rows * COLS));
        },
      });
      assert.deepEqual(Buffer.from(model), Buffer.from(expected), 'the same model as from intact rows in one batch');
      const counts = calls.map((c) => c.rows);
      assert.ok(counts.length > 2, `dropped in steps: ${counts.join(', ')}`);
      assert.ok(counts.every((n, i) => i === 0 || n >= counts[i - 1]!), `growing counts: ${counts.join(', ')}`);
      assert.equal(counts.at(-1), ROWS);
      // The construction's own last drop reaches the end: by the final call after the construction,
      // nothing but a partial page is resident.
      const final = calls.at(-1)!;
      assert.ok(final.residentBefore < 0.1, `resident MB of the ${(ROWS * COLS * 4) / 2 ** 20} MB rows when the construction was done: ${final.residentBefore}`);
      assert.ok(calls[0]!.residentBefore > 15, 'the rows were resident when the first batch was dropped');
    });
  }

  it('without leave to drop the rows, one batch and the rows untouched', () => {
    const { x, y } = data();
    const copy = x.slice();
    modelOf(input(x, y));
    assert.deepEqual(x, copy);
  });
});
