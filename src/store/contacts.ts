// The contacts directory: names, email addresses and clients for the contact IDs in clicks.
import { readFile } from 'node:fs/promises';
import type { Problem } from '../tracker/trackerEntry';
import { decodeContactsFile, readContactsCsv, type ContactRecord } from './contactsCsv';
import type { LockWait, TrackingDatabase } from './database';

export interface Contact {
  contactId: string;
  name: string;
  email: string;
  client: string;
}

export interface ContactsImportResult {
  added: number;
  updated: number;
  unchanged: number;
  invalid: number;
  /** True when nothing could be imported because the file is not a usable contacts list. */
  refused: boolean;
  problems: Problem[];
}

/** What a contact is called on screen: its name, or "Contact <ID>" until the directory knows it. */
export function contactDisplayName(contactId: string, name: string | null | undefined): string {
  return name ? name : `Contact ${contactId}`;
}

/**
 * Adds new contacts and updates existing ones by ID, in one transaction. A value the file does
 * not give (no such column, or an empty cell) keeps what the directory already has: a contacts
 * list never deletes anything.
 */
export function upsertContacts(
  database: TrackingDatabase,
  records: readonly ContactRecord[],
): { added: number; updated: number; unchanged: number } {
  const db = database.db;
  const counts = { added: 0, updated: 0, unchanged: 0 };
  const select = db.prepare('SELECT name, email, client FROM contacts WHERE contact_id = ?');
  const insert = db.prepare(
    'INSERT INTO contacts (contact_id, name, email, client) VALUES (?, ?, ?, ?)',
  );
  const update = db.prepare(
    'UPDATE contacts SET name = ?, email = ?, client = ? WHERE contact_id = ?',
  );
  db.exec('BEGIN');
  try {
    for (const record of records) {
      select.bind([record.contactId]);
      const existing = select.step() ? (select.get() as string[]) : undefined;
      select.reset();
      if (!existing) {
        insert.run([record.contactId, record.name ?? '', record.email ?? '', record.client ?? '']);
        counts.added++;
        continue;
      }
      const merged = [record.name, record.email, record.client].map((value, i) =>
        value ? value : existing[i],
      );
      if (merged.every((value, i) => value === existing[i])) {
        counts.unchanged++;
        continue;
      }
      update.run([...merged, record.contactId]);
      counts.updated++;
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  } finally {
    select.free();
    insert.free();
    update.free();
  }
  return counts;
}

/** The later of two rows with the same ID wins; the earlier one is named in a warning. */
function lastRowPerContact(records: readonly ContactRecord[], problems: Problem[]) {
  const byId = new Map<string, ContactRecord>();
  for (const record of records) {
    const earlier = byId.get(record.contactId);
    if (earlier) {
      problems.push({
        line: record.line,
        column: 1,
        severity: 'warning',
        message:
          `Contact ID ${record.contactId} is also on line ${earlier.line}; ` +
          'this later row is used.',
      });
      byId.delete(record.contactId);
    }
    byId.set(record.contactId, record);
  }
  return [...byId.values()];
}

/** Reads a contacts CSV file and upserts its good rows; saves the database when it changed. */
export async function importContactsFile(
  database: TrackingDatabase,
  file: string,
  wait?: LockWait,
): Promise<ContactsImportResult> {
  const { text, encoding } = decodeContactsFile(await readFile(file));
  const read = readContactsCsv(text, encoding);
  const problems = [...read.problems];
  if (encoding === 'windows-1252') {
    problems.unshift({
      line: 1,
      column: 1,
      severity: 'warning',
      message: 'The file is not UTF-8; it was read as Windows-1252.',
    });
  }
  if (read.refused) {
    return { added: 0, updated: 0, unchanged: 0, invalid: read.invalid, refused: true, problems };
  }
  const records = lastRowPerContact(read.contacts, problems);
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  // Queued behind any tracker import: sql.js has one connection for every writer.
  const counts = await database.exclusive(async () => {
    const upserted = upsertContacts(database, records);
    if (upserted.added + upserted.updated > 0) {
      await database.save();
    }
    return upserted;
  }, wait);
  return { ...counts, invalid: read.invalid, refused: false, problems };
}
