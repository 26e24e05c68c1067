/**
 * The C library's memory calls, bound through koffi once per thread (koffi's functions belong to the
 * thread that bound them): mapping and unmapping memory and advising the kernel on it (native-pages.ts),
 * dropping pages and trimming malloc's arenas (memory-release.ts). glibc on Linux only: elsewhere (another
 * OS, musl, a binding refused) null, and each caller keeps the system's own behaviour.
 */
import type * as Koffi from 'koffi';
import { koffi } from './native-library.js';

/** sysconf's _SC_PAGESIZE on Linux. */
const SC_PAGESIZE = 30;

export interface Libc {
  k: typeof Koffi;
  /** The system's page size in bytes (sysconf). */
  pageSize: number;
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): unknown;
  /** Addresses as integers (uintptr_t is void*'s width): koffi then passes them as given. */
  munmap(address: bigint, length: number | bigint): number;
  madvise(address: bigint, length: number | bigint, advice: number): number;
  mallocTrim(pad: number): number;
}

let bound: Libc | null | undefined;

export function libc(): Libc | null {
  if (bound !== undefined) return bound;
  bound = null;
  if (process.platform !== 'linux') return bound;
  try {
    const k = koffi();
    const lib = k.load('libc.so.6');
    const pageSize = Number((lib.func('long sysconf(int name)') as (name: number) => number | bigint)(SC_PAGESIZE));
    if (!Number.isInteger(pageSize) || pageSize <= 0) return bound;
    bound = {
      k,
      pageSize,
      mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as Libc['mmap'],
      munmap: lib.func('int munmap(uintptr_t addr, size_t length)') as Libc['munmap'],
      madvise: lib.func('int madvise(uintptr_t addr, size_t length, int advice)') as Libc['madvise'],
      mallocTrim: lib.func('int malloc_trim(size_t pad)') as Libc['mallocTrim'],
    };
  } catch {
    // Not glibc: the callers' fallbacks (the allocator's own memory, its own policy).
  }
  return bound;
}
