/**
 * The C library's memory calls, bound through koffi once per thread (koffi's functions belong to the
 * thread that bound them): mapping and unmapping memory and advising the kernel on it (native-pages.ts),
 * dropping pages and trimming malloc's arenas (memory-release.ts), reading the thread's CPU clock
 * (fit-trace.ts). glibc on Linux only: elsewhere (another OS, musl, a binding refused) null, and each
 * caller keeps the system's own behaviour.
 */
import type * as Koffi from 'koffi';
import { koffi } from './native-library.js';

/** sysconf's _SC_PAGESIZE on Linux. */
const SC_PAGESIZE = 30;
/** clock_gettime's clock of the calling thread's CPU time on Linux. */
const CLOCK_THREAD_CPUTIME_ID = 3;

export interface Libc {
  k: typeof Koffi;
  /** The system's page size in bytes (sysconf). */
  pageSize: number;
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): unknown;
  /** Addresses as integers (uintptr_t is void*'s width): koffi then passes them as given. */
  munmap(address: bigint, length: number | bigint): number;
  madvise(address: bigint, length: number | bigint, advice: number): number;
  mallocTrim(pad: number): number;
  /**
   * The calling thread's CPU time in nanoseconds (clock_gettime(CLOCK_THREAD_CPUTIME_ID)): exact, where
   * /proc's schedstat lags a running thread by up to a scheduler tick and process.cpuUsage() is every thread's.
   */
  threadCpuNs(): number;
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
    const clockGettime = lib.func('int clock_gettime(int clock, _Out_ int64_t *ts)') as (clock: number, ts: BigInt64Array) => number;
    const timespec = new BigInt64Array(2);
    bound = {
      k,
      pageSize,
      mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as Libc['mmap'],
      munmap: lib.func('int munmap(uintptr_t addr, size_t length)') as Libc['munmap'],
      madvise: lib.func('int madvise(uintptr_t addr, size_t length, int advice)') as Libc['madvise'],
      mallocTrim: lib.func('int malloc_trim(size_t pad)') as Libc['mallocTrim'],
      threadCpuNs: () => (clockGettime(CLOCK_THREAD_CPUTIME_ID, timespec), Number(timespec[0]!) * 1e9 + Number(timespec[1]!)),
    };
  } catch {
    // Not glibc: the callers' fallbacks (the allocator's own memory, its own policy).
  }
  return bound;
}
