// Validation of a tracker file as text in the editor: the importer's scanner and rules, turned
// into diagnostics with ranges and the quick fixes where one obvious edit repairs the text.
import { suggestDate, suggestTime, trimXmlSpace } from './dateTime';
import { dedupKey } from './dedupKey';
import type { DateOrder, Position, Severity, TrackerEntry } from './trackerEntry';
import type { EntryIssue, RawFields } from './trackerFields';
import { supportsEncoding } from './trackerReader';
import { TrackerScanner, type EntrySpan, type ScanSummary } from './trackerScanner';

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

/** Lines of the text, split the way the editor splits them, made only when a fix needs them. */
class Lines {
  private lines: string[] | undefined;

  constructor(private readonly text: string) {}

  get(line: number): string {
    this.lines ??= this.text.split(/\r\n|\r|\n/);
    return this.lines[line - 1] ?? '';
  }

  get count(): number {
    this.lines ??= this.text.split(/\r\n|\r|\n/);
    return this.lines.length;
  }
}

export function validateTracker(text: string, options: { dateOrder: DateOrder }): ValidationResult {
  // The editor never shows a byte order mark as text; a stray one is not part of the XML.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = new Lines(body);
  const diagnostics: TrackerDiagnostic[] = [];
  const entries: EntryInfo[] = [];
  const firstByKey = new Map<string, EntrySpan>();

  const sink = {
    entry: (entry: TrackerEntry, span: EntrySpan | undefined) => {
      const where = span!;
      entries.push(entryInfo(where, entry));
      const key = dedupKey(entry);
      const first = firstByKey.get(key);
      if (first) {
        diagnostics.push(duplicateDiagnostic(where, first, lines));
      } else {
        firstByKey.set(key, where);
      }
    },
    badEntry: (issues: EntryIssue[], span: EntrySpan) => {
      entries.push(entryInfo(span));
      for (const issue of issues) {
        diagnostics.push(issueDiagnostic(issue, span, options.dateOrder));
      }
    },
  };

  const scanner = new TrackerScanner({ dateOrder: options.dateOrder, spans: true }, sink);
  scanner.push(body, true);
  const summary = scanner.finish();
  diagnostics.push(...endDiagnostics(summary, body, lines));
  const encoding = encodingDiagnostic(body);
  if (encoding) {
    diagnostics.unshift(encoding);
  }

  return {
    diagnostics,
    entries,
    rootName: summary.rootName,
    looksLikeTracker: entries.length > 0 || /tracker/i.test(summary.rootName ?? ''),
  };
}

/** What the editor shows of an entry; `entry` is how an import reads it, when it can. */
function entryInfo(span: EntrySpan, entry?: TrackerEntry): EntryInfo {
  const f: RawFields = span.fields;
  // Built in one literal: spreading objects here costs more than the whole scan.
  return {
    start: span.start,
    end: span.end,
    contactId: trimmedValue(f.contactId),
    template: trimmedValue(f.template),
    linkName: trimmedValue(f.linkName),
    date: entry?.date,
    time: entry?.time,
    rawDate: trimmedValue(f.date),
    rawTime: trimmedValue(f.time),
  };
}

function trimmedValue(field: { value: string } | undefined): string | undefined {
  return field === undefined ? undefined : trimXmlSpace(field.value);
}

function issueDiagnostic(issue: EntryIssue, span: EntrySpan, order: DateOrder): TrackerDiagnostic {
  const message = `${issue.message}; an import skips this entry`;
  if (!issue.field) {
    return {
      code: issue.code,
      severity: 'error',
      message,
      start: span.start,
      end: span.startTagEnd,
    };
  }
  const { start, end, value } = issue.field;
  const diagnostic: TrackerDiagnostic = {
    code: issue.code,
    severity: 'error',
    message,
    start,
    end,
  };
  const canonical = issue.code === 'bad-date' ? suggestDate(value, order) : suggestTime(value);
  if (canonical) {
    diagnostic.fix = {
      title: `Rewrite as ${canonical}`,
      edits: [{ start, end, newText: canonical }],
    };
  }
  return diagnostic;
}

