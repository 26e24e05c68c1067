import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgError } from '../../../src/errors/index.js';
import { intervalSeconds, isIntervalSchedule, isReboot, parseSchedule, type CronSchedule, type Schedule } from '../../../src/cron/schedule.js';

const HINT = "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";

function assertInvalid(text: string): void {
  assert.throws(
    () => parseSchedule(text),
    (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.equal(error.code, '22023');
      assert.equal(error.message, `invalid schedule: ${text}`);
      assert.equal(error.hint, HINT);
      return true;
    },
    JSON.stringify(text),
  );
}

function cron(text: string): CronSchedule {
  const schedule: Schedule = parseSchedule(text);
  assert.equal(schedule.kind, 'cron', JSON.stringify(text));
  return schedule as CronSchedule;
}

const setOf = (bits: readonly boolean[]): number[] => bits.flatMap((on, i) => (on ? [i] : []));

test("pg_cron's regression test: invalid schedules are refused with its message, hint and 22023", () => {
  for (const text of [
    'a'.repeat(1000),
    '* * * *',
    '5 secondc',
    '50 seconds c',
    '-1 seconds',
    '0 seconds',
    '60 seconds',
    '10000000000 seconds',
    '@restar',
    '0 11 $foo * *',
  ]) assertInvalid(text);
});

test("pg_cron's regression test: valid schedules are accepted", () => {
  assert.equal(cron('0 10 * * *').text, '0 10 * * *');
  assert.ok(isReboot(parseSchedule('@restart')));
  assert.equal(intervalSeconds(parseSchedule('1 second')), 1);
  assert.equal(intervalSeconds(parseSchedule(' 30 sEcOnDs ')), 30);
  assert.equal(intervalSeconds(parseSchedule('59 seconds')), 59);
  assert.equal(intervalSeconds(parseSchedule('17  seconds ')), 17);
  assert.equal(cron('0 11 $ * *').lastDayOfMonth, true);
});

test('interval forms follow the sscanf pattern " %u secon%c%c %c"', () => {
  for (const text of ['5seconds', '+5 seconds', '05 second', '5 seconds\n', '\t7 SECOND']) {
    assert.ok(isIntervalSchedule(parseSchedule(text)), JSON.stringify(text));
  }
  // A blank after "second" is read as the plural letter, so it must be an s.
  for (const text of ['5 second ', '5 secondss', '5 sec', '5 minutes', '5.0 seconds', '- 5 seconds', '4294967297 seconds', '-4294967295 seconds']) {
    assertInvalid(text);
  }
  assert.equal(intervalSeconds(cron('* * * * *')), null);
});

test('fields, ranges, steps, lists and names', () => {
  const s = cron('*/15 9-17/4 1,15,31 jan-mar,DEC mon-fri');
  assert.deepEqual(setOf(s.minute), [0, 15, 30, 45]);
  assert.deepEqual(setOf(s.hour), [9, 13, 17]);
  assert.deepEqual(setOf(s.dayOfMonth), [1, 15, 31]);
  assert.deepEqual(setOf(s.month), [1, 2, 3, 12]);
  assert.deepEqual(setOf(s.dayOfWeek), [1, 2, 3, 4, 5]);
  assert.equal(s.wildcard, true);
  assert.equal(s.dayOfMonthStar, false);
  assert.deepEqual(setOf(cron('0 0 * FeB SUN').month), [2]);
  assert.deepEqual(setOf(cron('0 0 * * sat').dayOfWeek), [6]);
});

test('Sunday is both 0 and 7', () => {
  assert.deepEqual(setOf(cron('0 0 * * 7').dayOfWeek), [0, 7]);
  assert.deepEqual(setOf(cron('0 0 * * 0').dayOfWeek), [0, 7]);
  assert.deepEqual(setOf(cron('0 0 * * sun').dayOfWeek), [0, 7]);
});

test('star flags come from the first character of the field only', () => {
  assert.equal(cron('0 0 */2 * 1').dayOfMonthStar, true);
  assert.equal(cron('0 0 1,* * 1').dayOfMonthStar, false);
  assert.equal(cron('0 0 1 * */2').dayOfWeekStar, true);
  assert.equal(cron('5 4 * * *').wildcard, false);
  assert.equal(cron('5 * * * *').wildcard, true);
});

