import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronExpressionParser } from 'cron-parser';
import { PgError } from '../../../src/errors/index.js';
import { nextRun, parseSchedule, shouldRun, type CronSchedule } from '../../../src/cron/schedule.js';

/** The next runs after `after`, chained, as ISO strings. */
function runs(text: string, after: string, count = 1, timeZone = 'GMT'): string[] {
  const schedule = parseSchedule(text);
  const out: string[] = [];
  let from = new Date(after);
  for (let i = 0; i < count; i++) {
    const next = nextRun(schedule, from, timeZone);
    if (!next) break;
    out.push(next.toISOString().replace('.000Z', 'Z'));
    from = next;
  }
  return out;
}

test('every minute, strictly after the given instant', () => {
  assert.deepEqual(runs('* * * * *', '2024-01-01T00:00:30Z', 2), ['2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z']);
  assert.deepEqual(runs('* * * * *', '2024-01-01T00:01:00Z'), ['2024-01-01T00:02:00Z']);
  assert.deepEqual(runs('* * * * *', '2023-12-31T23:59:59.999Z'), ['2024-01-01T00:00:00Z']);
});

test('steps, ranges, lists and names', () => {
  assert.deepEqual(runs('*/15 * * * *', '2024-01-01T10:07:00Z', 4), ['2024-01-01T10:15:00Z', '2024-01-01T10:30:00Z', '2024-01-01T10:45:00Z', '2024-01-01T11:00:00Z']);
  assert.deepEqual(runs('5,35 9-17/8 * * *', '2024-01-01T00:00:00Z', 5), ['2024-01-01T09:05:00Z', '2024-01-01T09:35:00Z', '2024-01-01T17:05:00Z', '2024-01-01T17:35:00Z', '2024-01-02T09:05:00Z']);
  // Friday 2024-01-05 after hours: next weekday run is Monday.
  assert.deepEqual(runs('0 9 * * mon-fri', '2024-01-05T18:00:00Z', 2), ['2024-01-08T09:00:00Z', '2024-01-09T09:00:00Z']);
  assert.deepEqual(runs('0 0 1 mar,sep *', '2024-04-01T00:00:00Z', 2), ['2024-09-01T00:00:00Z', '2025-03-01T00:00:00Z']);
  assert.deepEqual(runs('0 0 * * 7', '2024-01-01T00:00:00Z'), ['2024-01-07T00:00:00Z']);
});

test('$ is the last day of each month: leap and common Februaries, 30- and 31-day months', () => {
  assert.deepEqual(runs('0 0 $ * *', '2023-01-15T00:00:00Z', 5), ['2023-01-31T00:00:00Z', '2023-02-28T00:00:00Z', '2023-03-31T00:00:00Z', '2023-04-30T00:00:00Z', '2023-05-31T00:00:00Z']);
  assert.deepEqual(runs('30 23 $ 2 *', '2023-03-01T00:00:00Z', 3), ['2024-02-29T23:30:00Z', '2025-02-28T23:30:00Z', '2026-02-28T23:30:00Z']);
  // $ with a restricted weekday: either one (Vixie OR rule). 2024-04-30 is a Tuesday.
  assert.deepEqual(runs('0 0 $ 4 1', '2024-04-20T00:00:00Z', 3), ['2024-04-22T00:00:00Z', '2024-04-29T00:00:00Z', '2024-04-30T00:00:00Z']);
});

