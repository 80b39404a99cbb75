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

/** The fields of the key in the order the database's primary key uses them. */
export const DEDUP_KEY_COLUMNS = ['contact_id', 'template', 'date', 'time'] as const;

/**
 * One string per distinct key. The separator is a character that escapeXml drops and XML 1.0
 * cannot carry, so no field value can contain it and two different keys never collide.
 */
export function dedupKey(entry: DedupFields): string {
  return `${entry.contactId}\u0000${entry.template}\u0000${entry.date}\u0000${entry.time}`;
}

/** The key's values in DEDUP_KEY_COLUMNS order, e.g. for SQL parameters. */
export function dedupKeyValues(entry: DedupFields): [string, string, string, string] {
  return [entry.contactId, entry.template, entry.date, entry.time];
}
