/**
 * A port of pg_cron's schedule parser: `parse_cron_entry` in `src/entry.c` (Vixie cron's
 * `load_entry`, cut down to the five time fields) and `TryParseInterval` in `src/job_metadata.c`.
 *
 * The port keeps pg_cron's character-at-a-time reading on purpose: its accept/reject behaviour
 * is defined by that code, quirks included (text after the fifth field is ignored because in a
 * crontab it would be the command; junk right after a valid range such as `5.` is skipped;
 * `*` is only a "star" for the day-of-month/day-of-week rule when it is the first character).
 *
 * Deliberate departures, each where pg_cron's C is undefined or plainly broken:
 * - numbers above 2^31-1 are rejected; C's atoi/sscanf wrap them (so pg_cron would read
 *   `4294967301` as minute 5 and `4294967297 seconds` as 1 second);
 * - a reversed range (`10-3`) selects nothing; pg_cron's bit_nset sets byte-dependent garbage;
 * - `@yearly`/`@annually` select January; pg_cron 1.6 calls set_element(month, 1, 12, 0),
 *   which fails silently and leaves no month, so the job never runs there;
 * - a `#` comment with no newline after it is rejected; pg_cron loops forever on it.
 */

/** The parsed time fields; arrays are indexed by the field's own value and frozen. */
export interface CronFields {
  /** minute[0..59] */
  readonly minute: readonly boolean[];
  /** hour[0..23] */
  readonly hour: readonly boolean[];
  /** dayOfMonth[1..31]; index 0 is unused. */
  readonly dayOfMonth: readonly boolean[];
  /** month[1..12]; index 0 is unused. */
  readonly month: readonly boolean[];
  /** dayOfWeek[0..7]; 0 and 7 are both Sunday and are always set together. */
  readonly dayOfWeek: readonly boolean[];
  /** `$` in the day-of-month field: the last day of the month (pg_cron's DOM_LAST). */
  readonly lastDayOfMonth: boolean;
  /** The day-of-month field began with `*` (DOM_STAR): days then need both fields to match. */
  readonly dayOfMonthStar: boolean;
  /** The day-of-week field began with `*` (DOW_STAR). */
  readonly dayOfWeekStar: boolean;
  /**
   * The minute or hour field began with `*` (MIN_STAR|HR_STAR). pg_cron's clock-jump handling
   * treats such "wildcard" jobs differently from fixed-time ones.
   */
  readonly wildcard: boolean;
}

export type ParsedEntry =
  | { readonly kind: 'cron'; readonly fields: CronFields }
  | { readonly kind: 'reboot' };

/** pg_cron's MAX_FILE_BUFFER_LENGTH: longer schedules are not cron schedules. */
const MAX_SCHEDULE_BYTES = 1000;
/** pg_cron's MAX_TEMPSTR: the longest token get_number collects. */
const MAX_TOKEN_LENGTH = 1000;
const INT32_MAX = 2147483647;

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** Index 7 repeats Sunday as in cron.h; lookups take the first match, so `sun` is 0. */
const DOW_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** End of input reads as '' forever, like pg_cron's get_char returning '\0' past the buffer. */
class Reader {
  private position = 0;
  private readonly pushedBack: string[] = [];

  constructor(private readonly text: string) {}

  next(): string {
    const pushed = this.pushedBack.pop();
    if (pushed !== undefined) return pushed;
    if (this.position >= this.text.length) return '';
    return this.text[this.position++] ?? '';
  }

  unget(ch: string): void {
    this.pushedBack.push(ch);
  }
}

/** A field being built: bits indexed by value, like the C bitstr offset by `low`. */
class Bits {
  readonly values: boolean[];
  constructor(readonly low: number, readonly high: number) {
    this.values = new Array<boolean>(high + 1).fill(false);
  }
  setRange(start: number, stop: number, step: number): void {
    for (let i = start; i <= stop; i += step) this.values[i] = true;
  }
}

const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';
const isAlnum = (ch: string): boolean => /^[A-Za-z0-9]$/.test(ch);
const isDigit = (ch: string): boolean => ch >= '0' && ch <= '9' && ch.length === 1;

function skipBlanks(ch: string, reader: Reader): string {
  while (isBlank(ch)) ch = reader.next();
  return ch;
}

function skipNonblanks(ch: string, reader: Reader): string {
  while (ch !== '' && ch !== ' ' && ch !== '\t' && ch !== '\n') ch = reader.next();
  return ch;
}

