/**
 * Which ticks of a job are due, as pure functions of the schedule and the clock (epoch ms), so
 * the scheduler's timing decisions are tested without waiting for them.
 */
import { nextRun, type Schedule } from './schedule.js';

/** The longest a cron-schedule job catches up after the process was stalled. */
export const MAX_CATCH_UP_TICKS = 60;

/**
 * The first tick strictly after `now`. Interval ticks fall on multiples of the interval since the
 * epoch, so every proxy on one upstream computes the same ticks.
 */
export function firstTick(schedule: Schedule, now: number, zone: string): number | null {
  if (schedule.kind === 'interval') {
    const period = schedule.seconds * 1000;
    return (Math.floor(now / period) + 1) * period;
  }
  return nextRun(schedule, new Date(now), zone)?.getTime() ?? null;
}

/**
 * An interval job's tick at `now` and the one after. Missed interval ticks are not made up: as in
 * pg_cron, the job starts again once the interval has passed.
 */
export function intervalTick(seconds: number, now: number): { tick: number; next: number } {
  const period = seconds * 1000;
  const tick = Math.floor(now / period) * period;
  return { tick, next: tick + period };
}

/**
 * A cron-schedule job's ticks from `nextDue` up to `now`, each to be run in turn (pg_cron queues
 * the runs a busy job missed), at most `maxCatchUp` of them; and the first tick after those. A
 * stall longer than that skips the rest and resumes at the first tick after `now`.
 */
export function dueTicks(
  schedule: Schedule,
  nextDue: number,
  now: number,
  zone: string,
  maxCatchUp = MAX_CATCH_UP_TICKS,
): { ticks: number[]; next: number | null } {
  const ticks: number[] = [];
  let next: number | null = nextDue;
  while (next !== null && next <= now && ticks.length < maxCatchUp) {
    ticks.push(next);
    next = nextRun(schedule, new Date(next), zone)?.getTime() ?? null;
  }
  if (next !== null && next <= now) next = nextRun(schedule, new Date(now), zone)?.getTime() ?? null;
  return { ticks, next };
}
