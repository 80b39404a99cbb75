// Reading a contacts list (CSV) into directory records: loose headers, BOM, `,` `;` or tab.
import { parse, type Options } from 'csv-parse/sync';
import type { Problem } from '../tracker/trackerEntry';

/** One contact as the CSV gives it; a field is undefined when the file has no column for it. */
export interface ContactRecord {
  contactId: string;
  name?: string;
  email?: string;
  client?: string;
  /** The line where the contact's row starts. */
  line: number;
}

export interface ContactsCsvResult {
  contacts: ContactRecord[];
  /** Rows that were not taken (errors) and doubtful ones (warnings), each with its line. */
  problems: Problem[];
  /** Rows that were not taken. */
  invalid: number;
  /** True when the file as a whole cannot be read as a contacts list (nothing to import). */
  refused: boolean;
  delimiter: string;
  encoding: string;
}

type Field = 'contactId' | 'name' | 'firstName' | 'lastName' | 'email' | 'client';

// Header names after normalising (lower case, no spaces, `_`, `-` or `.`).
const HEADER_ALIASES: Record<Field, readonly string[]> = {
  // Not plain "Contact": in many exports that column holds the person's name.
  contactId: ['contactid', 'id', 'contactno', 'contactnumber', 'contactref'],
  name: ['name', 'fullname', 'contactname', 'displayname'],
  firstName: ['first', 'firstname', 'givenname', 'forename'],
  lastName: ['last', 'lastname', 'surname', 'familyname'],
  email: ['email', 'emailaddress', 'mail', 'emailaddr'],
  client: [
    'client',
    'clientname',
    'company',
    'companyname',
    'organisation',
    'organization',
    'organisationname',
    'organizationname',
  ],
};

export function normaliseHeader(header: string): string {
  return header.toLowerCase().replace(/[\s_.-]/g, '');
}

/** Decodes the file's bytes: UTF-8 (BOM optional), UTF-16 with BOM, else Windows-1252. */
export function decodeContactsFile(bytes: Uint8Array): { text: string; encoding: string } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  }
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(hasBom ? 3 : 0));
    return { text, encoding: 'utf-8' };
  } catch {
    // Spreadsheet programs on Windows still save "CSV" in the ANSI code page.
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

/** The delimiter used most often in the header line (outside quotes); comma when none is. */
export function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of text) {
    if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && (char === '\n' || char === '\r')) {
      break;
    } else if (!quoted && char in counts) {
      counts[char]++;
    }
  }
  return Object.keys(counts).reduce((best, c) => (counts[c] > counts[best] ? c : best), ',');
}

/** Where each field of a raw record starts: line offset within the record and 1-based column. */
function fieldStarts(raw: string, delimiter: string): { lineOffset: number; column: number }[] {
  const starts = [{ lineOffset: 0, column: 1 }];
  let lineOffset = 0;
  let column = 1;
  let quoted = false;
  for (const char of raw) {
    if (char === '\n') {
      lineOffset++;
      column = 0;
    }
    if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === delimiter) {
      starts.push({ lineOffset, column: column + 1 });
    }
    column++;
  }
  return starts;
}

interface ParsedRow {
  record: string[];
  raw: string;
  info: { lines: number };
}

function problem(line: number, column: number, message: string, severity: Problem['severity']) {
  return { line, column, severity, message };
}

/**
 * A row csv-parse cannot read can take following lines with it (a stray quote opens a field that
 * runs on), so each one is reported with the whole span of lines that did not become rows.
 */
function reportSkipped(
  skipped: { line: number; message: string }[],
  rows: ParsedRow[],
  startLine: (row: ParsedRow) => number,
  source: string,
  problems: Problem[],
): void {
  const lastLine = source.replace(/\n$/, '').split('\n').length;
  const reported = new Set<number>();
  for (const { line, message } of skipped) {
    const before = rows.filter((row) => row.info.lines < line);
    const after = rows.map(startLine).filter((start) => start > line);
    const from = before.length > 0 ? before[before.length - 1].info.lines + 1 : 1;
    const to = after.length > 0 ? Math.max(line, after[0] - 1) : lastLine;
    if (reported.has(from)) {
      continue; // one stray quote often trips several errors in the same span
    }
    reported.add(from);
    const span = from === to ? `line ${from}` : `lines ${from}-${to}`;
    problems.push(problem(from, 1, `Malformed row (${span} not imported): ${message}`, 'error'));
  }
}

