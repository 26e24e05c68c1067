/**
 * Finished runs by their final status since this process started, for /metrics. The composition
 * root reads them; the scheduler only records.
 */
import type { RunOutcome } from './runner.js';

export type FinalStatus = 'succeeded' | 'failed';

/** The status cron.job_run_details gets when a run ends (pg_cron's CRON_STATUS_SUCCEEDED / _FAILED). */
export function finalStatus(outcome: RunOutcome): FinalStatus {
  return outcome.succeeded ? 'succeeded' : 'failed';
}

export class RunCounts {
  private readonly counts: Record<FinalStatus, number> = { succeeded: 0, failed: 0 };

  record(status: FinalStatus): void {
    this.counts[status] += 1;
  }

  snapshot(): { status: FinalStatus; count: number }[] {
    return (Object.keys(this.counts) as FinalStatus[]).map((status) => ({ status, count: this.counts[status] }));
  }
}
