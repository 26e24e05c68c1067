// The tail this machine puts on a fixed amount of work: one thread computes the same thing over and over
// (no I/O, no allocation, nothing for a collector to do), each repetition timed. Whatever stretches one
// repetition (the guest's timer tick, an interrupt, the host preempting the virtual CPU) stretches a
// request of the same length as much, wherever it runs, so its p99 ÷ p50 is a floor under the request's.
// On the VMs this project is measured on (2 vCPUs, HZ 250, guest halt polling off) a tick costs ~20 µs:
// a 25 µs repetition's p99 was 42–49 µs (BENCHMARKS.md, issue 16, lead runs of stop 36).
import { performance } from 'node:perf_hooks';

let sink = 0;

function work(steps: number): number {
  let a = 1;
  for (let i = 0; i < steps; i++) a = a * 1.0000001 + 1e-9;
  return a;
}

/** How many steps of `work` take `targetMs` on this machine now (after warming the JIT). */
export function calibrate(targetMs: number): number {
  for (let i = 0; i < 2000; i++) sink += work(1000);
  let steps = 1000;
  for (;;) {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const start = performance.now();
      sink += work(steps);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[25]!;
    if (median >= targetMs) return steps;
    steps = Math.ceil(steps * Math.min(2, Math.max(1.05, targetMs / median)));
  }
}

/** `repetitions` timed repetitions of `steps` steps of work, each in ms (as pgbench's samples). */
export function fixedWork(steps: number, repetitions: number): number[] {
  const samples = new Array<number>(repetitions);
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    sink += work(steps);
    samples[i] = performance.now() - start;
  }
  if (sink === 0) throw new Error('unreachable: keeps the work from being optimized away');
  return samples;
}