/** skip_comments: blank lines and `#` lines before the entry. False where pg_cron would hang. */
function skipComments(reader: Reader): boolean {
  for (;;) {
    let ch = skipBlanks(reader.next(), reader);
    if (ch !== '\n' && ch !== '#') {
      reader.unget(ch);
      return true;
    }
    while (ch !== '\n') {
      if (ch === '') return false;
      ch = reader.next();
    }
  }
}

interface NumberRead {
  readonly value: number;
  readonly ch: string;
}

/** get_number: an alphanumeric token that is a name from `names` or all digits. */
function getNumber(low: number, names: readonly string[] | null, ch: string, reader: Reader): NumberRead | null {
  let token = '';
  while (isAlnum(ch)) {
    if (token.length + 1 >= MAX_TOKEN_LENGTH) return null;
    token += ch;
    ch = reader.next();
  }
  if (token.length === 0) return null;
  if (names) {
    const index = names.indexOf(token.toLowerCase());
    if (index >= 0) return { value: index + low, ch };
  }
  if (![...token].every(isDigit)) return null;
  const value = Number(token);
  return value > INT32_MAX ? null : { value, ch };
}

/** get_range: `*`, `n`, or `n-m`, the last two optionally followed by `/step`. Null = EOF. */
function getRange(bits: Bits, names: readonly string[] | null, ch: string, reader: Reader): string | null {
  let first: number;
  let last: number;
  if (ch === '*') {
    first = bits.low;
    last = bits.high;
    ch = reader.next();
  } else {
    const start = getNumber(bits.low, names, ch, reader);
    if (!start) return null;
    ch = start.ch;
    if (ch !== '-') {
      // A step needs a range: `1/20` is refused, as in Vixie cron.
      if (ch === '/') return null;
      if (start.value < bits.low || start.value > bits.high) return null;
      bits.setRange(start.value, start.value, 1);
      return ch;
    }
    const stop = getNumber(bits.low, names, reader.next(), reader);
    if (!stop) return null;
    first = start.value;
    last = stop.value;
    ch = stop.ch;
  }

  let step = 1;
  if (ch === '/') {
    // The step is a plain number: no names, no offset.
    const read = getNumber(0, null, reader.next(), reader);
    // pg_cron's sanity check: a step above the field's high value (`*/60` minutes) is refused.
    if (!read || read.value <= 0 || read.value > bits.high) return null;
    step = read.value;
    ch = read.ch;
  }
  if (first < bits.low || first > bits.high || last < bits.low || last > bits.high) return null;
  bits.setRange(first, last, step);
  return ch;
}

/** get_list: ranges separated by commas, then whatever non-blank follows, then blanks. */
function getList(bits: Bits, names: readonly string[] | null, ch: string, reader: Reader): string | null {
  for (;;) {
    const after = getRange(bits, names, ch, reader);
    if (after === null) return null;
    if (after !== ',') {
      ch = after;
      break;
    }
    ch = reader.next();
  }
  return skipBlanks(skipNonblanks(ch, reader), reader);
}

function freeze(bits: Bits): readonly boolean[] {
  return Object.freeze(bits.values.slice());
}

interface FieldSpec {
  minute: Bits;
  hour: Bits;
  dayOfMonth: Bits;
  month: Bits;
  dayOfWeek: Bits;
  lastDayOfMonth: boolean;
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
  wildcard: boolean;
}

function emptySpec(): FieldSpec {
  return {
    minute: new Bits(0, 59),
    hour: new Bits(0, 23),
    dayOfMonth: new Bits(1, 31),
    month: new Bits(1, 12),
    dayOfWeek: new Bits(0, 7),
    lastDayOfMonth: false,
    dayOfMonthStar: false,
    dayOfWeekStar: false,
    wildcard: false,
  };
}

function fill(bits: Bits): void {
  bits.setRange(bits.low, bits.high, 1);
}

/** The `@` specials, with the same star flags pg_cron sets for them. */
function special(name: string): FieldSpec | 'reboot' | null {
  if (name === 'reboot' || name === 'restart') return 'reboot';
  const spec = emptySpec();
  spec.minute.setRange(0, 0, 1);
  switch (name) {
    case 'yearly':
    case 'annually':
      spec.hour.setRange(0, 0, 1);
      spec.dayOfMonth.setRange(1, 1, 1);
      spec.month.setRange(1, 1, 1);
      fill(spec.dayOfWeek);
      spec.dayOfWeekStar = true;
      return spec;
    case 'monthly':
      spec.hour.setRange(0, 0, 1);
      spec.dayOfMonth.setRange(1, 1, 1);
      fill(spec.month);
      fill(spec.dayOfWeek);
      spec.dayOfWeekStar = true;
      return spec;
    case 'weekly':
      spec.hour.setRange(0, 0, 1);
      fill(spec.dayOfMonth);
      fill(spec.month);
      spec.dayOfWeek.setRange(0, 0, 1);
      spec.dayOfWeekStar = true;
      return spec;
    case 'daily':
    case 'midnight':
      spec.hour.setRange(0, 0, 1);
      fill(spec.dayOfMonth);
      fill(spec.month);
      fill(spec.dayOfWeek);
      return spec;
    case 'hourly':
      fill(spec.hour);
      fill(spec.dayOfMonth);
      fill(spec.month);
      fill(spec.dayOfWeek);
      spec.wildcard = true;
      return spec;
    default:
      return null;
  }
}

