/**
 * The shared memory between the proxy's event loop and a latency thread (latency-thread.ts): one
 * request at a time, no message ports. The proxy writes the request (JSON text) and sets REQUEST;
 * the thread, asleep in Atomics.wait, wakes, embeds, writes the vector and sets DONE (or
 * FALLBACK: the request goes to the embedding thread instead, whose answer or error is the one
 * every other path gives). Against a MessagePort round trip (a structured clone each way, the
 * thread's event loop woken) this saved 0.02-0.06 ms a call on a model whose run is short
 * (BENCHMARKS.md, issue 16, embed1); what a thread of its own saves is the wait behind batches.
 * CLOSED, set by the proxy once no request is out, has the thread exit between runs: a terminate
 * under a run aborts the process (thread-stop.ts). Both sides write the state word, so each write
 * of an answer or of Idle is a compare-exchange that leaves a CLOSED in place.
 */
import type { EmbedOptions } from './options.js';

/** Int32 slots at the start of the buffer. */
const STATE = 0;
/** The request's bytes (REQUEST), or the vector's floats (DONE). */
const LENGTH = 1;
const HEADER_BYTES = 16;

export const ChannelState = {
  Idle: 0,
  Request: 1,
  Done: 2,
  /** The thread could not answer (an error, an unusual vector): ask the embedding thread. */
  Fallback: 3,
  /** The thread is to exit, or is gone. */
  Closed: 4,
} as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

/**
 * Request bytes: a single text longer than this (after JSON escaping) goes to the embedding thread.
 * Its tokens are cut to the model's max_seq_length (256 or 512), which far shorter texts reach.
 */
export const REQUEST_CAPACITY = 64 * 1024;

/** What a request carries: the text and pgml.embed's options (plain JSON data). */
export interface LatencyRequest {
  text: string;
  options: EmbedOptions;
}

/** One per thread, not one per request. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Atomics.waitAsync (V8, Node 16 on; TypeScript's lib has it from es2024). */
const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): { async: false } | { async: true; value: Promise<unknown> } }).waitAsync;

export class LatencyChannel {
  private readonly header: Int32Array;
  private readonly request: Uint8Array;
  private readonly vector: Float32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.request = new Uint8Array(buffer, HEADER_BYTES, REQUEST_CAPACITY);
    this.vector = new Float32Array(buffer, HEADER_BYTES + REQUEST_CAPACITY);
  }

  /** A buffer for vectors of `dimensions` floats. */
  static allocate(dimensions: number): LatencyChannel {
    return new LatencyChannel(new SharedArrayBuffer(HEADER_BYTES + REQUEST_CAPACITY + dimensions * 4));
  }

  get state(): ChannelState {
    return Atomics.load(this.header, STATE) as ChannelState;
  }

  /** Hands the request to the thread; false when it does not fit (nothing is sent). */
  send(request: LatencyRequest): boolean {
    const json = JSON.stringify(request);
    // encodeInto stops where the buffer ends: then it has read less than the whole text.
    const { read, written } = encoder.encodeInto(json, this.request);
    if (read < json.length) return false;
    Atomics.store(this.header, LENGTH, written);
    this.set(ChannelState.Request);
    return true;
  }

  /** Resolves once the thread has answered (or is gone); the answer is then read with `take`. */
  async whenAnswered(): Promise<void> {
    for (;;) {
      const wait = waitAsync(this.header, STATE, ChannelState.Request);
      if (!wait.async) return;
      await wait.value;
    }
  }

  /** The thread's vector (a copy) or undefined (fallback, closed); the channel is idle again unless closed. */
  take(): Float32Array | undefined {
    const state = this.state;
    const vector = state === ChannelState.Done ? this.vector.slice(0, Atomics.load(this.header, LENGTH)) : undefined;
    // Only an answer becomes Idle: a Closed written meanwhile stays, or the thread would wait on.
    if (state === ChannelState.Done || state === ChannelState.Fallback) Atomics.compareExchange(this.header, STATE, state, ChannelState.Idle);
    return vector;
  }

  // The thread's side.

  /** Blocks the calling thread until a request comes, and returns it; undefined once the channel is closed: the thread exits. */
  waitForRequest(): LatencyRequest | undefined {
    for (let state = this.state; state !== ChannelState.Request; state = this.state) {
      if (state === ChannelState.Closed) return undefined;
      Atomics.wait(this.header, STATE, state);
    }
    const bytes = this.request.slice(0, Atomics.load(this.header, LENGTH));
    return JSON.parse(decoder.decode(bytes)) as LatencyRequest;
  }

  /** The answer: the vector, or undefined for the embedding thread to answer instead. */
  answer(vector: Float32Array | undefined): void {
    if (vector && vector.length <= this.vector.length) {
      this.vector.set(vector);
      Atomics.store(this.header, LENGTH, vector.length);
      this.answerWith(ChannelState.Done);
    } else {
      this.answerWith(ChannelState.Fallback);
    }
  }

  /**
   * The proxy's side: the thread is to exit (its next waitForRequest returns undefined), or it has
   * exited (a request waiting for it is let go, to the embedding thread).
   */
  close(): void {
    this.set(ChannelState.Closed);
  }

  private set(state: ChannelState): void {
    Atomics.store(this.header, STATE, state);
    Atomics.notify(this.header, STATE);
  }

  /** Only over the request: a Closed written by the proxy meanwhile stays. */
  private answerWith(state: ChannelState): void {
    Atomics.compareExchange(this.header, STATE, ChannelState.Request, state);
    Atomics.notify(this.header, STATE);
  }
}
