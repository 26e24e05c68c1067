/**
 * pg_cron 1.6 schedules: parsed once into an immutable value, then evaluated by pure functions.
 *
 * Time semantics follow pg_cron, not Vixie cron: pg_cron steps through absolute minutes
 * (TimestampTz) and tests each one against the schedule after converting it to local time in
 * cron.timezone (ShouldRunTask in pg_cron.c). So across a DST change:
 * - spring forward: wall-clock times that do not exist that day (02:30 in New York) never match,
 *   and the job is skipped that day;
 * - fall back: wall-clock times that occur twice (01:30 in New York) match twice, an hour apart.
 * `nextRun` returns exactly the first absolute minute after `after` that `shouldRun` accepts.
 *
 * One deliberate difference: `$` means the last day of the month on the local calendar. pg_cron
 * instead asks whether 24 hours later it is the 1st, which misfires when a DST change falls on a
 * month's last or first day (Europe/Berlin, 30 March 2024 23:30 counts as a last day there).
 */
import { PgError, SqlState } from '../errors/index.js';
import { type CronFields, parseCronEntry, parseSecondsInterval } from './cron-entry.js';
import { zoneOffsetMs } from './time-zone.js';

export type { CronFields } from './cron-entry.js';
export { assertTimeZone } from './time-zone.js';

export interface CronSchedule extends CronFields {
  readonly kind: 'cron';
  /** The schedule exactly as written, as pg_cron stores it in cron.job.schedule. */
  readonly text: string;
}

/** `N second(s)`: pg_cron starts the job again once N seconds have passed since its last start. */
export interface IntervalSchedule {
  readonly kind: 'interval';
  readonly text: string;
  readonly seconds: number;
}

/** `@reboot` / `@restart`: runs once when the scheduler starts, never on the clock. */
export interface RebootSchedule {
  readonly kind: 'reboot';
  readonly text: string;
}

export type Schedule = CronSchedule | IntervalSchedule | RebootSchedule;

/** pg_cron's default cron.timezone. */
export const DEFAULT_TIME_ZONE = 'GMT';

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** A satisfiable day rule recurs within one 400-year Gregorian cycle (146097 days = 20871 weeks). */
const SEARCH_SPAN = 401 * 366 * DAY;

/**
 * Parses a schedule the way cron.schedule does: as cron first, then as a seconds interval.
 * Throws PgError 22023 with pg_cron's message and hint when neither reading works.
 */
export function parseSchedule(text: string): Schedule {
  const entry = parseCronEntry(text);
  if (entry?.kind === 'reboot') return Object.freeze({ kind: 'reboot', text });
  if (entry?.kind === 'cron') return Object.freeze({ kind: 'cron', text, ...entry.fields });
  const seconds = parseSecondsInterval(text);
  if (seconds !== null) return Object.freeze({ kind: 'interval', text, seconds });
  throw new PgError(SqlState.InvalidParameterValue, `invalid schedule: ${text}`, {
    hint: "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'",
  });
}

export function isReboot(schedule: Schedule): schedule is RebootSchedule {
  return schedule.kind === 'reboot';
}

export function isIntervalSchedule(schedule: Schedule): schedule is IntervalSchedule {
  return schedule.kind === 'interval';
}

