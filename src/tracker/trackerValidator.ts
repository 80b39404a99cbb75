// Validation of a tracker file as text in the editor, with the reader's rules and ranges.
import type { DateOrder, Position, Severity } from './trackerEntry';

/** A text edit with 1-based line/column positions; `end` is exclusive. */
export interface TextEditSpec {
  start: Position;
  end: Position;
  newText: string;
}

export type DiagnosticCode =
  | 'not-well-formed'
  | 'doctype'
  | 'missing-field'
  | 'bad-date'
  | 'bad-time'
  | 'duplicate'
  | 'cut-off-entry'
  | 'missing-root-end'
  | 'encoding';

export interface TrackerDiagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  start: Position;
  end: Position;
  related?: { start: Position; end: Position; message: string };
  fix?: { title: string; edits: TextEditSpec[] };
}

export interface EntryInfo {
  start: Position;
  end: Position;
  contactId?: string;
  template?: string;
  linkName?: string;
  /** Normalised as the importer would store them. */
  date?: string;
  time?: string;
  rawDate?: string;
  rawTime?: string;
}

export interface ValidationResult {
  diagnostics: TrackerDiagnostic[];
  entries: EntryInfo[];
  rootName?: string;
  looksLikeTracker: boolean;
}

export function validateTracker(text: string, options: { dateOrder: DateOrder }): ValidationResult {
  void text;
  void options;
  return { diagnostics: [], entries: [], looksLikeTracker: false }; // TODO: next commit
}
