// Reading imported clicks back out of the database.
import type { Database } from 'sql.js';

export interface StoredClick {
  contactId: string;
  template: string;
  linkName: string;
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS` */
  time: string;
}

export interface ClickFilter {
  /** Only the clicks of this contact ID (compared exactly). */
  contactId?: string;
}

/** Imported clicks ordered by date, time and contact ID (then template, for a stable order). */
export function listClicks(db: Database, filter: ClickFilter = {}): StoredClick[] {
  const where = filter.contactId === undefined ? '' : 'WHERE contact_id = ?';
  const statement = db.prepare(
    `SELECT contact_id, template, link_name, date, time FROM clicks ${where} ` +
      'ORDER BY date, time, contact_id, template',
  );
  const clicks: StoredClick[] = [];
  try {
    if (filter.contactId !== undefined) {
      statement.bind([filter.contactId]);
    }
    while (statement.step()) {
      const [contactId, template, linkName, date, time] = statement.get() as string[];
      clicks.push({ contactId, template, linkName, date, time });
    }
  } finally {
    statement.free();
  }
  return clicks;
}

export interface ImportRecord {
  filePath: string;
  /** ISO timestamp of the import. */
  importedAt: string;
  added: number;
  duplicates: number;
  invalid: number;
}

/** Past imports, newest first. */
export function listImports(db: Database): ImportRecord[] {
  const [result] = db.exec(
    'SELECT file_path, imported_at, added, duplicates, invalid FROM imports ORDER BY id DESC',
  );
  return (result?.values ?? []).map(([filePath, importedAt, added, duplicates, invalid]) => ({
    filePath: String(filePath),
    importedAt: String(importedAt),
    added: Number(added),
    duplicates: Number(duplicates),
    invalid: Number(invalid),
  }));
}