function duplicateDiagnostic(span: EntrySpan, first: EntrySpan, lines: Lines): TrackerDiagnostic {
  return {
    code: 'duplicate',
    severity: 'warning',
    message:
      `Duplicate of the entry on line ${first.start.line} (same contact, email template, ` +
      'date and time); an import skips it',
    start: span.start,
    end: span.startTagEnd,
    related: {
      start: first.start,
      end: first.startTagEnd,
      message: 'The first entry with this contact, email template, date and time',
    },
    fix: { title: 'Remove this duplicate entry', edits: [removeEntryEdit(span, lines)] },
  };
}

/** Deletes an entry: its whole lines when it has them to itself, else exactly its text. */
function removeEntryEdit(span: EntrySpan, lines: Lines): TextEditSpec {
  const before = lines.get(span.start.line).slice(0, span.start.column - 1);
  const after = lines.get(span.end.line).slice(span.end.column - 1);
  if (/\S/.test(before) || /\S/.test(after)) {
    return { start: span.start, end: span.end, newText: '' };
  }
  if (span.end.line < lines.count) {
    return {
      start: { line: span.start.line, column: 1 },
      end: { line: span.end.line + 1, column: 1 },
      newText: '',
    };
  }
  // The entry ends the text: take the line break before it instead of one after it.
  const start =
    span.start.line > 1
      ? { line: span.start.line - 1, column: lines.get(span.start.line - 1).length + 1 }
      : { line: 1, column: 1 };
  return {
    start,
    end: { line: span.end.line, column: lines.get(span.end.line).length + 1 },
    newText: '',
  };
}

function endDiagnostics(summary: ScanSummary, text: string, lines: Lines): TrackerDiagnostic[] {
  if (summary.refused) {
    const { code, message, start, end } = summary.refused;
    return [{ code, severity: 'error', message, start, end }];
  }
  if (summary.cutOff) {
    const { name, start, zeroBytes } = summary.cutOff;
    const message = name
      ? `The entry <${name}> is cut off by the end of the file (an append that never ` +
        'finished); an import skips it'
      : zeroBytes
        ? 'The file ends in zero bytes, as a crash can leave it'
        : 'The file ends inside unfinished markup';
    return [{ code: 'cut-off-entry', severity: 'warning', message, start, end: summary.end }];
  }
  if (summary.unclosed.length === 0) {
    return [];
  }
  const tags = summary.unclosed
    .map((el) => `</${el.name}>`)
    .reverse()
    .join('');
  const lastLine = lastContentLine(lines);
  const content = lines.get(lastLine);
  const breakBefore = /(\r\n|\r|\n)$/.test(text) ? '' : '\n';
  return [
    {
      code: 'missing-root-end',
      severity: 'warning',
      message: `The file ends without the end tag ${tags}`,
      start: { line: lastLine, column: content.search(/\S|$/) + 1 },
      end: { line: lastLine, column: content.length + 1 },
      fix: {
        title: `Add ${tags} at the end`,
        edits: [{ start: summary.end, end: summary.end, newText: `${breakBefore}${tags}\n` }],
      },
    },
  ];
}

/** The import refuses a file whose declared encoding it cannot decode: say so on the name. */
function encodingDiagnostic(text: string): TrackerDiagnostic | undefined {
  const declared = /^<\?xml[ \t\r\n][^>]*?encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']*)["']/.exec(text);
  if (!declared || supportsEncoding(declared[1])) {
    return undefined;
  }
  const before = declared[0].length - declared[1].length - 1;
  const lineStart = text.lastIndexOf('\n', before) + 1;
  const line = text.slice(0, before).split('\n').length;
  const column = before - lineStart + 1;
  return {
    code: 'encoding',
    severity: 'error',
    message: `The encoding "${declared[1]}" is not supported; an import refuses this file`,
    start: { line, column },
    end: { line, column: column + declared[1].length },
  };
}

function lastContentLine(lines: Lines): number {
  for (let line = lines.count; line > 1; line--) {
    if (/\S/.test(lines.get(line))) {
      return line;
    }
  }
  return 1;
}
