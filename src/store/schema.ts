// The database schema, one migration per schema version (PRAGMA user_version).
// Never edit a migration that has shipped: add the next one.

export const migrations: readonly string[] = [
  // 1: clicks keyed by the de-duplication key, the imports they came from, the contacts directory.
  `
  CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file_path TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    added INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    invalid INTEGER NOT NULL,
    encoding TEXT NOT NULL DEFAULT 'utf-8',
    read_bytes INTEGER NOT NULL DEFAULT 0,
    read_lines INTEGER NOT NULL DEFAULT 0,
    prefix_sha256 TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE clicks (
    contact_id TEXT NOT NULL,
    template TEXT NOT NULL,
    date TEXT NOT NULL,
    time TEXT NOT NULL,
    link_name TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES imports(id),
    PRIMARY KEY (contact_id, template, date, time)
  ) WITHOUT ROWID;
  CREATE INDEX clicks_by_date ON clicks (date, time);
  CREATE TABLE contacts (
    contact_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT ''
  );
  `,
  // 2: no index on (date, time). Every view reads clicks by contact (the primary key); only the
  // CLI lists all clicks by date, and it can sort them. The index cost about a third of the
  // import time and almost half of the database size at a million clicks.
  `
  DROP INDEX IF EXISTS clicks_by_date;
  `,
];
