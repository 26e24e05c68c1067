/**
 * Large, short-lived native buffers straight from the kernel, backed by transparent huge pages where
 * Linux offers them (madvise(MADV_HUGEPAGE): the machine's THP setting is "madvise"). A fresh buffer
 * costs a page fault per page first touched, and each fault is microseconds on this VM: svm's
 * precomputed kernel matrix (14.5 MB on digits) took 3,500 faults of 4 kB per fit, since every
 * training's memory is handed back to the system (memory-release.ts); a 2 MB page takes one fault
 * for 512 of them. munmap gives the memory back at once. Elsewhere (another OS, no glibc, a mapping
 * refused) and below HUGE_PAGES_MIN_BYTES, undefined: the caller allocates as usual.
 */
import { workerData } from 'node:worker_threads';
import { libc, type Libc } from './libc.js';

const PROT_READ_WRITE = 0x1 | 0x2;
const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
const MADV_HUGEPAGE = 14;
const MADV_DONTNEED = 4;
/** Lengths are rounded up to whole huge pages: Linux then places the mapping on a huge page boundary. */
const HUGE_PAGE = 2 * 1024 * 1024;
const MAP_FAILED = 0xffffffffffffffffn;

/**
 * Below this a huge page costs more than the small pages it replaces: its fault clears all 2 MB. Thread
 * CPU of a fresh mapping with every 4 kB page written once, then unmapped (bench/algorithms/huge-pages.ts,
 * medians; svm8, BENCHMARKS.md): 30 kB 0.06–0.07 ms huge against 0.025 in 4 kB pages; 128 kB 0.055 against 0.057;
 * 256 kB 0.056 against 0.099; 1.5 MB (breast_cancer's matrix) 0.10 against 0.67; 14.5 MB (digits')
 * 1.9 against 8.3. Smaller buffers come from malloc, which reuses its freed memory without faults.
 */
export const HUGE_PAGES_MIN_BYTES = 256 * 1024;

export interface NativePages {
  pointer: unknown;
  address: bigint;
  /** The first `bytes` bytes (zeros, as the kernel maps them). */
  view: ArrayBuffer;
  free(): void;
}

