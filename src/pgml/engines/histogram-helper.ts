/**
 * A second thread for HistTreeGrower's large histograms (scikit-learn sums its histograms on OpenMP
 * threads, one feature per task). The grower's thread sums features [0, split), the helper
 * (histogram-thread.ts) sums [split, cols) into a histogram of its own, which the grower then copies:
 * each feature's bins are still summed by one thread in row order, so the sums, and the trees, are
 * those of one thread. The arrays are shared (SharedArrayBuffer); a request and its answer are counters
 * in shared memory, waited on with Atomics.wait (the grower runs on an engine thread, never on the
 * event loop; a histogram takes milliseconds, far more than a thread's wake-up).
 */
import { resourceLimits, type Worker } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import { startEngineThread } from './engine-thread.js';
import type { HistogramInputs } from './histogram-sums.js';

/** Slots of the control array. */
export const REQUEST = 0;
export const DONE = 1;
export const START = 2;
export const COUNT = 3;
export const HESSIANS = 4;
export const STOP = 5;

/** What the helper thread receives: the shared arrays and its features. */
export interface HistogramJob {
  inputs: HistogramInputs;
  /** The helper's features are [split, cols). */
  split: number;
  cols: number;
  /** The helper's histogram (the grower's size; only the helper's features are written). */
  histogram: Float64Array;
  control: Int32Array;
}

/** Longer than any histogram takes on a loaded machine: past it the helper is taken for dead. */
const WAIT_MS = 120_000;

export class HistogramHelper {
  private sequence = 0;

  private constructor(private readonly job: HistogramJob, private readonly thread: Worker) {}

  /** Starts the thread and waits until it runs (the caller's event loop is free while it loads). */
  static async start(inputs: HistogramInputs, cols: number): Promise<HistogramHelper> {
    const size = inputs.offsets[cols]!;
    // The helper takes the features from the one where the histogram's second half begins.
    let split = 1;
    while (split < cols - 1 && inputs.offsets[split]! < size / 2) split++;
    const job: HistogramJob = {
      inputs,
      split,
      cols,
      histogram: new Float64Array(new SharedArrayBuffer(size * 8)),
      control: new Int32Array(new SharedArrayBuffer(4 * 6)),
    };
    // The engine thread's heap bound, as a forest's tree threads (the helper allocates almost nothing).
    const thread = startEngineThread('histogram-thread', { workerData: job, resourceLimits });
    await new Promise<void>((resolve, reject) => {
      thread.once('message', () => resolve());
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new PgError(SqlState.InternalError, `the histogram thread stopped (exit code ${code}) before it started`)));
    });
    thread.removeAllListeners();
    // A failure after start surfaces as a wait that times out in finish(); no unheard rejection.
    thread.on('error', () => {});
    return new HistogramHelper(job, thread);
  }

  get split(): number {
    return this.job.split;
  }

  /** Asks for the helper's features of the histogram of indices[start, start + n). */
  begin(start: number, n: number, withHessians: boolean): void {
    const { control } = this.job;
    control[START] = start;
    control[COUNT] = n;
    control[HESSIANS] = withHessians ? 1 : 0;
    Atomics.store(control, REQUEST, ++this.sequence);
    Atomics.notify(control, REQUEST);
  }

  /** Waits for the helper's features and copies them into `histogram`. */
  finish(histogram: Float64Array): void {
    const { control, inputs, split, cols } = this.job;
    while (Atomics.load(control, DONE) !== this.sequence) {
      if (Atomics.wait(control, DONE, this.sequence - 1, WAIT_MS) === 'timed-out') {
        throw new PgError(SqlState.InternalError, 'the histogram thread of hist_gradient_boosting stopped answering');
      }
    }
    const { offsets } = inputs;
    histogram.set(this.job.histogram.subarray(offsets[split]!, offsets[cols]!), offsets[split]!);
  }

  async close(): Promise<void> {
    Atomics.store(this.job.control, STOP, 1);
    Atomics.store(this.job.control, REQUEST, ++this.sequence);
    Atomics.notify(this.job.control, REQUEST);
    await this.thread.terminate();
  }
}