test('@ specials', () => {
  const yearly = cron('@yearly');
  assert.deepEqual([setOf(yearly.minute), setOf(yearly.hour), setOf(yearly.dayOfMonth), setOf(yearly.month)], [[0], [0], [1], [1]]);
  assert.deepEqual(setOf(cron('@annually').month), [1]);
  const monthly = cron('@monthly');
  assert.deepEqual([setOf(monthly.dayOfMonth), setOf(monthly.month).length, monthly.dayOfWeekStar], [[1], 12, true]);
  const weekly = cron('@weekly');
  assert.deepEqual([setOf(weekly.dayOfWeek), setOf(weekly.dayOfMonth).length], [[0, 7], 31]);
  assert.deepEqual(setOf(cron('@daily').hour), [0]);
  assert.deepEqual(setOf(cron('@midnight').hour), [0]);
  const hourly = cron('@hourly');
  assert.deepEqual([setOf(hourly.minute), setOf(hourly.hour).length, hourly.wildcard], [[0], 24, true]);
  assert.ok(isReboot(parseSchedule('@reboot')));
  // Like the rest of a crontab line, text after the special is the command and is ignored.
  assert.deepEqual(setOf(cron('@daily whatever').hour), [0]);
  for (const text of ['@DAILY', '@', '@ daily', '@weekly1']) assertInvalid(text);
});

test("accepts what pg_cron's Vixie parser accepts", () => {
  // Text after the fifth field (the crontab command), junk after a range, leading comments.
  assert.deepEqual(setOf(cron('5 4 * * * SELECT 1').minute), [5]);
  assert.deepEqual(setOf(cron('5. 4 * * *').minute), [5]);
  assert.deepEqual(setOf(cron('  \n# comment\n\t5 4 * * *').minute), [5]);
  // A step up to the field's high value is accepted; one above it is refused (see below).
  assert.deepEqual(setOf(cron('*/59 * * * *').minute), [0, 59]);
  assert.deepEqual(setOf(cron('0 */23 * * *').hour), [0, 23]);
  assert.deepEqual(setOf(cron('0 0 */31 * *').dayOfMonth), [1]);
  assert.deepEqual(setOf(cron('0 0 1 */12 *').month), [1]);
  assert.deepEqual(setOf(cron('0 0 * * */7').dayOfWeek), [0, 7]);
  // A reversed range selects nothing: the schedule parses and never runs.
  assert.deepEqual(setOf(cron('10-3 * * * *').minute), []);
  assert.deepEqual(setOf(cron('0 0 * * mon-sun').dayOfWeek), []);
});

test("refuses what pg_cron's Vixie parser refuses", () => {
  for (const text of [
    '',
    '   ',
    '# only a comment',
    '60 * * * *',
    '-1 * * * *',
    '* 24 * * *',
    '* * 0 * *',
    '* * 32 * *',
    '* * * 0 *',
    '* * * 13 *',
    '* * * * 8',
    '*/0 * * * *',
    '*/-1 * * * *',
    '1/5 * * * *',
    '5-64/30 * * * *',
    // get_range refuses a step above the field's high value.
    '*/60 10 * * *',
    '*/61 * * * *',
    '0-59/100 * * * *',
    '0 */24 * * *',
    '0 0 */32 * *',
    '0 0 1 */13 *',
    '0 0 * * */8',
    '*/ * * * *',
    '1- * * * *',
    '1,,2 * * * *',
    '* * *',
    '*',
    '0 0 $,5 * *',
    '0 0 $',
    '0 0 * * $',
    '$ 0 * * *',
    '0 0 * january *',
    '0 0 * * monday',
    '0 0 * 1jan *',
    'jan * * * *',
    '4294967301 * * * *',
    '*/99999999999999999999 * * * *',
    `* * * * *${' '.repeat(995)}`,
  ]) assertInvalid(text);
});

test('a schedule is immutable', () => {
  const s = cron('5 4 * * *');
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.minute));
  assert.throws(() => {
    (s.minute as boolean[])[6] = true;
  }, TypeError);
});
