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
  // 3: clicks stored compactly. Templates and link names repeat on every click, so they are kept
  // once in names and the clicks hold their ids; the date (yyyymmdd) and time (hhmmss) are
  // integers. A million clicks took 64 MB and now take about 25 MB, and every re-import reads,
  // copies and writes the whole file. The view clicks keeps the old columns for every query (and
  // adds the stored numbers, which sort as the text does), and its triggers let plain SQL (tests,
  // benchmarks, an admin's sqlite3) still insert and delete clicks; the importer writes
  // stored_clicks directly (storedDate and storedTime in dedupKey.ts). Clicks of a version 2
  // database that fall on the same second once stored are the same click: one is kept.
  // The fingerprint of the part of a file read is now XXH64, not SHA-256 (see prefixHash.ts): a
  // file imported before is read in full once more, and de-duplication skips what it held.
  `
  ALTER TABLE imports RENAME COLUMN prefix_sha256 TO prefix_hash;
  UPDATE imports SET prefix_hash = '';
  CREATE TABLE names (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
  );
  CREATE TABLE stored_clicks (
    contact_id TEXT NOT NULL,
    template_id INTEGER NOT NULL REFERENCES names(id),
    date INTEGER NOT NULL,
    time INTEGER NOT NULL,
    link_id INTEGER NOT NULL REFERENCES names(id),
    import_id INTEGER NOT NULL REFERENCES imports(id),
    PRIMARY KEY (contact_id, template_id, date, time)
  ) WITHOUT ROWID;
  INSERT INTO names (text) SELECT template FROM clicks UNION SELECT link_name FROM clicks;
  INSERT OR IGNORE INTO stored_clicks
    SELECT k.contact_id, t.id, CAST(replace(k.date, '-', '') AS INTEGER),
      CAST(replace(k.time, ':', '') AS INTEGER), l.id, k.import_id
    FROM clicks k JOIN names t ON t.text = k.template JOIN names l ON l.text = k.link_name;
  DROP TABLE clicks;
  CREATE VIEW clicks AS
    SELECT k.contact_id, t.text AS template,
      printf('%04d-%02d-%02d', k.date / 10000, k.date / 100 % 100, k.date % 100) AS date,
      printf('%02d:%02d:%02d', k.time / 10000, k.time / 100 % 100, k.time % 100) AS time,
      l.text AS link_name, k.import_id,
      k.date AS date_number, k.time AS time_number
    FROM stored_clicks k JOIN names t ON t.id = k.template_id JOIN names l ON l.id = k.link_id;
  CREATE TRIGGER insert_click INSTEAD OF INSERT ON clicks BEGIN
    SELECT RAISE(ABORT, 'clicks: date must be YYYY-MM-DD and time HH:MM:SS')
    WHERE NEW.date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
      OR NEW.time NOT GLOB '[0-9][0-9]:[0-9][0-9]:[0-9][0-9]';
    -- No conflict on names, so that INSERT OR REPLACE INTO clicks cannot replace a name (and
    -- with it the id every click of that name holds).
    INSERT INTO names (text) SELECT NEW.template
    WHERE NOT EXISTS (SELECT 1 FROM names WHERE text = NEW.template);
    INSERT INTO names (text) SELECT NEW.link_name
    WHERE NOT EXISTS (SELECT 1 FROM names WHERE text = NEW.link_name);
    INSERT INTO stored_clicks VALUES (
      NEW.contact_id,
      (SELECT id FROM names WHERE text = NEW.template),
      CAST(replace(NEW.date, '-', '') AS INTEGER),
      CAST(replace(NEW.time, ':', '') AS INTEGER),
      (SELECT id FROM names WHERE text = NEW.link_name),
      NEW.import_id
    );
  END;
  CREATE TRIGGER delete_click INSTEAD OF DELETE ON clicks BEGIN
    DELETE FROM stored_clicks
    WHERE contact_id = OLD.contact_id
      AND template_id = (SELECT id FROM names WHERE text = OLD.template)
      AND date = OLD.date_number AND time = OLD.time_number;
  END;
  `,
  // 4: an insert through the view is checked against the calendar and the clock, not only the
  // shape: 2026-13-45 and 99:99:99 passed before. date() and time() with a +0 modifier give
  // another value, or NULL, for a day or time that does not exist (with the modifier older
  // sqlite3 releases normalise too). import_id may be left out, as README says: a click added
  // by hand came from no import, and 0 names none.
  `
  DROP TRIGGER IF EXISTS insert_click;
  CREATE TRIGGER insert_click INSTEAD OF INSERT ON clicks BEGIN
    SELECT RAISE(ABORT, 'clicks: date must be a real YYYY-MM-DD date and time a real HH:MM:SS')
    WHERE NEW.date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
      OR NEW.time NOT GLOB '[0-9][0-9]:[0-9][0-9]:[0-9][0-9]'
      OR date(NEW.date, '+0 days') IS NOT NEW.date
      OR time(NEW.time, '+0 seconds') IS NOT NEW.time;
    -- As in 3: no conflict on names, so that OR REPLACE cannot replace a name.
    INSERT INTO names (text) SELECT NEW.template
    WHERE NOT EXISTS (SELECT 1 FROM names WHERE text = NEW.template);
    INSERT INTO names (text) SELECT NEW.link_name
    WHERE NOT EXISTS (SELECT 1 FROM names WHERE text = NEW.link_name);
    INSERT INTO stored_clicks VALUES (
      NEW.contact_id,
      (SELECT id FROM names WHERE text = NEW.template),
      CAST(replace(NEW.date, '-', '') AS INTEGER),
      CAST(replace(NEW.time, ':', '') AS INTEGER),
      (SELECT id FROM names WHERE text = NEW.link_name),
      coalesce(NEW.import_id, 0)
    );
  END;
  `,
  // 5: the elements open where an import stopped reading (usually the root alone), as JSON, so
  // that the next read of the tail refuses an end tag that a read of the whole file refuses.
  // Imports recorded before have none: their files are read in full once more.
  `
  ALTER TABLE imports ADD COLUMN open_elements TEXT;
  `,
];
