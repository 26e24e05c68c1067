import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, mock } from 'node:test';
import { HUGE_PAGES_MIN_BYTES, hugePages, KEEP_IDLE_MS, KEEP_PAGES_MAX_BYTES, releaseKeptPages, reusedHugePages } from '../../../../src/pgml/engines/native-pages.js';
import { closePool, runInWorker } from '../../../../src/pgml/engines/pool.js';

/** The lines of /proc/self/smaps for the mapping that starts at `address`. */
function smapsOf(address: bigint): string[] {
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${address.toString(16)}-`));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && /^[0-9a-f]+-[0-9a-f]+ /.test(line));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** Whether Linux gives madvised mappings huge pages here (THP "madvise" or "always"). */
const hugePagesOffered = (() => {
  try {
    return /\[(always|madvise)\]/.test(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    return false;
  }
})();

describe('hugePages (large short-lived native buffers)', { skip: process.platform !== 'linux' ? 'Linux only' : false }, () => {
  it('maps zeroed, writable memory at its address, and gives it back', () => {
    const bytes = 3 * 1024 * 1024 + 8;
    const pages = hugePages(bytes);
    assert.ok(pages, 'a mapping');
    assert.equal(pages.view.byteLength, bytes);
    assert.ok(pages.address > 0n && pages.address % 4096n === 0n, 'page-aligned');
    const values = new Float64Array(pages.view);
    assert.ok(values.every((v) => v === 0), 'zeros');
    values[values.length - 1] = 1.5;
    values[0] = -2;
    assert.equal(values[values.length - 1], 1.5);
    assert.equal(values[0], -2);
    pages.free();
    pages.free();
  });

  it('maps nothing for nothing, nor below HUGE_PAGES_MIN_BYTES (malloc memory costs less there)', () => {
    assert.equal(hugePages(0), undefined);
    assert.equal(hugePages(HUGE_PAGES_MIN_BYTES - 8), undefined);
    const pages = hugePages(HUGE_PAGES_MIN_BYTES);
    assert.ok(pages);
    pages.free();
  });

  it('asks for huge pages: the mapping is advised and eligible for them', { skip: hugePagesOffered ? false : 'transparent huge pages are off' }, () => {
    const pages = hugePages(HUGE_PAGES_MIN_BYTES);
    assert.ok(pages);
    try {
      const smaps = smapsOf(pages.address);
      assert.ok(smaps.length > 0, 'the mapping is in /proc/self/smaps');
      // hg: the VMA carries MADV_HUGEPAGE; THPeligible: the kernel may back it with huge pages.
      assert.ok(smaps.some((line) => /^VmFlags:.* hg( |$)/.test(line)), smaps.join('\n'));
      assert.ok(smaps.some((line) => /^THPeligible:\s+1$/.test(line)), smaps.join('\n'));
    } finally {
      pages.free();
    }
    assert.deepEqual(smapsOf(pages.address), [], 'unmapped');
  });

  /** Resident kB of the mapping at `address`. */
  const residentKb = (address: bigint): number => Number(/^Rss:\s+(\d+) kB$/m.exec(smapsOf(address).join('\n'))?.[1]);

  it('reusedHugePages: the same mapping and view again once freed, its pages kept; a second user meanwhile gets its own', () => {
    const bytes = 3 * 1024 * 1024;
    const first = reusedHugePages(bytes);
    assert.ok(first);
    const values = new Float64Array(first.view);
    assert.ok(values.length * 8 >= bytes);
    assert.ok(values.every((v) => v === 0), 'zeros when new');
    values.fill(7, 0, bytes / 8);
    // Another user while the first holds it: a mapping of its own.
    const other = reusedHugePages(HUGE_PAGES_MIN_BYTES);
    assert.ok(other);
    assert.notEqual(other.address, first.address);
    other.free();
    first.free();
    assert.ok(residentKb(first.address) >= bytes / 1024, 'its pages stay resident after free');
    const smaller = reusedHugePages(bytes / 2);
    assert.ok(smaller);
    assert.equal(smaller.address, first.address, 'the kept mapping');
    assert.equal(smaller.view, first.view, 'and its view: no new external memory for V8 to count');
    assert.equal(new Float64Array(smaller.view)[0], 7, 'holding what the last user wrote');
    releaseKeptPages();
    assert.ok(residentKb(first.address) >= bytes / 1024, 'not released while in use');
    smaller.free();
    releaseKeptPages();
    assert.equal(residentKb(first.address), 0, 'no page resident once released');
    const larger = reusedHugePages(2 * bytes);
    assert.ok(larger);
    assert.ok(larger.view.byteLength >= 2 * bytes);
    assert.ok(new Float64Array(larger.view).every((v) => v === 0));
    larger.free();
    releaseKeptPages();
    if (larger.address !== first.address) assert.deepEqual(smapsOf(first.address), [], 'the outgrown mapping is unmapped');
  });

  it('reusedHugePages gives the pages back KEEP_IDLE_MS after the last use, and at once above KEEP_PAGES_MAX_BYTES', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const bytes = 4 * 1024 * 1024;
      const pages = reusedHugePages(bytes);
      assert.ok(pages);
      new Float64Array(pages.view).fill(1, 0, bytes / 8);
      pages.free();
      mock.timers.tick(KEEP_IDLE_MS - 1);
      assert.ok(residentKb(pages.address) >= bytes / 1024, 'kept until the idle time is up');
      const again = reusedHugePages(bytes);
      assert.ok(again);
      again.free();
      mock.timers.tick(KEEP_IDLE_MS - 1);
      assert.ok(residentKb(pages.address) >= bytes / 1024, 'a use starts the idle time again');
      mock.timers.tick(1);
      assert.equal(residentKb(pages.address), 0, 'given back after it');
      const large = reusedHugePages(KEEP_PAGES_MAX_BYTES + 8);
      assert.ok(large);
      new Uint8Array(large.view).fill(1);
      large.free();
      assert.equal(residentKb(large.address), 0, 'a mapping over the limit gives its pages back when freed');
    } finally {
      mock.timers.reset();
    }
  });

  it("an engine thread's kept mapping is unmapped once the thread has ended (its idle timer ends with it)", async () => {
    const bytes = 4 * 1024 * 1024;
    const module = new URL('./fixtures/kept-pages.ts', import.meta.url).href;
    let address: bigint | undefined;
    try {
      address = (await runInWorker('', 'run', { module, name: 'keepHugePages', input: bytes, what: 'keeping huge pages' })) as bigint | undefined;
      assert.ok(address, 'a kept mapping');
      assert.ok(residentKb(address) >= bytes / 1024, 'kept, its pages resident, while the thread lives');
    } finally {
      // Terminates the pool's threads, as a cancelled or out-of-memory fit ends its thread: no code of theirs runs.
      await closePool();
    }
    assert.deepEqual(smapsOf(address), [], 'unmapped once the thread has ended');
  });
});
