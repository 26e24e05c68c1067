/**
 * When a client of the proxy last sent a message, written by the main thread and read by the engine
 * threads, so that their background work that can wait (the JIT warm-up, warm-up.ts) waits for a
 * quiet proxy. An engine thread's own priority (thread-priority.ts) is not enough for that warm-up: it
 * exists to have V8 optimize code, and V8 optimizes (JavaScript, and quantile's HiGHS WebAssembly) on
 * its platform threads, which the whole process shares at its own priority. Right after a start that
 * was 1.3 s of their CPU within 3.5 s, while a client's single-sentence pgml.embed calls ran beside
 * it (BENCHMARKS.md, issue 16, embed6).
 *
 * The buffer holds the clock's epoch (milliseconds since the Unix epoch, written once before any
 * thread reads it) and the last message's time in milliseconds since that epoch.
 */
/** No client has sent anything yet. */
const NEVER = -(2 ** 31);

/** Milliseconds since the Unix epoch, the same in every thread of the process. */
function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class ClientClock {
  private readonly epoch: number;
  private readonly heardAt: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.epoch = new Float64Array(buffer, 0, 1)[0]!;
    this.heardAt = new Int32Array(buffer, 8, 1);
  }

  static create(): ClientClock {
    const buffer = new SharedArrayBuffer(16);
    new Float64Array(buffer, 0, 1)[0] = wallMs();
    new Int32Array(buffer, 8, 1)[0] = NEVER;
    return new ClientClock(buffer);
  }

  /** A client sent a message (called for every chunk a client sends: no allocation). */
  heard(): void {
    const now = this.now();
    Atomics.store(this.heardAt, 0, now === NEVER ? now + 1 : now);
  }

  /** Whether a client sent something in the last `ms` milliseconds. */
  heardWithin(ms: number): boolean {
    const at = Atomics.load(this.heardAt, 0);
    // Wrapping subtraction: the clock's int32 milliseconds turn over after 24 days. Two threads' clocks
    // may differ by a fraction of a millisecond, so a message heard "just after now" counts too.
    const since = (this.now() - at) | 0;
    return at !== NEVER && since > -ms && since < ms;
  }

  private now(): number {
    return Math.round(wallMs() - this.epoch) | 0;
  }
}
