// The de-duplication key, computed here and nowhere else: two clicks are the same click when
// contact, email template, date and time (to the second) all match. Link name is deliberately
// not part of it.

export interface DedupFields {
  contactId: string;
  template: string;
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS` */
  time: string;
}

/**
 * The columns of stored_clicks that hold the key, in its primary key's order: the template is
 * stored as the id of its text in the names table, the date and time as the integers that
 * storedDate and storedTime make of them.
 */
export const STORED_KEY_COLUMNS = ['contact_id', 'template_id', 'date', 'time'] as const;

/** `YYYY-MM-DD` as the integer yyyymmdd (2026-03-14 is 20260314), which sorts the same way. */
export function storedDate(date: string): number {
  return Number(date.slice(0, 4) + date.slice(5, 7) + date.slice(8, 10));
}

/** `HH:MM:SS` as the integer hhmmss (09:26:53 is 92653), which sorts the same way. */
export function storedTime(time: string): number {
  return Number(time.slice(0, 2) + time.slice(3, 5) + time.slice(6, 8));
}

/**
 * One string per distinct key. The separator is a character that escapeXml drops and XML 1.0
 * cannot carry, so no field value can contain it and two different keys never collide.
 */
export function dedupKey(entry: DedupFields): string {
  return `${entry.contactId}\u0000${entry.template}\u0000${entry.date}\u0000${entry.time}`;
}
