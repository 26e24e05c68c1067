/**
 * INFO notices a user can watch during a long fit: at least every `intervalSeconds`, what the
 * engine last reported (`pgml.train: 40 of 100 trees, 12.3 s`), or, from engines that fit in one
 * step, the time so far (`pgml.train: fitting linear, 12.3 s`). An interval of 0 reports every
 * round the engine reports.
 */
import type { FitProgress } from '../engines/engine.js';

export class ProgressNotices {
  private readonly started = performance.now();
  private lastNotice = this.started;
  private latest: FitProgress | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly notice: (message: string) => void,
    private readonly algorithm: string,
    private readonly intervalSeconds: number,
  ) {
    if (intervalSeconds > 0) {
      this.timer = setInterval(() => this.tick(), intervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** What an engine reported; it becomes a notice when the interval is up. */
  readonly report = (progress: FitProgress): void => {
    this.latest = progress;
    this.tick();
  };

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    if (now - this.lastNotice < this.intervalSeconds * 1000) return;
    this.lastNotice = now;
    const elapsed = `${((now - this.started) / 1000).toFixed(1)} s`;
    const latest = this.latest;
    this.notice(
      latest === undefined
        ? `pgml.train: fitting ${this.algorithm}, ${elapsed}`
        : `pgml.train: ${latest.done} of ${latest.total} ${latest.unit}, ${elapsed}`,
    );
  }
}
