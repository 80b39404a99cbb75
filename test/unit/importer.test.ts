import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { xxhash64 } from 'hash-wasm';
import lockfile from 'proper-lockfile';
import { listClicks, listImports } from '../../src/store/clickQueries';
import { TrackingDatabase } from '../../src/store/database';
import { PrefixHasher } from '../../src/store/prefixHash';
import {
  ImportCancelledError,
  importSummary,
  importTrackerFile,
  type ImportResult,
} from '../../src/store/importer';
import {
  type ClickFields,
  formatClick,
  formatTrackerFile,
  ROOT_END_TAG,
  trackerFileStart,
} from '../../src/tracker/trackerWriter';
import type { ThreadOptions } from '../../src/tracker/trackerReadThread';
import { readerWorkerScript } from './readerWorkerBundle';

const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

function clickAt(i: number, overrides: Partial<ClickFields> = {}): ClickFields {
  // One second apart, so clicks up to 86,400 all have distinct keys.
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(Math.floor(i / 3600))}:${two(Math.floor(i / 60) % 60)}:${two(i % 60)}`;
  return {
    template: 'Spring Newsletter',
    contactId: String(1000 + (i % 7)),
    linkName: 'Book a review',
    date: '2026-03-14',
    time,
    ...overrides,
  };
}

function clicks(from: number, count: number): ClickFields[] {
  return Array.from({ length: count }, (_, k) => clickAt(from + k));
}

/** Appends entries the way the server does: before the root end tag. */
function appendClicks(file: string, added: ClickFields[]): void {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf(ROOT_END_TAG);
  writeFileSync(file, text.slice(0, end) + added.map(formatClick).join('') + `${ROOT_END_TAG}\n`);
}

function count(database: TrackingDatabase, table: string): number {
  return Number(database.db.exec(`SELECT count(*) FROM ${table}`)[0].values[0][0]);
}

// Every test runs twice: the file read on this thread, and read in the reading thread (made to
// take even the smallest file) while this one inserts.
for (const mode of ['inline', 'reading thread'] as const) {
  describe(`importTrackerFile (${mode})`, () => {
    const reader: ThreadOptions =
      mode === 'inline' ? {} : { workerScript: readerWorkerScript(), inlineBelow: 0 };
    let folder: string;
    let dbFile: string;
    let database: TrackingDatabase;

    beforeEach(async () => {
      folder = mkdtempSync(path.join(tmpdir(), 'tracking-import-'));
      dbFile = path.join(folder, 'tracking.sqlite');
      database = await TrackingDatabase.open(dbFile, wasmPath);
    });

    afterEach(() => {
      database.close();
      rmSync(folder, { recursive: true, force: true });
    });

    function tracker(name: string, entries: Iterable<ClickFields>): string {
      const file = path.join(folder, name);
      writeFileSync(file, formatTrackerFile('ABC Ltd', entries));
      return file;
    }

    function importFile(file: string, signal?: AbortSignal): Promise<ImportResult> {
      return importTrackerFile(database, file, { dateOrder: 'dmy', signal, reader });
    }

    it('counts added clicks and duplicates within the file, and saves the database', async () => {
      const file = tracker('Tracker_ABC Ltd.xml', [...clicks(0, 5), clickAt(2)]);
      const result = await importFile(file);

      assert.equal(result.added, 5);
      assert.equal(result.duplicates, 1);
      assert.equal(result.invalid, 0);
      assert.equal(result.refused, undefined);
      assert.equal(result.incremental, false);
      assert.equal(result.fileName, 'Tracker_ABC Ltd.xml');
      assert.equal(count(database, 'clicks'), 5);

      const reopened = await TrackingDatabase.open(dbFile, wasmPath);
      assert.equal(count(reopened, 'clicks'), 5, 'the import was saved to the file');
      reopened.close();
    });

    it('keeps the first of duplicates that share one multi-row insert, and counts the rest', async () => {
      // 150 distinct clicks, each twice in a row with another link name: pairs fall inside the
      // same 64-row statement and across the boundary between two.
      const file = tracker(
        'Tracker_pairs.xml',
        clicks(0, 150).flatMap((c) => [c, { ...c, linkName: 'second' }]),
      );
      const result = await importFile(file);
      assert.equal(result.added, 150);
      assert.equal(result.duplicates, 150);
      const linkNames = new Set(listClicks(database.db).map((c) => c.linkName));
      assert.deepEqual([...linkNames], ['Book a review']);
    });

    it('stores a click as the clicks view does: one inserted by SQL is a duplicate on import', async () => {
      database.db.exec(`
        INSERT INTO imports (id, file_path, imported_at, added, duplicates, invalid)
          VALUES (99, 'by hand', '', 1, 0, 0);
        INSERT INTO clicks (contact_id, template, date, time, link_name, import_id)
          VALUES ('1003', 'Spring Newsletter', '2026-03-14', '00:00:03', 'typed in', 99);`);
      const result = await importFile(tracker('Tracker_ABC Ltd.xml', clicks(0, 5)));
      assert.equal(result.added, 4);
      assert.equal(result.duplicates, 1);
      // Names the import met are not counted as clicks, and each text is stored once.
      assert.deepEqual(database.db.exec('SELECT text FROM names ORDER BY id')[0].values.flat(), [
        'Spring Newsletter',
        'typed in',
        'Book a review',
      ]);
      assert.equal(listClicks(database.db, { contactId: '1003' })[0].linkName, 'typed in');
    });

    it('adds nothing when the same clicks are imported again', async () => {
      const first = tracker('Tracker_A.xml', clicks(0, 8));
      await importFile(first);
      const again = await importFile(first);
      assert.equal(again.added, 0);

      // The same clicks under another file name are read in full and all found already there.
      const copy = tracker('Tracker_copy.xml', clicks(0, 8).reverse());
      const fromCopy = await importFile(copy);
      assert.equal(fromCopy.added, 0);
      assert.equal(fromCopy.duplicates, 8);
      assert.equal(count(database, 'clicks'), 8);
    });

    it('does not use the link name in the key: the first link name is kept', async () => {
      const file = tracker('Tracker_A.xml', [
        clickAt(1, { linkName: 'Read more' }),
        clickAt(1, { linkName: 'Unsubscribe' }),
        clickAt(1, { template: 'Welcome' }),
        clickAt(1, { template: 'welcome' }),
      ]);
      const result = await importFile(file);
      assert.equal(result.added, 3, 'template text is compared exactly, case included');
      assert.equal(result.duplicates, 1);
      const [kept] = listClicks(database.db, { contactId: clickAt(1).contactId }).filter(
        (click) => click.template === 'Spring Newsletter',
      );
      assert.equal(kept.linkName, 'Read more');
    });

    it('records the import with its counts, encoding, read length and prefix hash', async () => {
      const file = tracker('Tracker_A.xml', [...clicks(0, 3), clickAt(0)]);
      await importFile(file);
      const [record] = listImports(database.db);
      assert.equal(record.filePath, path.resolve(file));
      assert.deepEqual([record.added, record.duplicates, record.invalid], [3, 1, 0]);

      const [row] = database.db.exec(
        'SELECT encoding, read_bytes, read_lines, prefix_hash FROM imports',
      )[0].values;
      const [encoding, readBytes, readLines, hash] = row as [string, number, number, string];
      const bytes = readFileSync(file);
      assert.equal(encoding.toLowerCase().replace('-', ''), 'utf8');
      assert.ok(readBytes > 0 && readBytes < bytes.length, `read_bytes ${readBytes}`);
      assert.ok(readLines > 1);
      // The clicks lie before read_bytes; the root end tag, which appends replace, after it.
      assert.match(bytes.subarray(readBytes).toString(), /^\s*<\/Tracker>\s*$/);
      assert.equal(hash, `xxh64:${await xxhash64(bytes.subarray(0, readBytes))}`);
    });

    it('reads only the new tail of a file that grew by appends', async () => {
      const file = tracker('Tracker_ABC Ltd.xml', clicks(0, 100));
      await importFile(file);
      appendClicks(file, clicks(100, 10));

      const second = await importFile(file);
      assert.equal(second.incremental, true);
      assert.equal(second.added, 10);
      // A full read would have met the first 100 clicks again as duplicates.
      assert.equal(second.duplicates, 0);

      const third = await importFile(file);
      assert.equal(third.incremental, true);
      assert.deepEqual([third.added, third.duplicates], [0, 0]);
      assert.equal(count(database, 'clicks'), 110);

      const [latest, previous] = database.db.exec(
        'SELECT read_bytes, read_lines FROM imports ORDER BY id DESC',
      )[0].values as number[][];
      assert.equal(latest[0], previous[0], 'nothing new was read the third time');
      assert.ok(latest[1] > 100 * 7, 'line numbers count from the start of the file');
    });

    it('reads only the new tail of a UTF-16 file, in the encoding found the first time', async () => {
      const file = path.join(folder, 'Tracker_UTF16.xml');
      const utf16 = (text: string) => Buffer.from(text, 'utf16le');
      const head = formatTrackerFile('ABC Ltd', clicks(0, 20)).replace('utf-8', 'utf-16');
      writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), utf16(head)]));
      const first = await importFile(file);
      assert.equal(first.added, 20);

      const bytes = readFileSync(file);
      const end = bytes.lastIndexOf(utf16(ROOT_END_TAG));
      const tail = utf16(clicks(20, 3).map(formatClick).join('') + `${ROOT_END_TAG}\n`);
      writeFileSync(file, Buffer.concat([bytes.subarray(0, end), tail]));

      const second = await importFile(file);
      assert.equal(second.incremental, true);
      assert.deepEqual([second.added, second.duplicates, second.invalid], [3, 0, 0]);
      assert.equal(count(database, 'clicks'), 23);
    });

    it('reports problems in the tail with their line in the whole file', async () => {
      const file = tracker('Tracker_A.xml', clicks(0, 20));
      await importFile(file);
      const text = readFileSync(file, 'utf8');
      const end = text.lastIndexOf(ROOT_END_TAG);
      const bad = formatClick(clickAt(21, { date: '2026-13-45' }));
      writeFileSync(file, text.slice(0, end) + formatClick(clickAt(20)) + bad + ROOT_END_TAG);
      const badLine = text.slice(0, end).split('\n').length + 7;

      const result = await importFile(file);
      assert.equal(result.incremental, true);
      assert.equal(result.added, 1);
      assert.equal(result.invalid, 1);
      assert.equal(result.problems.length, 1);
      assert.ok(
        Math.abs(result.problems[0].line - badLine) <= 6,
        `problem at line ${result.problems[0].line}, entry starts at ${badLine}`,
      );
    });

    /** Refusal of the whole file, as a read into an empty database gives it. */
    async function fullReadRefusal(file: string) {
      const other = await TrackingDatabase.open(path.join(folder, 'other.sqlite'), wasmPath);
      try {
        return (await importTrackerFile(other, file, { dateOrder: 'dmy', reader })).refused;
      } finally {
        other.close();
      }
    }

    for (const [what, inserted] of [
      ['an end tag that closes nothing open', '</Foo>\n'],
      ['an XML declaration where the last read stopped', '<?xml version="1.0"?>\n'],
    ]) {
      it(`refuses a tail holding ${what}, as a read of the whole file does`, async () => {
        const file = tracker('Tracker_A.xml', clicks(0, 3));
        await importFile(file);
        const text = readFileSync(file, 'utf8');
        const end = text.lastIndexOf(ROOT_END_TAG);
        writeFileSync(
          file,
          text.slice(0, end) + inserted + formatClick(clickAt(3)) + text.slice(end),
        );
        const before = listClicks(database.db);

        const result = await importFile(file);
        const whole = await fullReadRefusal(file);
        assert.ok(whole, 'a read of the whole file refuses it');
        assert.ok(result.refused, 'so does the read of the tail');
        assert.equal(result.incremental, true);
        assert.deepEqual(
          [result.refused.line, result.refused.column, result.refused.message],
          [whole.line, whole.column, whole.message],
        );
        assert.deepEqual(listClicks(database.db), before);
        // The mark did not move past the bad part: the next import meets it again.
        assert.ok((await importFile(file)).refused);
      });
    }

    it('counts lines right after a read that stopped between the CR and LF of a line break', async () => {
      const whole = formatTrackerFile('ABC Ltd', [
        ...clicks(0, 3),
        clickAt(3, { date: '2026-02-30' }),
      ]).replace(/\n/g, '\r\n');
      const file = path.join(folder, 'Tracker_A.xml');
      const cut = whole.indexOf('</Click>\r\n') + '</Click>\r'.length;
      writeFileSync(file, whole.slice(0, cut));
      assert.equal((await importFile(file)).added, 1);

      writeFileSync(file, whole);
      const result = await importFile(file);
      assert.equal(result.incremental, true);
      const badLine = whole.slice(0, whole.indexOf('2026-02-30')).split('\r\n').length;
      assert.deepEqual(
        result.problems.map((problem) => problem.line),
        [badLine],
      );
    });

    it('reads a file in full once when its last import predates the record of open elements', async () => {
      const file = tracker('Tracker_A.xml', clicks(0, 10));
      await importFile(file);
      database.db.exec('UPDATE imports SET open_elements = NULL');
      appendClicks(file, clicks(10, 2));

      const second = await importFile(file);
      assert.equal(second.incremental, false);
      assert.deepEqual([second.added, second.duplicates], [2, 10]);
      appendClicks(file, clicks(12, 1));
      const third = await importFile(file);
      assert.equal(third.incremental, true);
      assert.equal(third.added, 1);
    });

    it('warns, without refusing, when a file holds no entries at all', async () => {
      const started = tracker('Tracker_New.xml', []);
      const other = path.join(folder, 'pom.xml');
      writeFileSync(other, '<project><modelVersion>4.0.0</modelVersion></project>\n');
      for (const file of [started, other]) {
        const result = await importFile(file);
        assert.equal(result.refused, undefined);
        assert.deepEqual(
          result.problems.map(({ line, severity, message }) => [line, severity, message]),
          [[1, 'warning', 'No entries were found in this file; is it a tracker file?']],
        );
      }
      // A re-import with nothing new is not such a file.
      const file = tracker('Tracker_A.xml', clicks(0, 2));
      await importFile(file);
      assert.deepEqual((await importFile(file)).problems, []);
    });

    it('falls back to a full read when the part read before has changed', async () => {
      const file = tracker('Tracker_A.xml', clicks(0, 30));
      await importFile(file);
      // Same length, one changed link name: only the hash can tell.
      const edited = readFileSync(file, 'utf8').replace('Book a review', 'Book a reviev');
      writeFileSync(file, edited);
      appendClicks(file, clicks(30, 5));

      const result = await importFile(file);
      assert.equal(result.incremental, false);
      assert.equal(result.added, 5);
      assert.equal(result.duplicates, 30);
    });

    it('does not trust a hashing started before the file was replaced at its path', async () => {
      const file = tracker('Tracker_A.xml', clicks(0, 30));
      await importFile(file);
      appendClicks(file, clicks(30, 5));
      // What the command line does: start hashing, then wait (for the database's lock).
      const early = await PrefixHasher.start(file);
      const replacement = path.join(folder, 'new.xml');
      writeFileSync(replacement, formatTrackerFile('ABC Ltd', clicks(100, 40)));
      renameSync(replacement, file);

      const result = await importTrackerFile(database, file, {
        dateOrder: 'dmy',
        reader,
        prefixHasher: early,
      });
      assert.equal(result.incremental, false);
      assert.deepEqual([result.added, result.duplicates], [40, 0]);
    });

    it('falls back to a full read when the file was replaced by a shorter one', async () => {
      const file = tracker('Tracker_A.xml', clicks(0, 30));
      await importFile(file);
      tracker('Tracker_A.xml', clicks(50, 3));

      const result = await importFile(file);
      assert.equal(result.incremental, false);
      assert.equal(result.added, 3);
      assert.equal(count(database, 'clicks'), 33);
    });

    it('imports the complete entries of a cut-off file, then the rest once complete', async () => {
      const whole = formatTrackerFile('ABC Ltd', clicks(0, 10));
      const file = path.join(folder, 'Tracker_A.xml');
      const cutAt = whole.indexOf('<Time>', whole.indexOf('<Click>', whole.length - 300));
      writeFileSync(file, whole.slice(0, cutAt));

      const first = await importFile(file);
      assert.equal(first.added, 9);
      assert.ok(first.problems.length >= 1, 'the cut-off tail is reported');
      assert.equal(first.refused, undefined);

      writeFileSync(file, whole);
      const second = await importFile(file);
      assert.equal(second.incremental, true);
      assert.deepEqual([second.added, second.duplicates], [1, 0]);
    });

    it('rolls back a refused file: the database and its file are exactly as before', async () => {
      await importFile(tracker('Tracker_A.xml', clicks(0, 5)));
      const savedBefore = readFileSync(dbFile);
      const file = path.join(folder, 'broken.xml');
      writeFileSync(
        file,
        trackerFileStart('ABC Ltd') +
          clicks(10, 20).map(formatClick).join('') +
          '  <Click><EmailTemplate>Oops</Click>\n' +
          clicks(40, 5).map(formatClick).join('') +
          ROOT_END_TAG,
      );

      const result = await importFile(file);
      assert.ok(result.refused, 'a file that is not well-formed is refused');
      assert.ok(result.refused.line > 1 && result.refused.column >= 1);
      assert.equal(count(database, 'clicks'), 5);
      assert.equal(count(database, 'imports'), 1);
      assert.deepEqual(readFileSync(dbFile), savedBefore);
    });

    it('rolls back a cancelled import and says so', async () => {
      await importFile(tracker('Tracker_A.xml', clicks(0, 5)));
      const savedBefore = readFileSync(dbFile);
      const big = tracker('Tracker_big.xml', clicks(100, 30_000));
      const abort = new AbortController();
      let progressCalls = 0;

      const importing = importTrackerFile(database, big, {
        dateOrder: 'dmy',
        reader,
        signal: abort.signal,
        onProgress() {
          progressCalls++;
          abort.abort();
        },
      });
      await assert.rejects(importing, ImportCancelledError);
      assert.ok(progressCalls >= 1);
      assert.equal(count(database, 'clicks'), 5);
      assert.equal(count(database, 'imports'), 1);
      assert.deepEqual(readFileSync(dbFile), savedBefore);

      // The database is usable afterwards: no transaction was left open.
      const after = await importFile(big);
      assert.equal(after.added, 30_000);
    });

    it('is cancelled while it waits for a command-line import that holds the database', async () => {
      const file = tracker('Tracker_A.xml', clicks(0, 5));
      const locking = await TrackingDatabase.open(path.join(folder, 'locking.sqlite'), wasmPath, {
        lockWrites: true,
      });
      await locking.save();
      const savedBefore = readFileSync(locking.file!);
      const held = await lockfile.lock(locking.file!, { realpath: false });
      const abort = new AbortController();
      const hasher = await PrefixHasher.start(file);
      let waits = 0;
      try {
        const importing = importTrackerFile(locking, file, {
          dateOrder: 'dmy',
          reader,
          signal: abort.signal,
          prefixHasher: hasher,
          onWaitForDatabase() {
            waits++;
            setTimeout(() => abort.abort(), 50);
          },
        });
        await assert.rejects(importing, ImportCancelledError);
        assert.equal(waits, 1);
        assert.equal(count(locking, 'clicks'), 0);
        assert.deepEqual(readFileSync(locking.file!), savedBefore);
        // The early hashing handed over is closed: its file handle is not left open.
        await assert.rejects(hasher.isFileAt(file));
      } finally {
        await held();
        locking.close();
      }
    });

    it('runs two imports started together one after the other', async () => {
      const a = tracker('Tracker_A.xml', clicks(0, 50));
      const b = tracker('Tracker_B.xml', clicks(25, 50));
      const [first, second] = await Promise.all([importFile(a), importFile(b)]);
      assert.equal(first.added + second.added, 75);
      assert.equal(first.duplicates + second.duplicates, 25);
    });
  });
}

describe('importSummary', () => {
  const base: ImportResult = {
    added: 42,
    duplicates: 7,
    invalid: 1,
    problems: [],
    incremental: false,
    fileName: 'Tracker_ABC Ltd.xml',
    filePath: '/x/Tracker_ABC Ltd.xml',
    encoding: 'utf-8',
  };

  it('gives the counts with singular and plural right', () => {
    assert.equal(
      importSummary(base),
      'Imported 42 tracked emails from Tracker_ABC Ltd.xml; 7 were already imported; ' +
        '1 entry was skipped (invalid)',
    );
    assert.equal(
      importSummary({ ...base, added: 1, duplicates: 1, invalid: 2 }),
      'Imported 1 tracked email from Tracker_ABC Ltd.xml; 1 was already imported; ' +
        '2 entries were skipped (invalid)',
    );
    assert.equal(
      importSummary({ ...base, added: 0, duplicates: 0, invalid: 0 }),
      'Imported 0 tracked emails from Tracker_ABC Ltd.xml',
    );
  });
});
