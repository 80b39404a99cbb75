// Dates and times of tracker entries are normalised here and nowhere else.
import type { DateOrder } from './trackerEntry';

/** A normalised click time: `date` is `YYYY-MM-DD`, `time` is `HH:MM:SS`. */
export interface ClickDateTime {
  date: string;
  time: string;
}

export type DateTimeResult =
  { ok: true; value: ClickDateTime } | { ok: false; field: 'date' | 'time'; message: string };

/**
 * Reads a date as written in a tracker file (ISO, dd/MM/yyyy with / - . separators, .NET
 * DateTime text). Returns `YYYY-MM-DD`, or undefined when it is not a real date.
 */
export function normaliseDate(text: string, order: DateOrder): string | undefined {
  void text;
  void order;
  return undefined; // TODO: filled in next commit
}

/**
 * Reads a time (HH:mm, HH:mm:ss, fractions, 12-hour AM/PM, xs:duration) rounded to the nearest
 * second, half up. `carryDays` is 1 when rounding carried past midnight.
 */
export function normaliseTime(text: string): { time: string; carryDays: number } | undefined {
  void text;
  return undefined; // TODO: filled in next commit
}

/** Reads the date and time fields of one entry together (rounding may carry into the date). */
export function normaliseClickDateTime(
  dateText: string,
  timeText: string | undefined,
  order: DateOrder,
): DateTimeResult {
  void dateText;
  void timeText;
  void order;
  return { ok: false, field: 'date', message: 'TODO: not implemented yet' };
}
