// fileReadsSettled (file-reads.ts): a latency thread waits with it for the reads transformers.js
// leaves running, and gives up on a read that never ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileReadsSettled } from '../../../../src/pgml/embeddings/file-reads.js';

describe('fileReadsSettled', () => {
  it('resolves once a stream reading a file of 512 chunks has read all of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgml-file-reads-'));
    try {
      const size = 512 * 64 * 1024;
      writeFileSync(join(dir, 'weights'), Buffer.alloc(size, 1));
      let read = 0;
      createReadStream(join(dir, 'weights')).on('data', (chunk) => (read += chunk.length));
      await fileReadsSettled();
      assert.equal(read, size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up after its limit on a read that does not end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgml-file-reads-'));
    const fifo = join(dir, 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
      // Opening a FIFO for reading waits for a writer: a file request that stays pending.
      const stream = createReadStream(fifo);
      stream.on('error', () => {});
      await fileReadsSettled(200);
      assert.ok(process.getActiveResourcesInfo().includes('FSReqCallback'), 'the read is still pending');
      // A writer lets the open end, and closing it ends the stream.
      closeSync(openSync(fifo, 'w'));
      await new Promise<void>((resolve) => stream.on('close', () => resolve()).resume());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
