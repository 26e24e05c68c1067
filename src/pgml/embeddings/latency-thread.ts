/**
 * A model's single texts (`SELECT pgml.embed(m, $1)`) on a thread of their own, reached through
 * shared memory (latency-channel.ts) instead of the embedding thread's messages. onnxruntime-node
 * runs a session synchronously on the thread that calls it, so on the embedding thread a single
 * text waited for the batch (another connection's UPDATE) being run there. This thread holds the
 * model's latency session (onnxruntime's threads stop spinning at the end of each run); the
 * embedding thread keeps the batch sessions and answers whatever this thread cannot take now: a
 * second single text while one is running, a text too long for the channel, an error.
 */
import type { Worker } from 'node:worker_threads';
import { startThreadBeside } from '../thread-start.js';
import { exitOf, stopThread } from '../thread-stop.js';
import { LatencyChannel, type LatencyRequest } from './latency-channel.js';
import { DEFAULT_LATENCY_SPIN_US } from './spinning.js';

export interface LatencyThreadData {
  dir: string;
  /** How long its onnxruntime pool thread spins after a run (spinning.ts). */
  spinUs: number;
}

export type LatencyReply = { ready: true; buffer: SharedArrayBuffer } | { ready: false; error: string };

export class LatencyThread {
  /** The request out, until the thread has answered it. */
  private inFlight: Promise<unknown> | undefined;
  private closed = false;
  /** Texts this thread has answered. */
  answered = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly exited: Promise<number>,
    private readonly channel: LatencyChannel,
  ) {
    // A request waiting for a thread that is gone is let go, to the embedding thread.
    const lost = () => {
      this.closed = true;
      channel.close();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
  }

  /** Starts the thread on the model in `dir` and waits until its session is loaded. */
  static async start(dir: string, spinUs = DEFAULT_LATENCY_SPIN_US): Promise<LatencyThread> {
    const worker = startThreadBeside(import.meta.url, 'latency-worker', { workerData: { dir, spinUs } satisfies LatencyThreadData });
    const exited = exitOf(worker);
    const ready = await new Promise<LatencyReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the latency thread exited with code ${code}`)));
    });
    if (!ready.ready) {
      // It exits by itself after a failed load.
      await exited;
      throw new Error(ready.error);
    }
    worker.unref();
    return new LatencyThread(worker, exited, new LatencyChannel(ready.buffer));
  }

  /** Whether a request is out (a canceled one stays out until the thread has finished it). */
  get running(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * The text's vector; undefined when this thread does not answer it (busy with another, closed,
   * the text too long, a failure): the caller asks the embedding thread.
   */
  embed(request: LatencyRequest): Promise<Float32Array | undefined> {
    if (this.inFlight || this.closed || !this.channel.send(request)) return Promise.resolve(undefined);
    // Held while a request is out, so a caller awaiting it keeps its process alive.
    this.worker.ref();
    const answer = this.answer();
    this.inFlight = answer;
    return answer;
  }

  private async answer(): Promise<Float32Array | undefined> {
    try {
      await this.channel.whenAnswered();
      const vector = this.channel.take();
      if (vector) this.answered += 1;
      return vector;
    } finally {
      this.inFlight = undefined;
      if (!this.closed) this.worker.unref();
    }
  }

  /**
   * Takes no more requests, lets the one out be answered, then has the thread exit between runs
   * (thread-stop.ts); resolves with its exit code once it has exited.
   */
  close(): Promise<number> {
    this.closed = true;
    return stopThread(this.worker, this.exited, async () => {
      await this.inFlight;
      this.channel.close();
    });
  }
}
