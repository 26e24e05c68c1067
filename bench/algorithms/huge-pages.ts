// What a fresh native buffer costs in page faults, by size: thread CPU (thread-cpu.ts) of mapping `bytes`, writing
// one double in every 4 kB page, and unmapping it, three ways alternated: `hp` anonymous memory advised
// MADV_HUGEPAGE (native-pages.ts; whole 2 MB pages), `k4` the same without the advice (4 kB pages, what a
// fresh malloc'd buffer of that size meets after memory-release.ts trimmed the arenas), `malloc` koffi.alloc/free
// (glibc reusing its own freed memory: no faults). For native-pages.ts's HUGE_PAGES_MIN_BYTES.
// `node --import tsx bench/algorithms/huge-pages.ts [MB,MB,...] [repetitions]`: one JSON line per size, medians.
import koffi from 'koffi';
import { loadavg } from 'node:os';
import { threadCpuMs } from './thread-cpu.js';

const libc = koffi.load('libc.so.6');
const mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const munmap = libc.func('int munmap(void *addr, size_t length)');
const madvise = libc.func('int madvise(void *addr, size_t length, int advice)');
const getrusage = libc.func('int getrusage(int who, void *usage)');
const RUSAGE_THREAD = 1;
const usage = Buffer.alloc(144);
/** ru_minflt: the 9th long of struct rusage (after two timevals and four longs). */
function minorFaults(): number {
  getrusage(RUSAGE_THREAD, usage);
  return Number(usage.readBigInt64LE(64));
}
const HUGE_PAGE = 2 << 20;
const PROT_READ_WRITE = 3;
const MAP_PRIVATE_ANONYMOUS = 0x22;
const MADV_HUGEPAGE = 14;
const sizes = (process.argv[2] ?? '0.03,0.0625,0.125,0.25,0.5,1,1.5,2,4,8,14.5').split(',').map(Number);
const repetitions = Number(process.argv[3] ?? 60);

function once(kind: 'hp' | 'k4' | 'malloc', bytes: number): { cpu: number; faults: number } {
  const cpu = threadCpuMs();
  const faults = minorFaults();
  let pointer: unknown;
  let length = bytes;
  if (kind === 'malloc') pointer = koffi.alloc('double', bytes / 8);
  else {
    length = kind === 'hp' ? Math.ceil(bytes / HUGE_PAGE) * HUGE_PAGE : bytes;
    pointer = mmap(null, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
    if (kind === 'hp') madvise(pointer, length, MADV_HUGEPAGE);
  }
  const view = new Float64Array(koffi.view(pointer, bytes));
  for (let i = 0; i < view.length; i += 512) view[i] = i;
  if (kind === 'malloc') koffi.free(pointer);
  else munmap(pointer, length);
  return { cpu: threadCpuMs() - cpu, faults: minorFaults() - faults };
}

const median = (a: number[]): number => +[...a].sort((p, q) => p - q)[a.length >> 1]!.toFixed(3);
for (const mb of sizes) {
  const bytes = Math.round((mb * (1 << 20)) / 8) * 8;
  const runs = { hp: [] as number[], k4: [] as number[], malloc: [] as number[] };
  const faults = { hp: 0, k4: 0, malloc: 0 };
  for (let i = 0; i < repetitions; i++) {
    for (const kind of i % 2 ? (['hp', 'k4', 'malloc'] as const) : (['malloc', 'k4', 'hp'] as const)) {
      const r = once(kind, bytes);
      runs[kind].push(r.cpu);
      faults[kind] = r.faults;
    }
  }
  console.log(JSON.stringify({
    bench: 'huge-pages', mb, hp_ms: median(runs.hp), k4_ms: median(runs.k4), malloc_ms: median(runs.malloc), faults,
    load_average: loadavg().map((v) => +v.toFixed(1)),
  }));
}
