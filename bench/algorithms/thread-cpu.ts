// The calling thread's CPU time in ms, from clock_gettime(CLOCK_THREAD_CPUTIME_ID) through koffi: exact to the
// nanosecond, where /proc's schedstat lags a running thread by up to a scheduler tick (4 ms) and
// process.cpuUsage() adds V8's compiler threads. For the in-process benches that split a fit's cost.
import koffi from 'koffi';

const CLOCK_THREAD_CPUTIME_ID = 3;
const libc = koffi.load('libc.so.6');
const timespec = koffi.struct('bench_timespec', { tv_sec: 'int64_t', tv_nsec: 'int64_t' });
const clockGettime = libc.func('int clock_gettime(int clock, _Out_ bench_timespec* ts)');

export function threadCpuMs(): number {
  const ts = { tv_sec: 0, tv_nsec: 0 };
  clockGettime(CLOCK_THREAD_CPUTIME_ID, ts);
  return Number(ts.tv_sec) * 1e3 + Number(ts.tv_nsec) / 1e6;
}
