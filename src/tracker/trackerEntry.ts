// The entry model shared by the reader, the writer, the validator and the store.

/** How numeric dates such as 03/04/2026 are read: day first (default) or month first. */
export type DateOrder = 'dmy' | 'mdy';

export type Severity = 'error' | 'warning';

/** A 1-based line and column in the text of a tracker file. */
export interface Position {
  line: number;
  column: number;
}

/** One problem found while reading a tracker file, located in the file. */
export interface Problem extends Position {
  severity: Severity;
  message: string;
  /** Where the offending text ends, when known (for editor ranges). */
  end?: Position;
}

/** One click, normalised: text values trimmed, date `YYYY-MM-DD`, time `HH:MM:SS`. */
export interface TrackerEntry {
  template: string;
  contactId: string;
  linkName: string;
  date: string;
  time: string;
  /** Where the entry's opening tag starts. */
  line: number;
  column: number;
}