/** The interval of an `N seconds` schedule; null for cron and @reboot schedules. */
export function intervalSeconds(schedule: Schedule): number | null {
  return schedule.kind === 'interval' ? schedule.seconds : null;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Vixie cron's day rule: both fields must match if either began with `*`, else either may. */
function dayMatches(s: CronFields, year: number, month: number, day: number, weekday: number): boolean {
  const thisDom = s.dayOfMonth[day] === true || (s.lastDayOfMonth && day === daysInMonth(year, month));
  const thisDow = s.dayOfWeek[weekday] === true;
  return s.dayOfMonthStar || s.dayOfWeekStar ? thisDom && thisDow : thisDom || thisDow;
}

/** True when the minute containing `at` is one the schedule runs in (cron schedules only). */
export function shouldRun(schedule: Schedule, at: Date, timeZone: string = DEFAULT_TIME_ZONE): boolean {
  if (schedule.kind !== 'cron') return false;
  const instant = at.getTime();
  const local = new Date(instant + zoneOffsetMs(timeZone, instant));
  return (
    schedule.minute[local.getUTCMinutes()] === true &&
    schedule.hour[local.getUTCHours()] === true &&
    schedule.month[local.getUTCMonth() + 1] === true &&
    dayMatches(schedule, local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCDay())
  );
}

/**
 * The next time the schedule fires strictly after `after`, or null if it never does.
 * - cron: the first whole minute after `after` that `shouldRun` accepts in `timeZone`;
 * - interval: `after` + N seconds, where `after` is the job's last start (pg_cron runs an
 *   interval job that has not started yet at once);
 * - @reboot: null, it is not on the clock.
 */
export function nextRun(schedule: Schedule, after: Date, timeZone: string = DEFAULT_TIME_ZONE): Date | null {
  switch (schedule.kind) {
    case 'reboot':
      return null;
    case 'interval':
      return new Date(after.getTime() + schedule.seconds * 1000);
    case 'cron':
      return nextCronRun(schedule, after.getTime(), timeZone);
  }
}

/**
 * Walks the stretches of constant UTC offset: within one, wall-clock time is absolute time plus
 * that offset, so the first matching wall-clock minute gives the answer unless the offset
 * changes before it, in which case the search resumes at the change.
 */
function nextCronRun(s: CronSchedule, afterMs: number, timeZone: string): Date | null {
  if (!canEverMatch(s)) return null;
  let from = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const end = from + SEARCH_SPAN;
  while (from <= end) {
    const offset = zoneOffsetMs(timeZone, from);
    const local = nextLocalMatch(s, from + offset, end + offset);
    if (local === null) return null;
    const candidate = local - offset;
    const change = firstOffsetChange(timeZone, offset, from, candidate);
    if (change === null) return new Date(candidate);
    from = Math.ceil(change / MINUTE) * MINUTE;
  }
  return null;
}

/** Rules out empty fields up front, so that searching 400 years for nothing stays cheap. */
function canEverMatch(s: CronFields): boolean {
  if (!s.minute.includes(true) || !s.hour.includes(true) || !s.month.includes(true)) return false;
  const someDom = s.lastDayOfMonth || s.dayOfMonth.includes(true);
  const someDow = s.dayOfWeek.includes(true);
  return s.dayOfMonthStar || s.dayOfWeekStar ? someDom && someDow : someDom || someDow;
}

/**
 * The first instant in (from, to] whose offset differs from `offset`, or null. Probes weekly
 * and bisects to the second; this assumes a zone never changes offset twice within a week,
 * which holds for every transition in the tz database since 1970.
 */
function firstOffsetChange(timeZone: string, offset: number, from: number, to: number): number | null {
  for (let low = from; low < to; ) {
    let high = Math.min(low + WEEK, to);
    if (zoneOffsetMs(timeZone, high) !== offset) {
      while (high - low > 1000) {
        const middle = low + Math.floor((high - low) / 2000) * 1000;
        if (zoneOffsetMs(timeZone, middle) === offset) low = middle;
        else high = middle;
      }
      return high;
    }
    low = high;
  }
  return null;
}

function firstAtOrAfter(bits: readonly boolean[], from: number): number | null {
  for (let i = from; i < bits.length; i++) if (bits[i]) return i;
  return null;
}

/**
 * The first wall-clock minute at or after `localMs` (wall-clock time read as UTC) that matches
 * the fields, skipping whole months, days and hours that cannot match; null past `limit`.
 */
function nextLocalMatch(s: CronFields, localMs: number, limit: number): number | null {
  let t = Math.ceil(localMs / MINUTE) * MINUTE;
  while (t <= limit) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (!s.month[month]) {
      t = Date.UTC(year, month, 1);
      continue;
    }
    if (!dayMatches(s, year, month, day, d.getUTCDay())) {
      t = Date.UTC(year, month - 1, day + 1);
      continue;
    }
    const hour = firstAtOrAfter(s.hour, d.getUTCHours());
    if (hour === null) {
      t = Date.UTC(year, month - 1, day + 1);
      continue;
    }
    const minute = firstAtOrAfter(s.minute, hour === d.getUTCHours() ? d.getUTCMinutes() : 0);
    if (minute === null) {
      t = Date.UTC(year, month - 1, day, hour + 1);
      continue;
    }
    return Date.UTC(year, month - 1, day, hour, minute);
  }
  return null;
}
