/**
 * One scheduler per proxy process. It keeps the jobs of cron.job in memory (reloaded on NOTIFY,
 * and periodically to catch anything else), wakes at the next due tick, and runs due jobs.
 *
 * Across processes on one upstream:
 * - a tick is run by whoever claims it first (cron.pgml_proxy_ticks, ON CONFLICT DO NOTHING);
 * - a job runs once at a time: its run holds an advisory lock on the scheduler's connection,
 *   which also tells a restarting proxy which `running` rows are abandoned.
 *
 * Which ticks are due is decided by the pure functions of ticks.ts. As in pg_cron, cron-schedule
 * ticks that find their job still running queue up and run one after another, while an interval
 * job keeps at most one pending run (pg_cron's pendingRunCount for interval jobs), started as soon
 * as the running one ends.
 */
import { parseSchedule, type Schedule, DEFAULT_TIME_ZONE, assertTimeZone } from './schedule.js';
import { dueTicks, firstTick, intervalTick } from './ticks.js';
import type { NotificationService } from '../db/notifications.js';
import type { CronConnection } from './connection.js';
import type { JobRunner } from './runner.js';
import { finalStatus, type RunCounts } from './run-counts.js';
import { CronStore, type JobRow } from './store.js';

export const CRON_CHANNEL = 'pgml_proxy_cron';
const DEFAULT_MAX_RUN_HISTORY = 1000;
const LOCK_RETRY_MS = 200;
/** setTimeout's limit is 2^31 ms; waking once a minute also bounds any clock drift. */
const MAX_SLEEP_MS = 60_000;
const TICK_RETENTION_INTERVAL_MS = 60_000;

export interface SchedulerOptions {
  connection: CronConnection;
  runner: JobRunner;
  log: (message: string) => void;
  /** How often jobs are re-read when nothing was notified. */
  reloadIntervalMs: number;
  /** Where finished runs are counted. */
  runCounts: RunCounts;
  /** A real upstream's LISTEN connection, shared with other proxies; undefined for the embedded database. */
  notifications?: NotificationService | undefined;
}

interface JobState {
  row: JobRow;
  schedule: Schedule | null;
  /** Epoch ms of the next tick; null when inactive, invalid or @reboot. */
  nextDue: number | null;
  /** The time zone nextDue was computed in. */
  zone: string;
  /** Claimed ticks waiting for the job's previous run to finish. */
  queue: number[];
  /** An interval tick that came while the job was running; run (and claimed) once it ends. */
  pendingTick: number | null;
  running: boolean;
  retry: NodeJS.Timeout | undefined;
}

export class CronScheduler {
  private readonly store: CronStore;
  private readonly jobs = new Map<string, JobState>();
  private timeZone = DEFAULT_TIME_ZONE;
  private maxRunHistory = DEFAULT_MAX_RUN_HISTORY;
  private timer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private lastTickPrune = 0;
  private stopped = false;
  private readonly runs = new Set<Promise<void>>();

  constructor(private readonly options: SchedulerOptions) {
    this.store = new CronStore(options.connection);
  }

  async start(): Promise<void> {
    const abandoned = await this.store.failAbandonedRuns();
    if (abandoned > 0) this.options.log(`pgml-proxy cron: marked ${abandoned} interrupted run(s) failed (server restarted)`);
    // A notification missed while the LISTEN connection was down is made up for by reloading.
    this.options.notifications?.subscribe(CRON_CHANNEL, { notify: () => this.requestReload(), restored: () => this.requestReload() });
    await this.reload();
    // @reboot: once per start of this scheduler.
    const now = Date.now();
    for (const state of this.jobs.values()) {
      if (state.row.active && state.schedule?.kind === 'reboot') {
        state.queue.push(now);
        void this.pump(state);
      }
    }
    this.reloadTimer = setInterval(() => this.requestReload(), this.options.reloadIntervalMs);
  }

  /** Stops scheduling; waits up to `graceMs` for runs in progress. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.reloadTimer);
    for (const state of this.jobs.values()) clearTimeout(state.retry);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.runs]),
      new Promise((resolve) => (timeout = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timeout);
    await this.options.connection.close();
  }

  /** Coalesces reload requests: at most one in flight and one queued behind it. */
  requestReload(): void {
    if (this.stopped) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = this.reload()
      .catch((error: unknown) => this.options.log(`pgml-proxy cron: reloading jobs failed: ${describe(error)}`))
      .finally(() => {
        this.reloading = undefined;
        if (this.reloadAgain) {
          this.reloadAgain = false;
          this.requestReload();
        }
      });
  }

