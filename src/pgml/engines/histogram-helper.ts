/**
 * A second thread for HistTreeGrower's steps (histogram-step.ts): scikit-learn sums its
 * histograms and finds its splits on OpenMP threads, one feature per task. Both threads claim features
 * of a step from a shared counter; the helper (histogram-thread.ts) joins a step when it wakes, and a
 * step the grower finished alone before the helper woke is closed to it (compareExchange on JOINED), so
 * the grower never waits for a helper that is slow to wake or gone: it waits only for a feature the
 * helper is doing, and fails fast when the helper reports an error or that feature takes far longer
 * than any feature can. Requests and answers are counters in shared memory, waited on with
 * Atomics.wait (the grower runs on an engine thread, never on the event loop); histograms the grower
 * allocates reach the helper through a MessagePort it reads synchronously (and its error comes back
 * through it: the port has no listener, so nothing reads it but receiveMessageOnPort).
 */
import { MessageChannel, receiveMessageOnPort, resourceLimits, type MessagePort, type Worker } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import { startEngineThread } from './engine-thread.js';
import { claimFeatures, DONE, FAILED, JOINED, REQUEST, setStep, STOP, type Step, type StepArrays } from './histogram-step.js';

/** What the helper thread receives: the shared arrays, each feature's last bin, its port. */
export interface HelperJob {
  arrays: StepArrays;
  lastBins: Int32Array;
  port: MessagePort;
}

/** A histogram the grower allocated, and from the helper, the message of its failure. */
export type HelperMessage = { slot: number; histogram: Float64Array } | { error: string };

/**
 * A feature's step takes milliseconds even on a loaded machine; a helper that has not finished its
 * feature in this long is taken for dead (killed without a word, as by its heap limit).
 */
const FEATURE_WAIT_MS = 10_000;

export class HistogramHelper {
  private sequence = 0;

  private constructor(
    private readonly arrays: StepArrays,
    private readonly thread: Worker,
    private readonly port: MessagePort,
  ) {}

  /** Starts the thread and waits until it runs (the caller's event loop is free while it loads). */
  static async start(arrays: StepArrays, lastBins: Int32Array): Promise<HistogramHelper> {
    const { port1, port2 } = new MessageChannel();
    const job: HelperJob = { arrays, lastBins, port: port2 };
    // The engine thread's heap bound, as a forest's tree threads (the helper allocates almost nothing).
    const thread = startEngineThread('histogram-thread', { workerData: job, transferList: [port2], resourceLimits });
    await new Promise<void>((resolve, reject) => {
      thread.once('message', () => resolve());
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new PgError(SqlState.InternalError, `the histogram thread stopped (exit code ${code}) before it started`)));
    });
    thread.removeAllListeners();
    // Later failures are read from the port or the shared arrays by run(); no unheard rejection.
    thread.on('error', () => {});
    return new HistogramHelper(arrays, thread, port1);
  }

  /** Hands the helper a histogram the grower allocated (it reads it before its next step). */
  register(slot: number, histogram: Float64Array): void {
    this.port.postMessage({ slot, histogram } satisfies HelperMessage);
  }

  /** Runs the step with the helper's help; the features the helper did are in the shared histograms. */
  run(step: Step, histograms: readonly Float64Array[], lastBins: Int32Array): void {
    const { control } = this.arrays;
    const sequence = ++this.sequence;
    setStep(this.arrays, step);
    Atomics.store(control, REQUEST, sequence);
    Atomics.notify(control, REQUEST);
    claimFeatures(this.arrays, histograms, lastBins);
    // The helper did not join: it never will for this step.
    if (Atomics.compareExchange(control, JOINED, sequence - 1, sequence) === sequence - 1) return;
    // DONE holds the last step the helper joined, not always the one before this.
    for (let done = Atomics.load(control, DONE); done !== sequence; done = Atomics.load(control, DONE)) {
      if (Atomics.wait(control, DONE, done, FEATURE_WAIT_MS) === 'timed-out' && Atomics.load(control, DONE) !== sequence) {
        throw new PgError(SqlState.InternalError, 'the histogram thread of hist_gradient_boosting stopped answering');
      }
    }
    if (Atomics.load(control, FAILED) === 1) throw this.failure();
  }

  private failure(): PgError {
    const message = receiveMessageOnPort(this.port)?.message as HelperMessage | undefined;
    const detail = message && 'error' in message ? message.error : 'no message';
    return new PgError(SqlState.InternalError, `the histogram thread of hist_gradient_boosting failed: ${detail}`);
  }

  async close(): Promise<void> {
    const { control } = this.arrays;
    Atomics.store(control, STOP, 1);
    Atomics.store(control, REQUEST, ++this.sequence);
    Atomics.notify(control, REQUEST);
    this.port.close();
    await this.thread.terminate();
  }
}
