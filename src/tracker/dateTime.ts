// Dates and times of tracker entries are normalised here and nowhere else.
//
// Wall-clock values are kept exactly as written: a UTC offset in .NET DateTime text is read
// and dropped, never applied, so an import never shifts a click between zones.
import type { DateOrder } from './trackerEntry';

/** A normalised click time: `date` is `YYYY-MM-DD`, `time` is `HH:MM:SS`. */
export interface ClickDateTime {
  date: string;
  time: string;
}

export type DateTimeResult =
  { ok: true; value: ClickDateTime } | { ok: false; field: 'date' | 'time'; message: string };

interface YMD {
  year: number;
  month: number;
  day: number;
}

/** A time of day before rounding: `roundUp` is set when the fraction is half a second or more. */
interface HMS {
  hour: number;
  minute: number;
  second: number;
  roundUp: boolean;
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const YEAR_FIRST_DATE = /^(\d{4})([/.])(\d{1,2})\2(\d{1,2})$/;
const NUMERIC_DATE = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]+(.+))?$/;
const DOTNET_DATE_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]\d{2}:?\d{2})?$/;
const CLOCK_TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?$/;
const TWELVE_HOUR_TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp])\.?[Mm]\.?$/;
const DURATION_TIME = /^P(?:0+D)?T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?$/;

const CANONICAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CANONICAL_TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function formatDate(d: YMD): string {
  return `${String(d.year).padStart(4, '0')}-${pad2(d.month)}-${pad2(d.day)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function realDate(year: number, month: number, day: number): YMD | undefined {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  return { year, month, day };
}

function nextDay(d: YMD): YMD {
  if (d.day < daysInMonth(d.year, d.month)) {
    return { ...d, day: d.day + 1 };
  }
  return d.month < 12
    ? { year: d.year, month: d.month + 1, day: 1 }
    : { year: d.year + 1, month: 1, day: 1 };
}

function halfUp(fraction: string | undefined): boolean {
  return fraction !== undefined && fraction.charCodeAt(0) >= 0x35; // first digit 5..9
}

function clock(hour: number, minute: number, second: number, fraction?: string): HMS | undefined {
  if (hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  return { hour, minute, second, roundUp: halfUp(fraction) };
}

/** Parses a time of day in any accepted form, before rounding. */
function parseTime(text: string): HMS | undefined {
  let m = CLOCK_TIME.exec(text);
  if (m) {
    return clock(Number(m[1]), Number(m[2]), Number(m[3] ?? 0), m[4]);
  }
  m = TWELVE_HOUR_TIME.exec(text);
  if (m) {
    const hour12 = Number(m[1]);
    if (hour12 < 1 || hour12 > 12) {
      return undefined;
    }
    const pm = m[5] === 'P' || m[5] === 'p';
    const hour = (hour12 % 12) + (pm ? 12 : 0);
    return clock(hour, Number(m[2]), Number(m[3] ?? 0), m[4]);
  }
  m = DURATION_TIME.exec(text);
  if (m && (m[1] !== undefined || m[2] !== undefined || m[3] !== undefined)) {
    return clock(Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4]);
  }
  const dateTime = parseDate(text, 'dmy');
  return dateTime?.time;
}

/** Parses a date in any accepted form; .NET DateTime text also yields its time of day. */
function parseDate(text: string, order: DateOrder): { date: YMD; time?: HMS } | undefined {
  let m = ISO_DATE.exec(text);
  if (m) {
    const date = realDate(Number(m[1]), Number(m[2]), Number(m[3]));
    return date && { date };
  }
  m = DOTNET_DATE_TIME.exec(text);
  if (m) {
    const date = realDate(Number(m[1]), Number(m[2]), Number(m[3]));
    const time = parseTime(m[4]);
    return date && time && { date, time };
  }
  m = YEAR_FIRST_DATE.exec(text);
  if (m) {
    const date = realDate(Number(m[1]), Number(m[3]), Number(m[4]));
    return date && { date };
  }
  m = NUMERIC_DATE.exec(text);
  if (m) {
    const [first, second] = [Number(m[1]), Number(m[3])];
    const date =
      order === 'mdy'
        ? realDate(Number(m[4]), first, second)
        : realDate(Number(m[4]), second, first);
    if (!date) {
      return undefined;
    }
    if (m[5] === undefined) {
      return { date };
    }
    const time = parseTime(m[5].trim());
    return time && { date, time };
  }
  return undefined;
}

/** Rounds to the nearest second, half up; `carryDays` is 1 when that crosses midnight. */
function roundTime(t: HMS): { time: string; carryDays: number } {
  let { hour, minute, second } = t;
  let carryDays = 0;
  if (t.roundUp) {
    second += 1;
    if (second === 60) {
      second = 0;
      minute += 1;
    }
    if (minute === 60) {
      minute = 0;
      hour += 1;
    }
    if (hour === 24) {
      hour = 0;
      carryDays = 1;
    }
  }
  return { time: `${pad2(hour)}:${pad2(minute)}:${pad2(second)}`, carryDays };
}

/** Trims XML white space only (space, tab, CR, LF): other characters are part of the value. */
export function trimXmlSpace(text: string): string {
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if (first > 32 && last > 32) {
    return text;
  }
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/**
 * Reads a date as written in a tracker file (ISO, dd/MM/yyyy with / - . separators, .NET
 * DateTime text). Returns `YYYY-MM-DD`, or undefined when it is not a real date.
 */
export function normaliseDate(text: string, order: DateOrder): string | undefined {
  const parsed = parseDate(trimXmlSpace(text), order);
  return parsed && formatDate(parsed.date);
}

/**
 * Reads a time (HH:mm, HH:mm:ss, fractions, 12-hour AM/PM, xs:duration) rounded to the nearest
 * second, half up. `carryDays` is 1 when rounding carried past midnight.
 */
export function normaliseTime(text: string): { time: string; carryDays: number } | undefined {
  const parsed = parseTime(trimXmlSpace(text));
  return parsed && roundTime(parsed);
}

/**
 * Reads the date and time fields of one entry together (rounding may carry into the date).
 * With no time field, a date written as DateTime text supplies the time of day.
 */
export function normaliseClickDateTime(
  dateText: string,
  timeText: string | undefined,
  order: DateOrder,
): DateTimeResult {
  // The canonical form is by far the most common: check it without the general parsers.
  if (timeText !== undefined && CANONICAL_TIME.test(timeText) && isRealIsoDate(dateText)) {
    return { ok: true, value: { date: dateText, time: timeText } };
  }

  const dateTrimmed = trimXmlSpace(dateText);
  const parsedDate = parseDate(dateTrimmed, order);
  if (!parsedDate) {
    return { ok: false, field: 'date', message: describeBadDate(dateTrimmed, order) };
  }

  let time = parsedDate.time;
  const timeTrimmed = timeText === undefined ? '' : trimXmlSpace(timeText);
  if (timeTrimmed !== '') {
    time = parseTime(timeTrimmed);
    if (!time) {
      return { ok: false, field: 'time', message: `"${timeTrimmed}" is not a valid time of day` };
    }
  }
  if (!time) {
    return { ok: false, field: 'time', message: 'the time is missing' };
  }

  const rounded = roundTime(time);
  const date = rounded.carryDays ? nextDay(parsedDate.date) : parsedDate.date;
  if (date.year > 9999) {
    // .NET's DateTime.MaxValue (9999-12-31T23:59:59.9999999) is one: no four-digit date holds it.
    const message =
      `"${dateTrimmed}" rounds to a second after 9999-12-31 23:59:59, ` +
      'the last one a date can name';
    return { ok: false, field: 'date', message };
  }
  return { ok: true, value: { date: formatDate(date), time: rounded.time } };
}

// Clicks of one file share few dates: remember the last canonical one found real.
let lastRealIsoDate = '';

function isRealIsoDate(text: string): boolean {
  if (text === lastRealIsoDate) {
    return true;
  }
  if (!CANONICAL_DATE.test(text)) {
    return false;
  }
  const [y, mo, d] = [text.slice(0, 4), text.slice(5, 7), text.slice(8, 10)];
  if (!realDate(Number(y), Number(mo), Number(d))) {
    return false;
  }
  lastRealIsoDate = text;
  return true;
}

function describeBadDate(text: string, order: DateOrder): string {
  if (text === '') {
    return 'the date is empty';
  }
  if (NUMERIC_DATE.test(text) && parseDate(text, order === 'dmy' ? 'mdy' : 'dmy')) {
    const orderName = order === 'dmy' ? 'day-month' : 'month-day';
    return `"${text}" is not a valid date in ${orderName} order`;
  }
  return `"${text}" is not a valid date`;
}

const MONTH_NAMES = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];

function monthFromName(name: string): number | undefined {
  const index = MONTH_NAMES.indexOf(name.slice(0, 3).toLowerCase());
  return index < 0 ? undefined : index + 1;
}

/**
 * For a date the reader cannot read, the one canonical date it unambiguously means, if any:
 * numeric dates that only make sense in the other day/month order, and dates with month names
 * (`14 March 2026`, `Mar 14, 2026`). Used for quick fixes, never for importing.
 */
export function suggestDate(text: string, order: DateOrder): string | undefined {
  const trimmed = trimXmlSpace(text);
  if (parseDate(trimmed, order)) {
    return undefined;
  }
  const m = NUMERIC_DATE.exec(trimmed);
  if (m && m[5] === undefined) {
    const other = parseDate(trimmed, order === 'dmy' ? 'mdy' : 'dmy');
    return other && formatDate(other.date);
  }
  const dayFirst = /^(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})$/.exec(trimmed);
  const monthFirst = /^([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/.exec(trimmed);
  const parts = dayFirst
    ? { day: dayFirst[1], month: dayFirst[2], year: dayFirst[3] }
    : monthFirst && { day: monthFirst[2], month: monthFirst[1], year: monthFirst[3] };
  if (!parts) {
    return undefined;
  }
  const month = monthFromName(parts.month);
  const date = month && realDate(Number(parts.year), month, Number(parts.day));
  return date ? formatDate(date) : undefined;
}

/**
 * For a time the reader cannot read, the one canonical time it unambiguously means, if any:
 * `9.26.53` or `9h26` style separators. Used for quick fixes, never for importing.
 */
export function suggestTime(text: string): string | undefined {
  const trimmed = trimXmlSpace(text);
  if (parseTime(trimmed)) {
    return undefined;
  }
  const m = /^(\d{1,2})[.hH](\d{2})(?:[.mM](\d{2}))?[sS]?$/.exec(trimmed);
  const t = m && clock(Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
  return t ? roundTime(t).time : undefined;
}

/** Whether a value is already written the canonical way (`2026-03-14`, `09:26:53`). */
export function isCanonicalDate(text: string): boolean {
  return CANONICAL_DATE.test(text) && normaliseDate(text, 'dmy') === text;
}

export function isCanonicalTime(text: string): boolean {
  return CANONICAL_TIME.test(text);
}
