import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import initSqlJs from 'sql.js';
import {
  DatabaseBusyError,
  DatabaseSaveError,
  lockDatabaseFile,
  SCHEMA_VERSION,
  TrackingDatabase,
  UnusableDatabaseError,
} from '../../src/store/database';
import { listClicks } from '../../src/store/clickQueries';
import { migrations } from '../../src/store/schema';
import { canMountDisk, onSmallDisk } from './scratchFolder';

const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

describe('TrackingDatabase', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'tracking-db-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  /** A database file as schema 2 left it (clicks as text), holding what `sql` inserts. */
  async function writeVersion2Database(sql: string): Promise<string> {
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const old = new SQL.Database();
    old.exec(migrations.slice(0, 2).join(';'));
    old.exec(`PRAGMA user_version = 2; ${sql}`);
    const file = path.join(folder, 'tracking.sqlite');
    writeFileSync(file, old.export());
    old.close();
    return file;
  }

  it('creates the folder and a migrated database when none exists', async () => {
    const file = path.join(folder, 'nested', 'deeper', 'tracking.sqlite');
    const database = await TrackingDatabase.open(file, wasmPath);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    assert.equal(database.renamedAside, undefined);
    assert.equal(database.db.exec('PRAGMA page_size')[0].values[0][0], 65536);
    await database.save();
    database.close();
    assert.equal(readFileSync(file).subarray(0, 15).toString(), 'SQLite format 3');
  });

  it('keeps saved rows across a reopen', async () => {
    const file = path.join(folder, 'tracking.sqlite');
    const first = await TrackingDatabase.open(file, wasmPath);
    first.db.run("INSERT INTO contacts (contact_id, name) VALUES ('1042', 'Ada')");
    await first.save();
    first.close();

    const second = await TrackingDatabase.open(file, wasmPath);
    assert.deepEqual(second.db.exec('SELECT name FROM contacts')[0].values, [['Ada']]);
    second.close();
  });

  it('keeps its tuning after a save (sql.js reopens the database on export)', async () => {
    const database = await TrackingDatabase.open(path.join(folder, 'tracking.sqlite'), wasmPath);
    const tuning = () =>
      ['journal_mode', 'cache_size', 'cache_spill', 'locking_mode'].map(
        (pragma) => database.db.exec(`PRAGMA ${pragma}`)[0].values[0][0],
      );
    const before = tuning();
    assert.deepEqual(before, ['memory', -262144, 0, 'exclusive']);
    await database.save();
    assert.deepEqual(tuning(), before);
    database.close();
  });

  it('refuses a folder or a device without reading, moving or replacing it', async () => {
    const targets = [folder, ...(process.platform === 'win32' ? [] : ['/dev/null', '/dev/full'])];
    for (const target of targets) {
      await assert.rejects(
        TrackingDatabase.open(target, wasmPath),
        (error: Error) =>
          error instanceof UnusableDatabaseError && /not a regular file/.test(error.message),
        target,
      );
    }
    assert.deepEqual(readdirSync(folder), [], 'nothing was moved aside or written');
  });

  it('moves a garbage file aside, never deletes it, and starts a new database', async () => {
    const file = path.join(folder, 'tracking.sqlite');
    const garbage = Buffer.from('this is not a database at all, just words. '.repeat(50));
    writeFileSync(file, garbage);

    const database = await TrackingDatabase.open(file, wasmPath);
    assert.ok(database.renamedAside, 'the caller is told where the old file went');
    assert.match(path.basename(database.renamedAside), /^tracking\.sqlite\.corrupt-/);
    assert.match(database.renamedAsideReason ?? '', /not a database/);
    assert.deepEqual(readFileSync(database.renamedAside), garbage);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(database.db.exec('SELECT count(*) FROM clicks')[0].values, [[0]]);
    database.close();
  });

  it('moves a second corrupt file aside under a different name', async () => {
    const file = path.join(folder, 'tracking.sqlite');
    writeFileSync(file, 'garbage one '.repeat(100));
    const first = await TrackingDatabase.open(file, wasmPath);
    first.close();
    writeFileSync(file, 'garbage two '.repeat(100));
    const second = await TrackingDatabase.open(file, wasmPath);
    second.close();

    assert.notEqual(first.renamedAside, second.renamedAside);
    const kept = readdirSync(folder).filter((name) => name.includes('.corrupt-'));
    assert.equal(kept.length, 2);
  });

  it('moves aside a database written by a newer schema instead of damaging it', async () => {
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const newer = new SQL.Database();
    newer.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    const file = path.join(folder, 'tracking.sqlite');
    writeFileSync(file, newer.export());
    newer.close();

    const database = await TrackingDatabase.open(file, wasmPath);
    assert.ok(database.renamedAside);
    assert.match(database.renamedAsideReason ?? '', /newer/);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    database.close();
  });

  it('migrates a version 0 database (an empty SQLite file) to the current schema', async () => {
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const empty = new SQL.Database();
    // A table made and dropped: the file is a real SQLite database, with no table in it.
    empty.run('CREATE TABLE gone (x); DROP TABLE gone');
    const file = path.join(folder, 'tracking.sqlite');
    const bytes = empty.export();
    assert.ok(bytes.length > 0);
    writeFileSync(file, bytes);
    empty.close();

    const database = await TrackingDatabase.open(file, wasmPath);
    assert.equal(database.renamedAside, undefined);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    const tables = database.db
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")[0]
      .values.flat();
    assert.deepEqual(tables, ['contacts', 'imports', 'names', 'stored_clicks']);
    const dateIndex = database.db.exec("SELECT 1 FROM sqlite_master WHERE name = 'clicks_by_date'");
    assert.equal(dateIndex.length, 0, 'migration 2 dropped the date index');
    database.close();
  });

  it('migrates the clicks of a version 2 database to the compact form, keeping every value', async () => {
    const file = await writeVersion2Database(`
      INSERT INTO imports (id, file_path, imported_at, added, duplicates, invalid)
        VALUES (7, 'Tracker_ABC Ltd.xml', '2026-03-15T10:00:00Z', 3, 0, 0);
      INSERT INTO clicks VALUES
        ('1042', 'Spring Newsletter', '2026-03-14', '09:26:53', 'Book a review', 7),
        ('1042', 'Welcome', '2026-12-31', '23:59:59', 'Spring Newsletter', 7),
        ('C-7', 'Spring Newsletter', '2027-01-01', '00:00:00', 'Résumé ✓', 7);`);

    const database = await TrackingDatabase.open(file, wasmPath);
    assert.equal(database.renamedAside, undefined);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(listClicks(database.db), [
      {
        contactId: '1042',
        template: 'Spring Newsletter',
        linkName: 'Book a review',
        date: '2026-03-14',
        time: '09:26:53',
      },
      {
        contactId: '1042',
        template: 'Welcome',
        linkName: 'Spring Newsletter',
        date: '2026-12-31',
        time: '23:59:59',
      },
      {
        contactId: 'C-7',
        template: 'Spring Newsletter',
        linkName: 'Résumé ✓',
        date: '2027-01-01',
        time: '00:00:00',
      },
    ]);
    // A text used as a template and as a link name is stored once.
    assert.equal(database.db.exec('SELECT count(*) FROM names')[0].values[0][0], 4);
    assert.deepEqual(
      database.db.exec('SELECT date, time, import_id FROM stored_clicks ORDER BY date')[0].values,
      [
        [20260314, 92653, 7],
        [20261231, 235959, 7],
        [20270101, 0, 7],
      ],
    );
    database.close();
  });

  it('migrates two version 2 clicks that fall on the same stored second as one click', async () => {
    const file = await writeVersion2Database(`
      INSERT INTO imports (id, file_path, imported_at, added, duplicates, invalid)
        VALUES (1, 'by hand', '', 2, 0, 0);
      INSERT INTO clicks VALUES
        ('1042', 'Spring', '2026-03-14', '09:26:53', 'Book', 1),
        ('1042', 'Spring', '2026-03-14', '9:26:53', 'Book', 1);`);

    const database = await TrackingDatabase.open(file, wasmPath);
    assert.equal(database.renamedAside, undefined);
    assert.deepEqual(
      listClicks(database.db).map((click) => click.time),
      ['09:26:53'],
    );
    database.close();
  });

  describe('the clicks view, for plain SQL', () => {
    let database: TrackingDatabase;
    const rows = () =>
      database.db.exec(
        'SELECT contact_id, template, date, time, link_name FROM clicks ORDER BY 1',
      )[0]?.values ?? [];

    beforeEach(async () => {
      database = await TrackingDatabase.openInMemory(wasmPath);
      database.db.exec(`
        INSERT INTO imports (id, file_path, imported_at, added, duplicates, invalid)
          VALUES (1, 'by hand', '', 0, 0, 0);
        INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) VALUES
          ('1', 'Spring', '2026-03-14', '09:26:53', 'Book', 1),
          ('2', 'Spring', '2026-03-15', '10:00:00', 'Book', 1);`);
    });
    afterEach(() => database.close());

    it('keeps every click of a name when a click is inserted OR REPLACE', () => {
      database.db.exec(`INSERT OR REPLACE INTO clicks
        (contact_id, template, date, time, link_name, import_id)
        VALUES ('3', 'Spring', '2026-03-16', '11:00:00', 'Book', 1)`);
      assert.deepEqual(rows(), [
        ['1', 'Spring', '2026-03-14', '09:26:53', 'Book'],
        ['2', 'Spring', '2026-03-15', '10:00:00', 'Book'],
        ['3', 'Spring', '2026-03-16', '11:00:00', 'Book'],
      ]);
    });

    it('inserts a click named by the five text columns alone (from no import)', () => {
      database.db.exec(`INSERT INTO clicks (contact_id, template, date, time, link_name)
        VALUES ('5', 'Autumn', '2026-10-01', '23:59:59', 'Read')`);
      assert.deepEqual(rows().at(-1), ['5', 'Autumn', '2026-10-01', '23:59:59', 'Read']);
      const stored = database.db.exec("SELECT import_id FROM stored_clicks WHERE contact_id = '5'");
      assert.equal(stored[0].values[0][0], 0);
    });

    it('refuses a date or time not in the stored form, and deletes through the view', () => {
      for (const [date, time] of [
        ['2026-3-4', '09:05:00'],
        ['2026-03-04', '9:05:00'],
        ['2026-13-45', '09:05:00'],
        ['2026-02-30', '09:05:00'],
        ['2026-03-04', '99:99:99'],
        ['2026-03-04', '24:00:00'],
        ['2026-03-04 ', '09:05:00'],
        ['-2026-01-01', '09:05:00'],
      ]) {
        assert.throws(
          () =>
            database.db.run(
              'INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) ' +
                "VALUES ('4', 'X', ?, ?, 'Y', 1)",
              [date, time],
            ),
          /YYYY-MM-DD/,
        );
      }
      database.db.exec("DELETE FROM clicks WHERE contact_id = '1'");
      assert.deepEqual(rows(), [['2', 'Spring', '2026-03-15', '10:00:00', 'Book']]);
      assert.equal(database.db.exec('SELECT count(*) FROM stored_clicks')[0].values[0][0], 1);
    });
  });

  describe('with another program saving the same file (a command-line import)', () => {
    const contactIds = (database: TrackingDatabase) =>
      database.db.exec('SELECT contact_id FROM contacts ORDER BY 1')[0]?.values.flat() ?? [];
    const addContact = (database: TrackingDatabase, id: string) =>
      database.db.run('INSERT INTO contacts (contact_id) VALUES (?)', [id]);

    it("loads that file before it writes, so the other program's work is kept", async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const extension = await TrackingDatabase.open(file, wasmPath);
      addContact(extension, 'mine');
      await extension.save();
      const cli = await TrackingDatabase.open(file, wasmPath);
      addContact(cli, 'from the CLI');
      await cli.save();
      cli.close();

      await extension.exclusive(async () => {
        addContact(extension, 'mine too');
        await extension.save();
      });
      extension.close();
      const reopened = await TrackingDatabase.open(file, wasmPath);
      assert.deepEqual(contactIds(reopened), ['from the CLI', 'mine', 'mine too']);
      reopened.close();
    });

    it('loads it when asked to refresh, and only when it changed', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const extension = await TrackingDatabase.open(file, wasmPath);
      await extension.save();
      assert.equal(await extension.refresh(), false, 'its own save is not a change');
      const cli = await TrackingDatabase.open(file, wasmPath);
      addContact(cli, 'from the CLI');
      await cli.save();
      cli.close();
      assert.equal(await extension.refresh(), true);
      assert.deepEqual(contactIds(extension), ['from the CLI']);
      extension.close();
    });

    it('says so when that file replaces changes a failed save left only in memory', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const extension = await TrackingDatabase.open(file, wasmPath);
      await extension.save();
      let told = 0;
      extension.onUnsavedReplaced = () => told++;
      addContact(extension, 'not saved');
      rmSync(file);
      mkdirSync(file); // the save cannot replace a folder
      await assert.rejects(extension.save(), DatabaseSaveError);
      rmSync(file, { recursive: true });
      const cli = await TrackingDatabase.open(file, wasmPath);
      addContact(cli, 'from the CLI');
      await cli.save();
      cli.close();

      await extension.exclusive(() => undefined);
      assert.equal(told, 1);
      assert.deepEqual(contactIds(extension), ['from the CLI']);
      extension.close();
    });

    it('keeps its own copy when the file saved elsewhere is not a database', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const extension = await TrackingDatabase.open(file, wasmPath);
      addContact(extension, 'mine');
      await extension.save();
      writeFileSync(`${file}.new`, 'garbage '.repeat(100));
      renameSync(`${file}.new`, file);
      await assert.rejects(
        extension.exclusive(() => addContact(extension, 'never')),
        UnusableDatabaseError,
      );
      assert.deepEqual(contactIds(extension), ['mine']);
      extension.close();
    });

    it('reports a lock taken away while held, instead of throwing from a timer', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const lost: Error[] = [];
      const release = await lockDatabaseFile(file, {
        waitSeconds: 0,
        pollMs: 100,
        onCompromised: (error) => lost.push(error),
        staleMs: 2000,
      });
      rmSync(`${file}.lock`, { recursive: true });
      // proper-lockfile touches the lock every staleMs / 2 and then finds it gone.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(lost.length, 1);
      await release().catch(() => undefined);
    });

    it('says which database is busy when another program keeps its lock', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const held = await lockfile.lock(file, { realpath: false });
      await assert.rejects(
        lockDatabaseFile(file, { waitSeconds: 0.3, pollMs: 100, onCompromised: () => undefined }),
        (error: unknown) => error instanceof DatabaseBusyError && error.file === file,
      );
      await held();
    });

    it('stops waiting for the lock when the wait is cancelled, and takes none', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const held = await lockfile.lock(file, { realpath: false });
      const abort = new AbortController();
      let waits = 0;
      const started = Date.now();
      const waiting = lockDatabaseFile(file, {
        waitSeconds: 30,
        pollMs: 100,
        onCompromised: () => undefined,
        signal: abort.signal,
        onWait: () => {
          waits++;
          setTimeout(() => abort.abort(new Error('cancelled by the user')), 250);
        },
      });
      await assert.rejects(waiting, /cancelled by the user/);
      assert.ok(Date.now() - started < 5000, 'the wait ran on after the cancel');
      assert.equal(waits, 1);
      // The other program still holds its lock: releasing it works, and then the lock is free.
      await held();
      const release = await lockDatabaseFile(file, {
        waitSeconds: 0,
        pollMs: 100,
        onCompromised: () => undefined,
      });
      await release();
    });

    it('does not run exclusive work whose wait for the lock was cancelled', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const extension = await TrackingDatabase.open(file, wasmPath, { lockWrites: true });
      await extension.save();
      const held = await lockfile.lock(file, { realpath: false });
      const abort = new AbortController();
      let ran = false;
      const work = extension.exclusive(
        () => {
          ran = true;
        },
        { signal: abort.signal, onWait: () => abort.abort() },
      );
      await assert.rejects(work);
      assert.equal(ran, false);
      await held();
      // Later work runs: the cancelled one left nothing queued or locked.
      assert.equal(await extension.exclusive(() => 'next'), 'next');
      extension.close();
    });

    it('does not begin exclusive work cancelled by the time its turn (and lock) came', async () => {
      // No lock file to wait for here: the cancel is met only once the turn has come.
      const database = await TrackingDatabase.openInMemory(wasmPath);
      const abort = new AbortController();
      abort.abort(new Error('cancelled by the user'));
      let ran = false;
      await assert.rejects(
        database.exclusive(
          () => {
            ran = true;
          },
          { signal: abort.signal },
        ),
        /cancelled by the user/,
      );
      assert.equal(ran, false);
      assert.equal(await database.exclusive(() => 'next'), 'next');
      database.close();
    });

    it('waits for the lock the other program holds when it locks its writes', async () => {
      const file = path.join(folder, 'tracking.sqlite');
      const extension = await TrackingDatabase.open(file, wasmPath, { lockWrites: true });
      await extension.save();
      const release = await lockfile.lock(file, { realpath: false });
      let ran = false;
      const work = extension.exclusive(() => {
        ran = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(ran, false, 'ran while another program held the lock');
      await release();
      await work;
      assert.equal(ran, true);
      assert.equal(existsSync(`${file}.lock`), false, 'the lock is let go after the work');
      extension.close();
    });
  });

  it('saves atomically: no temporary file is left beside the database', async () => {
    const file = path.join(folder, 'tracking.sqlite');
    const database = await TrackingDatabase.open(file, wasmPath);
    await database.save();
    await database.save();
    database.close();
    assert.deepEqual(readdirSync(folder), ['tracking.sqlite']);
  });

  it("refuses another program's SQLite database, and neither moves nor changes it", async () => {
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    // Other programs number their schemas too: a version, even one newer than ours, is no sign.
    for (const version of [0, 2, SCHEMA_VERSION + 3]) {
      const other = new SQL.Database();
      other.run(`CREATE TABLE unrelated (x); PRAGMA user_version = ${version}`);
      const file = path.join(folder, `other-${version}.sqlite`);
      writeFileSync(file, other.export());
      other.close();
      const before = readFileSync(file);

      for (const options of [{}, { readOnly: true }]) {
        await assert.rejects(
          TrackingDatabase.open(file, wasmPath, options),
          /other-\d+\.sqlite cannot be used \(it is an SQLite database with other tables \(unrelated\)/,
        );
      }
      assert.deepEqual(readFileSync(file), before);
    }
    assert.equal(readdirSync(folder).filter((name) => name.includes('.corrupt-')).length, 0);
  });

  it('upgrades a version 3 database whose insert trigger was dropped by hand', async () => {
    const SQL = await initSqlJs({ locateFile: () => wasmPath });
    const old = new SQL.Database();
    old.exec(migrations.slice(0, 3).join(';'));
    old.exec(
      "PRAGMA user_version = 3; DROP TRIGGER insert_click; INSERT INTO names (text) VALUES ('T')",
    );
    const file = path.join(folder, 'tracking.sqlite');
    writeFileSync(file, old.export());
    old.close();

    const database = await TrackingDatabase.open(file, wasmPath);
    assert.equal(database.renamedAside, undefined);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    database.db.exec(`INSERT INTO clicks (contact_id, template, date, time, link_name)
      VALUES ('1', 'T', '2026-03-14', '09:26:53', 'L')`);
    assert.equal(database.db.exec('SELECT count(*) FROM clicks')[0].values[0][0], 1);
    database.close();
  });

  it('keeps aside a file whose migration fails, as it keeps a damaged one', async () => {
    const file = path.join(folder, 'tracking.sqlite');
    const SQL = await initSqlJs();
    const damaged = new SQL.Database();
    // Says it is schema 2, but its imports table is gone: migration 3 renames a column of it.
    damaged.run(
      'CREATE TABLE contacts (contact_id TEXT PRIMARY KEY, name, email, client); ' +
        'PRAGMA user_version = 2',
    );
    writeFileSync(file, damaged.export());
    damaged.close();
    const before = readFileSync(file);

    // A reader is told, naming the file; nothing moves.
    await assert.rejects(TrackingDatabase.open(file, wasmPath, { readOnly: true }), (error) => {
      assert.ok(error instanceof UnusableDatabaseError);
      assert.equal(error.file, file);
      assert.match(error.message, /could not be upgraded to schema version \d+: .*imports/);
      return true;
    });
    assert.deepEqual(readdirSync(folder), ['tracking.sqlite']);

    // A writer keeps it aside, whole, and starts a new database.
    const database = await TrackingDatabase.open(file, wasmPath);
    assert.ok(database.renamedAside);
    assert.match(database.renamedAsideReason ?? '', /could not be upgraded/);
    assert.deepEqual(readFileSync(database.renamedAside), before);
    assert.equal(database.schemaVersion, SCHEMA_VERSION);
    database.close();
  });

  it('says which file could not be written when a save fails, and keeps the data', async () => {
    const file = path.join(folder, 'tracking.sqlite');
    const database = await TrackingDatabase.open(file, wasmPath);
    database.db.run("INSERT INTO contacts (contact_id) VALUES ('7')");
    mkdirSync(file); // a folder where the file should go: the rename cannot replace it

    await assert.rejects(database.save(), (error: unknown) => {
      assert.ok(error instanceof DatabaseSaveError);
      assert.equal(error.file, file);
      assert.match(error.message, /could not be written/);
      return true;
    });
    assert.deepEqual(database.db.exec('SELECT contact_id FROM contacts')[0].values, [['7']]);

    rmSync(file, { recursive: true });
    await database.save();
    database.close();
    const reopened = await TrackingDatabase.open(file, wasmPath);
    assert.deepEqual(reopened.db.exec('SELECT contact_id FROM contacts')[0].values, [['7']]);
    reopened.close();
  });

  (canMountDisk ? it : it.skip)(
    'keeps the old file whole when the disk fills up during a save (needs root)',
    () =>
      onSmallDisk('1m', async (disk) => {
        const file = path.join(disk, 'tracking.sqlite');
        const database = await TrackingDatabase.open(file, wasmPath);
        const addContacts = (from: number, count: number) => {
          for (let i = from; i < from + count; i++) {
            database.db.run('INSERT INTO contacts (contact_id, name) VALUES (?, ?)', [
              String(i),
              'x'.repeat(400),
            ]);
          }
        };
        addContacts(0, 1000);
        await database.save();
        const saved = readFileSync(file);
        assert.ok(saved.length > 400_000, `${saved.length} bytes`);

        addContacts(1000, 1000); // now the new copy and the old one cannot both fit
        await assert.rejects(database.save(), DatabaseSaveError);
        assert.deepEqual(readFileSync(file), saved, 'the saved file is unchanged');
        assert.deepEqual(readdirSync(disk), ['tracking.sqlite'], 'no temporary file is left');
        database.close();
      }),
  );

  it('runs exclusive work one after another, even when earlier work fails', async () => {
    const database = await TrackingDatabase.openInMemory(wasmPath);
    const order: string[] = [];
    const slow = database.exclusive(async () => {
      order.push('slow start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('slow end');
      throw new Error('boom');
    });
    const fast = database.exclusive(() => order.push('fast'));
    await assert.rejects(slow, /boom/);
    await fast;
    assert.deepEqual(order, ['slow start', 'slow end', 'fast']);
    database.close();
  });
});