function parseFields(ch: string, reader: Reader): FieldSpec | null {
  const spec = emptySpec();
  spec.wildcard = ch === '*';
  let next = getList(spec.minute, null, ch, reader);
  if (next === null) return null;

  spec.wildcard ||= next === '*';
  next = getList(spec.hour, null, next, reader);
  if (next === null) return null;

  if (next === '$') {
    // `$` must stand alone in its field: `$foo` and `$,5` are refused.
    next = reader.next();
    if (!isBlank(next)) return null;
    next = skipBlanks(next, reader);
    spec.lastDayOfMonth = true;
  } else {
    spec.dayOfMonthStar = next === '*';
    next = getList(spec.dayOfMonth, null, next, reader);
    if (next === null) return null;
  }

  next = getList(spec.month, MONTH_NAMES, next, reader);
  if (next === null) return null;

  spec.dayOfWeekStar = next === '*';
  // Whatever follows the fifth field is ignored: in a crontab it is the command.
  return getList(spec.dayOfWeek, DOW_NAMES, next, reader) === null ? null : spec;
}

/** parse_cron_entry: null when pg_cron would not accept `text` as a cron schedule. */
export function parseCronEntry(text: string): ParsedEntry | null {
  if (text.includes('\0') || Buffer.byteLength(text, 'utf8') >= MAX_SCHEDULE_BYTES) return null;
  const reader = new Reader(text);
  if (!skipComments(reader)) return null;

  const ch = reader.next();
  let spec: FieldSpec | null;
  if (ch === '@') {
    let name = '';
    for (let c = reader.next(); c !== '' && c !== ' ' && c !== '\t' && c !== '\n'; c = reader.next()) name += c;
    const result = special(name);
    if (result === 'reboot') return { kind: 'reboot' };
    spec = result;
  } else {
    spec = parseFields(ch, reader);
  }
  if (spec === null) return null;

  // Sunday is both 0 and 7.
  if (spec.dayOfWeek.values[0] || spec.dayOfWeek.values[7]) {
    spec.dayOfWeek.values[0] = true;
    spec.dayOfWeek.values[7] = true;
  }
  const fields: CronFields = Object.freeze({
    minute: freeze(spec.minute),
    hour: freeze(spec.hour),
    dayOfMonth: freeze(spec.dayOfMonth),
    month: freeze(spec.month),
    dayOfWeek: freeze(spec.dayOfWeek),
    lastDayOfMonth: spec.lastDayOfMonth,
    dayOfMonthStar: spec.dayOfMonthStar,
    dayOfWeekStar: spec.dayOfWeekStar,
    wildcard: spec.wildcard,
  });
  return Object.freeze({ kind: 'cron', fields });
}

/**
 * TryParseInterval: `sscanf(lower(text), " %u secon%c%c %c", ...)` accepting `<n> second` or
 * `<n> seconds` with 0 < n < 60. Whitespace is C's isspace, and may be absent (`5seconds`);
 * `5 second ` is refused because the blank is read as the plural letter. Returns n or null.
 */
export function parseSecondsInterval(text: string): number | null {
  // asc_tolower: ASCII letters only.
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const match = /^[ \t\n\v\f\r]*([+-]?)(\d+)[ \t\n\v\f\r]*secon(.)(.?)(.*)$/s.exec(lower);
  if (!match) return null;
  const [, sign = '', digits = '', lastChar, plural = '', rest = ''] = match;
  if (lastChar !== 'd') return null;
  // " %c" after the plural letter skips whitespace and must then find nothing.
  const extra = rest.replace(/^[ \t\n\v\f\r]+/, '');
  const singular = plural === '';
  if (!(singular || (plural === 's' && extra === ''))) return null;
  if (sign === '-') return null;
  const seconds = Number(digits);
  return seconds > 0 && seconds < 60 ? seconds : null;
}