/** A mapping of `length` bytes (whole huge pages) advised to be backed by huge pages, or undefined where refused. */
function mapHugePages(c: Libc, length: number): { pointer: unknown; address: bigint } | undefined {
  const pointer = c.mmap(null, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
  const address = pointer === null ? 0n : (c.k.address(pointer) as bigint);
  if (address === 0n || address === MAP_FAILED) return undefined;
  // Advice only: where THP is off the pages are 4 kB, as malloc's would be.
  c.madvise(address, length, MADV_HUGEPAGE);
  return { pointer, address };
}

/**
 * `bytes` of zeroed memory in whole huge pages, asked to be backed by them; undefined below
 * HUGE_PAGES_MIN_BYTES or where that cannot be had.
 */
export function hugePages(bytes: number): NativePages | undefined {
  const c = libc();
  if (!c || bytes < HUGE_PAGES_MIN_BYTES) return undefined;
  const length = Math.ceil(bytes / HUGE_PAGE) * HUGE_PAGE;
  const mapping = mapHugePages(c, length);
  if (!mapping) return undefined;
  let mapped = true;
  return {
    ...mapping,
    view: c.k.view(mapping.pointer, bytes),
    free: () => {
      if (mapped) c.munmap(mapping.address, length);
      mapped = false;
    },
  };
}

/** This thread's mapping that reusedHugePages hands out again (module state is per thread). */
let kept: { pointer: unknown; address: bigint; length: number; view: ArrayBuffer; inUse: boolean } | undefined;

/**
 * Where a thread tells the thread that started it which mapping it keeps: [address, length], length 0 for
 * none. A thread's end runs none of its JavaScript (terminate(), after a cancelled or out-of-memory fit or at
 * shutdown; an out-of-memory isolate), so its idle timer dies with it and the mapping, with up to
 * KEEP_PAGES_MAX_BYTES resident, would stay until the process exits. pool.ts hands each engine thread a cell
 * in workerData and unmaps what it names once the thread has exited (unmapKeptPagesOf). A thread given none
 * (the main thread, and the forests' and histograms' threads, which train neither svm nor linear) writes to a cell of its own that nobody reads.
 */
export interface KeptPagesData {
  keptPages: SharedArrayBuffer;
}

let keptCell: BigInt64Array | undefined;

function publishKept(address: bigint, length: number): void {
  if (!keptCell) {
    const given = (workerData as Partial<KeptPagesData> | null | undefined)?.keptPages;
    keptCell = new BigInt64Array(given instanceof SharedArrayBuffer ? given : new SharedArrayBuffer(16));
  }
  keptCell[0] = address;
  keptCell[1] = BigInt(length);
}

/** workerData for a thread whose kept mapping this thread unmaps with unmapKeptPagesOf once it has exited. */
export function keptPagesData(): KeptPagesData {
  return { keptPages: new SharedArrayBuffer(16) };
}

/**
 * Unmaps the mapping that the thread given `data` kept. Only after the thread's 'exit' event: the thread has
 * then been joined, so none of its code can use the mapping any more (a call into libsvm runs to its end
 * before a terminate takes effect).
 */
export function unmapKeptPagesOf(data: KeptPagesData): void {
  const cell = new BigInt64Array(data.keptPages);
  const [address, length] = cell;
  if (!address || !length) return;
  cell.fill(0n);
  libc()?.munmap(address, length);
}

/**
 * A kept mapping up to this long keeps its pages between uses, for KEEP_IDLE_MS after the last: about
 * 2,000 rows of svm's kernel matrix (digits' 1,347 take 16 MB). Longer ones give theirs back at once.
 */
export const KEEP_PAGES_MAX_BYTES = 32 * 1024 * 1024;
/** How long a kept mapping's pages stay after its last use before they are given back. */
export const KEEP_IDLE_MS = 60_000;
let idleRelease: ReturnType<typeof setTimeout> | undefined;

/**
 * Gives the kept mapping's pages back to the system now (madvise(MADV_DONTNEED): resident memory falls
 * as with munmap, and the address range stays), unless a fit is using it; when a job's memory is given
 * back (memory-release.ts) and after KEEP_IDLE_MS without a use.
 */
export function releaseKeptPages(): void {
  if (idleRelease !== undefined) clearTimeout(idleRelease);
  idleRelease = undefined;
  const c = libc();
  if (!c || !kept || kept.inUse) return;
  c.madvise(kept.address, kept.length, MADV_DONTNEED);
}

/**
 * As hugePages, but the mapping and its view stay with the thread between uses. A view of native memory
 * is an ArrayBuffer whose length V8 counts as external memory until it is collected, and every 64 MB of
 * such growth starts a full collection: a new view of digits' 14.5 MB kernel matrix per fit brought one
 * into every third or fourth fit, with 20–40 ms of marking on V8's threads beside the fit (BENCHMARKS.md,
 * svm9). Its pages stay too, up to KEEP_PAGES_MAX_BYTES, for KEEP_IDLE_MS after the last use: on this VM a
 * page given back is handed to the host once it has been free a few seconds (free page reporting), and
 * writing it again then costs the host's fault, ~2.5 ms of the thread's CPU per MB: a digits svm fit took
 * 43–48 ms where its matrix's pages were resident 20 (BENCHMARKS.md, svm10, svm12). So the proxy's resident
 * memory holds at most that much more per engine thread, for a minute after its last svm or linear training.
 * Only one user at a time: while the kept mapping is in use, a second caller gets a one-off hugePages.
 * `view` may be longer than `bytes` (the mapping of a larger earlier request), and holds what the last
 * user wrote (zeros when new): the caller writes every value it reads.
 */
export function reusedHugePages(bytes: number): NativePages | undefined {
  const c = libc();
  if (!c || bytes < HUGE_PAGES_MIN_BYTES) return undefined;
  if (kept?.inUse) return hugePages(bytes);
  if (idleRelease !== undefined) clearTimeout(idleRelease);
  idleRelease = undefined;
  if (!kept || kept.length < bytes) {
    // Withdrawn before the munmap: a thread ended between the two leaves a mapping behind, never has
    // another thread unmap an address range that may have been mapped again meanwhile.
    publishKept(0n, 0);
    if (kept) c.munmap(kept.address, kept.length);
    kept = undefined;
    const length = Math.ceil(bytes / HUGE_PAGE) * HUGE_PAGE;
    const mapping = mapHugePages(c, length);
    if (!mapping) return undefined;
    kept = { ...mapping, length, view: c.k.view(mapping.pointer, length), inUse: false };
    publishKept(kept.address, length);
  }
  const mapping = kept;
  mapping.inUse = true;
  return {
    pointer: mapping.pointer,
    address: mapping.address,
    view: mapping.view,
    free: () => {
      if (!mapping.inUse) return;
      mapping.inUse = false;
      if (mapping.length > KEEP_PAGES_MAX_BYTES) c.madvise(mapping.address, mapping.length, MADV_DONTNEED);
      // unref'd: a thread (or a process) with nothing else to do exits without waiting for it
      else idleRelease = setTimeout(releaseKeptPages, KEEP_IDLE_MS).unref();
    },
  };
}