  private async reload(): Promise<void> {
    const [rows, settings] = await Promise.all([this.store.jobs(), this.store.settings()]);
    this.applySettings(settings.timezone, settings.maxRunHistory);
    const now = Date.now();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.jobid);
      const previous = this.jobs.get(row.jobid);
      const state: JobState = previous ?? {
        row,
        schedule: null,
        nextDue: null,
        zone: this.timeZone,
        queue: [],
        pendingTick: null,
        running: false,
        retry: undefined,
      };
      const scheduleChanged = previous === undefined || previous.row.schedule !== row.schedule || previous.zone !== this.timeZone;
      state.row = row;
      if (scheduleChanged) {
        state.schedule = parseOrNull(row.schedule);
        state.zone = this.timeZone;
        state.nextDue = null;
      }
      if (!row.active || state.schedule === null) {
        state.nextDue = null;
        state.queue = [];
        state.pendingTick = null;
      } else if (state.nextDue === null) {
        state.nextDue = firstTick(state.schedule, now, this.timeZone);
      }
      this.jobs.set(row.jobid, state);
    }
    for (const [jobid, state] of this.jobs) {
      if (!seen.has(jobid)) {
        clearTimeout(state.retry);
        this.jobs.delete(jobid);
      }
    }
    // Other proxies on a shared upstream may have died mid-run since the last reload.
    if (this.options.notifications) await this.store.failAbandonedRuns();
    if (now - this.lastTickPrune > TICK_RETENTION_INTERVAL_MS) {
      this.lastTickPrune = now;
      await this.store.pruneTicks();
    }
    this.arm();
  }

  private applySettings(timezone: string | undefined, maxRunHistory: number | undefined): void {
    const zone = timezone ?? DEFAULT_TIME_ZONE;
    if (zone !== this.timeZone) {
      try {
        assertTimeZone(zone);
        this.timeZone = zone;
      } catch {
        this.options.log(`pgml-proxy cron: ignoring cron.settings timezone "${zone}": not a known time zone`);
      }
    }
    this.maxRunHistory = maxRunHistory ?? DEFAULT_MAX_RUN_HISTORY;
  }

  /** Sleeps until the earliest next tick. */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    let earliest = Infinity;
    for (const state of this.jobs.values()) if (state.nextDue !== null && state.nextDue < earliest) earliest = state.nextDue;
    const delay = Math.min(Math.max(earliest - Date.now(), 0), MAX_SLEEP_MS);
    this.timer = setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    const now = Date.now();
    for (const state of this.jobs.values()) {
      if (state.nextDue !== null && state.nextDue <= now) this.due(state, now);
    }
    this.arm();
  }

  private due(state: JobState, now: number): void {
    const schedule = state.schedule;
    if (schedule === null || state.nextDue === null) return;
    if (schedule.kind === 'interval') {
      const { tick, next } = intervalTick(schedule.seconds, now);
      state.nextDue = next;
      if (state.running) state.pendingTick ??= tick;
      else void this.runIntervalTick(state, tick);
      return;
    }
    const { ticks, next } = dueTicks(schedule, state.nextDue, now, state.zone);
    state.nextDue = next;
    void this.claimCronTicks(state, ticks);
  }

  private async runIntervalTick(state: JobState, tick: number): Promise<void> {
    state.running = true;
    const { jobid } = state.row;
    let ran = false;
    try {
      if (await this.store.tryLock(jobid)) {
        if (await this.store.claimTick(jobid, new Date(tick))) {
          ran = true;
          await this.track(this.execute(state));
        } else {
          await this.store.unlock(jobid);
        }
      }
    } catch (error) {
      this.options.log(`pgml-proxy cron: job ${jobid}: ${describe(error)}`);
    } finally {
      state.running = false;
    }
    // A tick that came while another proxy ran the job is that proxy's to keep pending.
    const pending = ran ? state.pendingTick : null;
    state.pendingTick = null;
    // Unless the job was removed, or its schedule changed, while it ran.
    const current = this.jobs.get(state.row.jobid) === state && state.schedule?.kind === 'interval';
    if (pending !== null && current && !this.stopped) void this.runIntervalTick(state, pending);
    else void this.pump(state);
  }

  private async claimCronTicks(state: JobState, ticks: number[]): Promise<void> {
    for (const tick of ticks) {
      try {
        if (await this.store.claimTick(state.row.jobid, new Date(tick))) state.queue.push(tick);
      } catch (error) {
        this.options.log(`pgml-proxy cron: job ${state.row.jobid}: claiming a tick failed: ${describe(error)}`);
      }
    }
    await this.pump(state);
  }

  /** Runs queued ticks one at a time, each under the job's lock. */
  private async pump(state: JobState): Promise<void> {
    if (this.stopped || state.running || state.queue.length === 0) return;
    state.running = true;
    const { jobid } = state.row;
    let locked = false;
    try {
      locked = await this.store.tryLock(jobid);
      if (locked) {
        state.queue.shift();
        await this.track(this.execute(state));
      }
    } catch (error) {
      this.options.log(`pgml-proxy cron: job ${jobid}: ${describe(error)}`);
    } finally {
      state.running = false;
    }
    if (!locked) {
      // Another proxy is running this job: try again shortly.
      clearTimeout(state.retry);
      state.retry = setTimeout(() => void this.pump(state), LOCK_RETRY_MS);
      return;
    }
    void this.pump(state);
  }

  private track(run: Promise<void>): Promise<void> {
    this.runs.add(run);
    return run.finally(() => this.runs.delete(run));
  }

  /** One run with its history row; the caller holds the job's lock, released here. */
  private async execute(state: JobState): Promise<void> {
    const job = state.row;
    try {
      const runid = await this.store.startRun(job);
      const outcome = await this.options.runner.run(job, {
        timeoutMs: job.timeoutMs,
        onConnected: (pid) => this.store.markRunning(runid, pid),
      });
      const status = finalStatus(outcome);
      await this.store.finishRun(runid, status, outcome.message);
      this.options.runCounts.record(status);
      await this.store.pruneHistory(job.jobid, this.maxRunHistory);
    } finally {
      await this.store.unlock(job.jobid).catch(() => {});
    }
  }
}

function parseOrNull(text: string): Schedule | null {
  try {
    return parseSchedule(text);
  } catch {
    // pg_cron logs and never runs a job whose schedule (edited directly) does not parse.
    return null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
