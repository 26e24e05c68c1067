// Memory the training read leaves behind (issue 15): the matrix an engine thread decoded is given back
// once the main thread lets go of it, though the decoding thread then sits idle. Counted in resident
// megabytes of a matrix far larger than anything else the test allocates, not in time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { releaseFreedMemory } from '../../../../src/pgml/engines/memory-release.js';
import { closePool, warmEnginePool } from '../../../../src/pgml/engines/pool.js';
import { describeColumn } from '../../../../src/pgml/preparation/columns.js';
import type { RawMatrix } from '../../../../src/pgml/preparation/raw-matrix.js';
import { OffThreadRowSink } from '../../../../src/pgml/store/off-thread-rows.js';

after(() => closePool());

const MB = 1024 * 1024;

/**
 * Resident MB of each anonymous mapping of this process holding at least `minMb` (/proc/self/smaps):
 * a matrix is a growable SharedArrayBuffer, a mapping of its own, so these are the matrices alive.
 * The chunks are 64 KB mallocs, in [heap] or glibc's 64 MB arena heaps, never one mapping this large.
 */
function matrixMappingsMb(minMb: number): number[] {
  const sizes: number[] = [];
  let anonymous = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) anonymous = header[1] === '';
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss && anonymous && Number(rss[1]) / 1024 >= minMb) sizes.push(Math.round(Number(rss[1]) / 1024));
  }
  return sizes;
}

/** A DataRow (type byte and length as the session frames it) of one float4[] of `width` elements and a float4 label. */
function wideRow(width: number, value: number): Buffer {
  const row = Buffer.alloc(5 + 2 + 4 + 20 + width * 8 + 4 + 4);
  let at = 0;
  row.write('D', at);
  row.writeInt32BE(row.length - 1, 1);
  at = 5;
  at = row.writeInt16BE(2, at);
  at = row.writeInt32BE(20 + width * 8, at);
  // array_send: one dimension, no NULLs, float4 (700), `width` elements from 1.
  for (const v of [1, 0, 700, width, 1]) at = row.writeInt32BE(v, at);
  for (let e = 0; e < width; e++) {
    at = row.writeInt32BE(4, at);
    at = row.writeFloatBE(value + e, at);
  }
  at = row.writeInt32BE(4, at);
  row.writeFloatBE(1, at);
  return row;
}

/** `rows` of a float4[] of `width` through the off-thread read, as pgml.train reads a relation (the sink let go once it answers). */
async function readWide(rows: number, width: number): Promise<RawMatrix> {
  const specs = [describeColumn({ name: 'e', type: 'float4[]' }), describeColumn({ name: 'y', type: 'float4' })];
  const sink = new OffThreadRowSink({ specs, labelNames: ['y'], relation: { schema: 'public', name: 'wide' }, maxBytes: 1 << 30 });
  const row = wideRow(width, 0.5);
  for (let r = 0; r < rows; r++) {
    sink.row(row, 5);
    // A turn now and then: decoded chunks come back to be filled again, as they do between socket reads.
    if (r % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
  }
  return sink.finish();
}

describe('memory the training read leaves behind', { skip: process.platform !== 'linux' && 'reads /proc/self/status' }, () => {
  it('gives the decoded matrix back once the main thread lets go, though the decoding thread then sits idle', async () => {
    await warmEnginePool([]);
    const width = 2048;
    const rows = 16 * 1024;
    const matrixMb = (rows * width * 4) / MB; // 128 MB
    let raw: RawMatrix | undefined = await readWide(rows, width);
    assert.equal(raw.rows, rows);
    assert.equal(raw.x[width + 3], 3.5);
    const minMb = matrixMb * 0.9;
    assert.deepEqual(matrixMappingsMb(minMb), [matrixMb], 'the matrix, resident while referenced');
    // The main thread lets go (a turn later, when the read's closed port is gone too) and collects; the
    // decoding thread gives its reference back by itself, 100 ms after its reply (worker.ts). Looked at
    // for up to 2 s: an idle thread that kept the matrix kept it for good (until its next job).
    raw = undefined;
    await new Promise((r) => setTimeout(r, 0));
    releaseFreedMemory();
    let left = matrixMappingsMb(minMb);
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = matrixMappingsMb(minMb);
    }
    assert.deepEqual(left, [], `no ${matrixMb} MB matrix left once the main thread let go: an idle engine thread still holds it`);
  });
});