test('a 29 February schedule waits for leap years, and 2100 is not one', () => {
  assert.deepEqual(runs('0 0 29 2 *', '2024-03-01T00:00:00Z', 2), ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']);
  assert.deepEqual(runs('0 0 29 2 *', '2096-03-01T00:00:00Z'), ['2104-02-29T00:00:00Z']);
});

test('a day that never exists never runs', () => {
  const started = performance.now();
  for (const text of ['0 0 30 2 *', '0 0 31 4,6,9,11 *', '10-3 * * * *', '0 0 * * mon-sun']) assert.equal(nextRun(parseSchedule(text), new Date('2024-01-01T00:00:00Z'), 'GMT'), null, text);
  assert.ok(performance.now() - started < 1000, 'took too long');
});

test('day of month and day of week: OR when both are restricted, AND when either starts with *', () => {
  // 13th or Friday. 2024-09-06 and 2024-09-20 are Fridays; 2024-09-13 is both.
  assert.deepEqual(runs('0 0 13 * 5', '2024-09-01T00:00:00Z', 4), ['2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z', '2024-09-20T00:00:00Z', '2024-09-27T00:00:00Z']);
  assert.deepEqual(runs('0 0 13 * 5', '2024-09-27T00:00:00Z'), ['2024-10-04T00:00:00Z']);
  // */1 starts with * so the day-of-month field is a star: Fridays only.
  assert.deepEqual(runs('0 0 */1 * 5', '2024-09-01T00:00:00Z', 2), ['2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z']);
  // */7 starts with * but selects only Sunday (0 and 7): the 13th when it is a Sunday.
  assert.deepEqual(runs('0 0 13 * */7', '2024-09-01T00:00:00Z', 2), ['2024-10-13T00:00:00Z', '2025-04-13T00:00:00Z']);
});

test('@hourly, @daily, @weekly, @monthly, @yearly', () => {
  const after = '2024-05-15T10:20:00Z';
  assert.deepEqual(runs('@hourly', after, 2), ['2024-05-15T11:00:00Z', '2024-05-15T12:00:00Z']);
  assert.deepEqual(runs('@daily', after, 2), ['2024-05-16T00:00:00Z', '2024-05-17T00:00:00Z']);
  assert.deepEqual(runs('@midnight', after), ['2024-05-16T00:00:00Z']);
  assert.deepEqual(runs('@weekly', after, 2), ['2024-05-19T00:00:00Z', '2024-05-26T00:00:00Z']);
  assert.deepEqual(runs('@monthly', after, 2), ['2024-06-01T00:00:00Z', '2024-07-01T00:00:00Z']);
  assert.deepEqual(runs('@yearly', after, 2), ['2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z']);
  assert.deepEqual(runs('@annually', after), ['2025-01-01T00:00:00Z']);
});

test('GMT is the default time zone', () => {
  const schedule = parseSchedule('0 10 * * *');
  const after = new Date('2024-07-01T12:00:00Z');
  assert.deepEqual(nextRun(schedule, after), new Date('2024-07-02T10:00:00Z'));
  assert.deepEqual(nextRun(schedule, after, 'Europe/Berlin'), new Date('2024-07-02T08:00:00Z'));
});

test('America/New_York spring forward: 02:xx does not exist on 10 March 2024 and is skipped', () => {
  assert.deepEqual(runs('30 2 * * *', '2024-03-09T12:00:00Z', 2, 'America/New_York'), ['2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z']);
  // 01:59 EST is followed by 03:00 EDT.
  assert.deepEqual(runs('* * * * *', '2024-03-10T06:58:00Z', 2, 'America/New_York'), ['2024-03-10T06:59:00Z', '2024-03-10T07:00:00Z']);
  assert.deepEqual(runs('0 3 * * *', '2024-03-09T12:00:00Z', 2, 'America/New_York'), ['2024-03-10T07:00:00Z', '2024-03-11T07:00:00Z']);
  assert.deepEqual(runs('0 * * * *', '2024-03-10T05:30:00Z', 2, 'America/New_York'), ['2024-03-10T06:00:00Z', '2024-03-10T07:00:00Z']);
});

test('America/New_York fall back: 01:xx happens twice on 3 November 2024 and runs twice', () => {
  assert.deepEqual(runs('30 1 * * *', '2024-11-02T12:00:00Z', 4, 'America/New_York'), ['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z', '2024-11-05T06:30:00Z']);
  assert.deepEqual(runs('0 2 * * *', '2024-11-02T12:00:00Z', 2, 'America/New_York'), ['2024-11-03T07:00:00Z', '2024-11-04T07:00:00Z']);
});

test('Europe/Berlin spring forward (31 March 2024) and fall back (27 October 2024)', () => {
  assert.deepEqual(runs('30 2 * * *', '2024-03-30T12:00:00Z', 2, 'Europe/Berlin'), ['2024-04-01T00:30:00Z', '2024-04-02T00:30:00Z']);
  assert.deepEqual(runs('30 2 * * *', '2024-10-26T12:00:00Z', 3, 'Europe/Berlin'), ['2024-10-27T00:30:00Z', '2024-10-27T01:30:00Z', '2024-10-28T01:30:00Z']);
  // The last day of March 2024 is the spring-forward day itself.
  assert.deepEqual(runs('30 23 $ 3 *', '2024-03-01T00:00:00Z', 1, 'Europe/Berlin'), ['2024-03-31T21:30:00Z']);
});

test('a yearly schedule in a DST zone lands on local midnight', () => {
  assert.deepEqual(runs('@yearly', '2024-05-01T00:00:00Z', 2, 'Europe/Berlin'), ['2024-12-31T23:00:00Z', '2025-12-31T23:00:00Z']);
  assert.deepEqual(runs('0 12 1 7 *', '2024-01-01T00:00:00Z', 1, 'America/New_York'), ['2024-07-01T16:00:00Z']);
});

test('interval schedules run N seconds after the last start; @reboot is not on the clock', () => {
  const after = new Date('2024-01-01T00:00:10.500Z');
  assert.deepEqual(nextRun(parseSchedule('30 seconds'), after), new Date('2024-01-01T00:00:40.500Z'));
  assert.deepEqual(nextRun(parseSchedule('1 second'), after), new Date('2024-01-01T00:00:11.500Z'));
  assert.equal(nextRun(parseSchedule('@reboot'), after), null);
  assert.equal(shouldRun(parseSchedule('30 seconds'), after), false);
  assert.equal(shouldRun(parseSchedule('@reboot'), after), false);
});

test('shouldRun tests the minute containing the instant in local time', () => {
  const schedule = parseSchedule('30 2 * * *');
  assert.equal(shouldRun(schedule, new Date('2024-01-01T02:30:59Z')), true);
  assert.equal(shouldRun(schedule, new Date('2024-01-01T02:31:00Z')), false);
  assert.equal(shouldRun(schedule, new Date('2024-01-01T07:30:00Z'), 'America/New_York'), true);
  assert.equal(shouldRun(parseSchedule('0 0 $ * *'), new Date('2024-02-29T00:00:00Z')), true);
  assert.equal(shouldRun(parseSchedule('0 0 $ * *'), new Date('2023-02-28T00:00:00Z')), true);
  assert.equal(shouldRun(parseSchedule('0 0 $ * *'), new Date('2024-02-28T00:00:00Z')), false);
});

test('an unknown time zone is refused with 22023', () => {
  assert.throws(
    () => nextRun(parseSchedule('* * * * *'), new Date(), 'Mars/Olympus_Mons'),
    (error: unknown) => error instanceof PgError && error.code === '22023' && error.message === 'time zone "Mars/Olympus_Mons" not recognized',
  );
});

/** Deterministic generator so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** A field in the syntax both this parser and cron-parser read the same way. */
function field(next: () => number, low: number, high: number, starOk: boolean): string {
  const value = () => low + Math.floor(next() * (high - low + 1));
  switch (Math.floor(next() * (starOk ? 5 : 4))) {
    case 0:
      return String(value());
    case 1:
      return [value(), value(), value()].join(',');
    case 2: {
      const [a, b] = [value(), value()].sort((x, y) => x - y);
      return `${a}-${b}`;
    }
    case 3: {
      const a = value();
      return `${a}-${high}/${1 + Math.floor(next() * 5)}`;
    }
    default:
      return `*/${1 + Math.floor(next() * 7)}`;
  }
}

test('cross-check against cron-parser on 400 random schedules and instants (UTC)', () => {
  const next = random(20240229);
  for (let i = 0; i < 400; i++) {
    // cron-parser reads a */n day field as restricted (OR rule) where Vixie cron reads it as a
    // star (AND rule), so day fields are either * or free of a leading *.
    const dom = next() < 0.4 ? '*' : field(next, 1, 31, false);
    const dow = next() < 0.5 ? '*' : field(next, 0, 7, false);
    const text = [field(next, 0, 59, true), field(next, 0, 23, true), dom, next() < 0.5 ? '*' : field(next, 1, 12, true), dow].join(' ');
    const after = new Date(Date.UTC(2000, 0, 1) + Math.floor(next() * 40 * 365.25 * 86_400_000));
    let expected: string;
    try {
      expected = CronExpressionParser.parse(text, { currentDate: after, tz: 'UTC' }).next().toDate().toISOString();
    } catch {
      continue; // cron-parser found no date in its own search window
    }
    assert.equal(nextRun(parseSchedule(text), after, 'UTC')?.toISOString(), expected, `${text} after ${after.toISOString()}`);
  }
});

const bruteFormats = new Map<string, Intl.DateTimeFormat>();

/** pg_cron's own loop, independently written: every absolute minute, fields read through Intl. */
function bruteForce(s: CronSchedule, after: Date, timeZone: string, minutes: number): Date | null {
  const format =
    bruteFormats.get(timeZone) ??
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
  bruteFormats.set(timeZone, format);
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  let t = Math.floor(after.getTime() / 60_000) * 60_000;
  for (let i = 0; i < minutes; i++) {
    t += 60_000;
    const p = Object.fromEntries(format.formatToParts(t).map((part) => [part.type, part.value]));
    const [year, month, day] = [Number(p.year), Number(p.month), Number(p.day)];
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate() === day;
    const thisDom = s.dayOfMonth[day] === true || (s.lastDayOfMonth && last);
    const thisDow = s.dayOfWeek[weekdays.indexOf(String(p.weekday))] === true;
    const dayOk = s.dayOfMonthStar || s.dayOfWeekStar ? thisDom && thisDow : thisDom || thisDow;
    if (s.minute[Number(p.minute)] && s.hour[Number(p.hour)] && s.month[month] && dayOk) return new Date(t);
  }
  return null;
}

test('cross-check 250 random schedules against a minute-by-minute scan around DST changes', () => {
  const next = random(7);
  const zones: Array<[string, string]> = [
    ['America/New_York', '2024-03-10T07:00:00Z'],
    ['America/New_York', '2024-11-03T06:00:00Z'],
    ['Europe/Berlin', '2024-03-31T01:00:00Z'],
    ['Europe/Berlin', '2024-10-27T01:00:00Z'],
    ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'],
    ['Asia/Kolkata', '2024-06-01T00:00:00Z'],
    ['GMT', '2024-02-29T00:00:00Z'],
  ];
  const horizon = 2 * 24 * 60;
  for (let i = 0; i < 250; i++) {
    const [zone, around] = pick(next, zones);
    const dom = pick(next, ['*', '$', field(next, 1, 31, true)]);
    const text = [field(next, 0, 59, true), field(next, 0, 23, true), dom, '*', pick(next, ['*', field(next, 0, 7, true)])].join(' ');
    const schedule = parseSchedule(text) as CronSchedule;
    const after = new Date(new Date(around).getTime() + Math.floor((next() - 0.5) * 2 * 86_400_000));
    const expected = bruteForce(schedule, after, zone, horizon);
    const actual = nextRun(schedule, after, zone);
    const label = `${text} in ${zone} after ${after.toISOString()}`;
    if (expected) {
      assert.equal(actual?.toISOString(), expected.toISOString(), label);
      assert.equal(shouldRun(schedule, expected, zone), true, label);
    } else {
      assert.ok(actual === null || actual.getTime() > after.getTime() + horizon * 60_000, label);
    }
  }
});

test('a sparse schedule is found without a minute-by-minute walk', () => {
  const started = performance.now();
  for (let i = 0; i < 200; i++) nextRun(parseSchedule('0 0 29 2 1'), new Date(Date.UTC(2001 + i, 2, 1)), 'America/New_York');
  assert.equal(nextRun(parseSchedule('0 0 29 2 *'), new Date('2001-03-01T00:00:00Z'), 'America/New_York')?.toISOString(), '2004-02-29T05:00:00.000Z');
  assert.ok(performance.now() - started < 2000, 'took too long');
});
