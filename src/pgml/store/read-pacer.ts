/**
 * The training read's pace: a byte budget per second (a token bucket) on the rows read from the
 * upstream, applied only while other sessions of the proxy are active. The read runs three busy
 * tasks at once (the upstream backend sending rows, the event loop framing them, the decoding
 * thread), enough to fill a small machine's cores, so the other sessions' statements wait in the
 * run queue; a paused upstream socket stops the backend too (TCP backpressure), so the budget frees
 * its core as well. A lone training reads at full speed.
 *
 * Pure: the clock and the activity check are given, so the logic is tested without timers.
 */

export interface PaceSettings {
  /** Most bytes of rows per second while others are active; 0 reads unpaced. */
  bytesPerSecond: number;
  /** Whether another session of the proxy has been active lately (checked at each chunk). */
  othersActive: () => boolean;
  now?: () => number;
}

export class ReadPacer {
  /** Bytes that may still be read now; negative once the read is ahead of its budget. */
  private allowance: number;
  private at: number;
  private readonly burst: number;
  private readonly now: () => number;

  /** `burst` bytes may be read at once after a quiet spell (at least one chunk, so no chunk waits twice). */
  constructor(
    private readonly settings: PaceSettings,
    burst: number,
  ) {
    this.burst = burst;
    this.allowance = burst;
    this.now = settings.now ?? (() => performance.now());
    this.at = this.now();
  }

  /**
   * `bytes` more were read: the milliseconds to wait before reading on (0: read on at once).
   * While no other session is active the budget refills to its burst and nothing waits.
   */
  delayAfter(bytes: number): number {
    const rate = this.settings.bytesPerSecond;
    const now = this.now();
    const elapsed = Math.max(0, now - this.at);
    this.at = now;
    if (rate <= 0 || !this.settings.othersActive()) {
      this.allowance = this.burst;
      return 0;
    }
    this.allowance = Math.min(this.burst, this.allowance + (elapsed * rate) / 1000) - bytes;
    return this.allowance >= 0 ? 0 : (-this.allowance * 1000) / rate;
  }
}
