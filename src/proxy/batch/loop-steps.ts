/**
 * One-pass batches on the event loop. A batch runs there in two synchronous steps: reading its
 * rows' arguments and handing them to the engine, and, when the engine answers, placing the results
 * in the rows and writing them. Other clients' messages wait behind whatever the loop runs at once,
 * so each step takes a turn of the loop of its own (nextTurn): many batches ready together (the
 * pool answers merged predictions at once, a socket read brings thousands of rows) do not add up to
 * one long hold. How long each batch's longest step took is kept (LoopHolds): the standard is that
 * it stays small and bounded whatever the statement's size (BENCHMARKS.md records it). Read and
 * reset by /metrics (pgml_proxy_one_pass_batch_hold_seconds) and bench/predict-batch.
 */

const waiting: (() => void)[] = [];
let scheduled = false;

/**
 * Resolves in a turn of the event loop of its own, in call order: the continuation runs as one step
 * and the loop polls for I/O before the next one. (An immediate queued by an immediate runs in the
 * next turn; a promise's continuations run right after the immediate that resolved it.)
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(runOneStep);
    }
  });
}

function runOneStep(): void {
  waiting.shift()?.();
  if (waiting.length > 0) setImmediate(runOneStep);
  else scheduled = false;
}

/** Holds kept between two reads; older ones are overwritten (the largest is kept apart). */
const KEPT = 8192;

export interface HoldSummary {
  batches: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

export class LoopHolds {
  private holds: number[] = [];
  private batches = 0;
  private max = 0;

  record(ms: number): void {
    // Past KEPT the oldest slot is overwritten (a ring): the summary reads the latest KEPT.
    this.holds[this.batches % KEPT] = ms;
    this.batches++;
    this.max = Math.max(this.max, ms);
  }

  /** The holds since the last take, in milliseconds; starts the next period. */
  take(): HoldSummary {
    const sorted = this.holds.sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    const summary = { batches: this.batches, medianMs: at(0.5), p99Ms: at(0.99), maxMs: this.max };
    this.holds = [];
    this.batches = 0;
    this.max = 0;
    return summary;
  }
}

/** The process's one-pass batches (src/proxy/batch/one-pass.ts records; main.ts reports). */
export const onePassLoopHolds = new LoopHolds();
