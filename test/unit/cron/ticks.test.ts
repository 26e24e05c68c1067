import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../../src/cron/schedule.js';
import { dueTicks, firstTick, intervalTick, MAX_CATCH_UP_TICKS } from '../../../src/cron/ticks.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

test('an interval job ticks on multiples of its interval since the epoch, the same in every process', () => {
  const every7 = parseSchedule('7 seconds');
  const now = at('2024-01-01T00:00:10.500Z');
  const first = firstTick(every7, now, 'GMT');
  assert.ok(first !== null && first > now);
  assert.equal(first % 7000, 0);
  assert.ok(first - now <= 7000);
  // Called at any moment of one period, the tick is that period's start.
  const { tick, next } = intervalTick(7, first + 6999);
  assert.equal(tick, first);
  assert.equal(next, first + 7000);
});

test('an interval job that slept through several periods runs once, not once per missed period', () => {
  const { tick, next } = intervalTick(5, at('2024-01-01T00:01:02.000Z'));
  assert.equal(iso(tick), '2024-01-01T00:01:00.000Z');
  assert.equal(iso(next), '2024-01-01T00:01:05.000Z');
});

test('a cron job due now has exactly that tick, and the next one comes from its schedule', () => {
  const hourly = parseSchedule('0 * * * *');
  const due = at('2024-01-01T10:00:00Z');
  const { ticks, next } = dueTicks(hourly, due, due + 20, 'GMT');
  assert.deepEqual(ticks.map(iso), ['2024-01-01T10:00:00.000Z']);
  assert.equal(iso(next), '2024-01-01T11:00:00.000Z');
});

test('ticks missed while the process was busy are queued in order, as pg_cron queues pending runs', () => {
  const everyMinute = parseSchedule('* * * * *');
  const { ticks, next } = dueTicks(everyMinute, at('2024-01-01T10:00:00Z'), at('2024-01-01T10:03:30Z'), 'GMT');
  assert.deepEqual(ticks.map(iso), ['2024-01-01T10:00:00.000Z', '2024-01-01T10:01:00.000Z', '2024-01-01T10:02:00.000Z', '2024-01-01T10:03:00.000Z']);
  assert.equal(iso(next), '2024-01-01T10:04:00.000Z');
});

test('a long stall catches up at most MAX_CATCH_UP_TICKS runs and resumes after now', () => {
  const everyMinute = parseSchedule('* * * * *');
  const now = at('2024-01-02T10:00:30Z');
  const { ticks, next } = dueTicks(everyMinute, at('2024-01-01T10:00:00Z'), now, 'GMT');
  assert.equal(ticks.length, MAX_CATCH_UP_TICKS);
  assert.equal(iso(ticks[0] ?? null), '2024-01-01T10:00:00.000Z');
  assert.equal(iso(next), '2024-01-02T10:01:00.000Z');
  assert.deepEqual(dueTicks(everyMinute, at('2024-01-01T10:00:00Z'), now, 'GMT', 2).ticks.length, 2);
});

test('a tick not yet due is not returned', () => {
  const daily = parseSchedule('30 4 * * *');
  const nextDue = at('2024-01-01T04:30:00Z');
  assert.deepEqual(dueTicks(daily, nextDue, nextDue - 1, 'GMT'), { ticks: [], next: nextDue });
});

test('cron ticks follow cron.timezone; @reboot has no clock tick', () => {
  const nineAm = parseSchedule('0 9 * * *');
  assert.equal(iso(firstTick(nineAm, at('2024-07-01T00:00:00Z'), 'America/New_York')), '2024-07-01T13:00:00.000Z');
  assert.equal(iso(firstTick(nineAm, at('2024-07-01T00:00:00Z'), 'GMT')), '2024-07-01T09:00:00.000Z');
  assert.equal(firstTick(parseSchedule('@reboot'), at('2024-07-01T00:00:00Z'), 'GMT'), null);
});
