/**
 * UTC offsets of an IANA time zone at given instants, from the runtime's own tz database via
 * Intl.DateTimeFormat (no dependency, and the same zone names PostgreSQL accepts for
 * cron.timezone in practice).
 */
import { PgError, SqlState } from '../errors/index.js';

const SECOND = 1000;

/** Zones with no transitions skip Intl entirely: 'GMT' is pg_cron's default cron.timezone. */
const FIXED_UTC = new Set(['GMT', 'UTC', 'Etc/GMT', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu', 'Etc/Greenwich', 'Greenwich', 'GMT0', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0']);

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter) return formatter;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    // PostgreSQL's wording and SQLSTATE for an unknown zone name.
    throw new PgError(SqlState.InvalidParameterValue, `time zone "${timeZone}" not recognized`);
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

/** Throws PgError 22023 unless `timeZone` is a zone name the runtime knows. */
export function assertTimeZone(timeZone: string): void {
  if (!FIXED_UTC.has(timeZone)) formatterFor(timeZone);
}

/**
 * Milliseconds to add to the UTC instant `instantMs` to get the wall-clock time in `timeZone`,
 * read as if that wall-clock time were UTC. Resolution is one second, which is all tz has.
 */
export function zoneOffsetMs(timeZone: string, instantMs: number): number {
  if (FIXED_UTC.has(timeZone)) return 0;
  const whole = Math.floor(instantMs / SECOND) * SECOND;
  const fields: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(whole)) fields[part.type] = part.value;
  const year = Number(fields.year);
  // Date.UTC maps years 0..99 to 19xx, so the year is set separately.
  const wall = new Date(Date.UTC(2000, Number(fields.month) - 1, Number(fields.day), Number(fields.hour), Number(fields.minute), Number(fields.second)));
  wall.setUTCFullYear(fields.era === 'BC' ? 1 - year : year);
  return wall.getTime() - whole;
}
