/**
 * Large, short-lived native buffers straight from the kernel, backed by transparent huge pages where
 * Linux offers them (madvise(MADV_HUGEPAGE): the machine's THP setting is "madvise"). A fresh buffer
 * costs a page fault per page first touched, and each fault is microseconds on this VM: svm's
 * precomputed kernel matrix (14.5 MB on digits) took 3,500 faults of 4 kB per fit, since every
 * training's memory is handed back to the system (memory-release.ts); a 2 MB page takes one fault
 * for 512 of them. munmap gives the memory back at once. Elsewhere (another OS, no glibc, a mapping
 * refused) undefined: the caller allocates as usual.
 */
import type * as Koffi from 'koffi';
import { koffi } from './native-library.js';

const PROT_READ_WRITE = 0x1 | 0x2;
const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
const MADV_HUGEPAGE = 14;
/** Lengths are rounded up to whole huge pages: Linux then places the mapping on a huge page boundary. */
const HUGE_PAGE = 2 * 1024 * 1024;
const MAP_FAILED = 0xffffffffffffffffn;

interface Libc {
  k: typeof Koffi;
  mmap: (addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => unknown;
  munmap: (addr: unknown, length: number) => number;
  madvise: (addr: unknown, length: number, advice: number) => number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return libc;
  try {
    const k = koffi();
    const lib = k.load('libc.so.6');
    libc = {
      k,
      mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as Libc['mmap'],
      munmap: lib.func('int munmap(void *addr, size_t length)') as Libc['munmap'],
      madvise: lib.func('int madvise(void *addr, size_t length, int advice)') as Libc['madvise'],
    };
  } catch {
    // not glibc: the caller's allocator
  }
  return libc;
}

export interface NativePages {
  pointer: unknown;
  address: bigint;
  /** The first `bytes` bytes (zeros, as the kernel maps them). */
  view: ArrayBuffer;
  free(): void;
}

/** `bytes` of zeroed memory in whole huge pages, asked to be backed by them; undefined where that cannot be had. */
export function hugePages(bytes: number): NativePages | undefined {
  const c = loadLibc();
  if (!c || bytes <= 0) return undefined;
  const length = Math.ceil(bytes / HUGE_PAGE) * HUGE_PAGE;
  const pointer = c.mmap(null, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
  const address = pointer === null ? 0n : (c.k.address(pointer) as bigint);
  if (address === 0n || address === MAP_FAILED) return undefined;
  // Advice only: where THP is off the pages are 4 kB, as malloc's would be.
  c.madvise(pointer, length, MADV_HUGEPAGE);
  let mapped = true;
  return {
    pointer,
    address,
    view: c.k.view(pointer, bytes),
    free: () => {
      if (mapped) c.munmap(pointer, length);
      mapped = false;
    },
  };
}
