/**
 * A reload that concurrent requests share. A request made while one runs gets one more run once
 * it ends: the running one may have read before the change that asked for the reload. Used by the
 * inlined-function catalog and the HTTP schema cache, which both re-read the upstream's catalog.
 */
export class CoalescedReload {
  private running: Promise<void> | undefined;
  private again = false;

  /** Runs `work`, or joins the run in progress (which then runs its own work once more). */
  run(work: () => Promise<void>): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await work();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