/** Reads a contacts CSV. Good rows are returned even when other rows are bad. */
export function readContactsCsv(text: string, encoding = 'utf-8'): ContactsCsvResult {
  // One line ending only: csv-parse's line counts and raw text go astray with CRLF inside quotes.
  const source = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  const delimiter = detectDelimiter(source);
  const problems: Problem[] = [];
  const skipped: { line: number; message: string }[] = [];
  const result = (contacts: ContactRecord[], invalid: number, refused: boolean) => ({
    contacts,
    problems,
    invalid,
    refused,
    delimiter,
    encoding,
  });

  const options: Options & { on_skip: (error?: { lines?: number; message?: string }) => void } = {
    delimiter,
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Present in csv-parse 5 but missing from its type definitions.
    on_skip: (error) => {
      skipped.push({ line: error?.lines ?? 1, message: error?.message ?? 'unreadable' });
    },
  };
  const rows = parse(source, options) as unknown as ParsedRow[];

  // A row's raw text starts with any blank lines skipped before it.
  for (const row of rows) {
    row.raw = row.raw.replace(/^\n+/, '');
  }
  const startLine = (row: ParsedRow) =>
    row.info.lines - (row.raw.replace(/\n$/, '').match(/\n/g)?.length ?? 0);
  reportSkipped(skipped, rows, startLine, source, problems);

  if (rows.length === 0) {
    problems.unshift(problem(1, 1, 'The file has no header row.', 'error'));
    return result([], problems.length - 1, true);
  }

  const headers = rows[0].record.map(normaliseHeader);
  const columnOf = (field: Field) => headers.findIndex((h) => HEADER_ALIASES[field].includes(h));
  const columns: Record<Field, number> = {
    contactId: columnOf('contactId'),
    name: columnOf('name'),
    firstName: columnOf('firstName'),
    lastName: columnOf('lastName'),
    email: columnOf('email'),
    client: columnOf('client'),
  };
  if (columns.contactId < 0) {
    problems.unshift(
      problem(
        startLine(rows[0]),
        1,
        `No contact ID column in the header (found: ${rows[0].record.join(', ')}). ` +
          'Expected one named ContactID, Contact ID or Id.',
        'error',
      ),
    );
    return result([], rows.length - 1, true);
  }

  const hasName = columns.name >= 0 || columns.firstName >= 0 || columns.lastName >= 0;
  const contacts: ContactRecord[] = [];
  let invalid = problems.length;
  for (const row of rows.slice(1)) {
    const line = startLine(row);
    const cell = (column: number) => (column >= 0 ? (row.record[column] ?? '').trim() : '');
    const extra = row.record.slice(headers.length).filter((value) => value.trim() !== '');
    if (extra.length > 0 || row.record.length < headers.length) {
      // Point at the first extra field, or at the end of a row that is short of fields.
      const rawLines = row.raw.replace(/\n$/, '').split('\n');
      const start =
        extra.length > 0
          ? fieldStarts(row.raw, delimiter)[headers.length]
          : { lineOffset: rawLines.length - 1, column: rawLines[rawLines.length - 1].length + 1 };
      const why =
        extra.length > 0 ? 'an unquoted delimiter inside a value?' : 'a missing delimiter?';
      problems.push(
        problem(
          line + start.lineOffset,
          start.column,
          `Malformed row: ${row.record.length} fields where the header has ${headers.length} ` +
            `(${why}). Row not imported.`,
          'error',
        ),
      );
      invalid++;
      continue;
    }
    const contactId = cell(columns.contactId);
    if (contactId === '') {
      const start = fieldStarts(row.raw, delimiter)[columns.contactId] ?? {
        lineOffset: 0,
        column: 1,
      };
      problems.push(
        problem(
          line + start.lineOffset,
          start.column,
          'Missing contact ID. Row not imported.',
          'error',
        ),
      );
      invalid++;
      continue;
    }
    const fullName =
      cell(columns.name) ||
      [cell(columns.firstName), cell(columns.lastName)].filter((part) => part !== '').join(' ');
    contacts.push({
      contactId,
      name: hasName ? fullName : undefined,
      email: columns.email >= 0 ? cell(columns.email) : undefined,
      client: columns.client >= 0 ? cell(columns.client) : undefined,
      line,
    });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return result(contacts, invalid, false);
}
