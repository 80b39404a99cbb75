// The sql.js database: loading, migrating and saving the one database file.
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { migrations } from './schema';

let sqlJs: Promise<SqlJsStatic> | undefined;

/** Loads sql.js once per process, with its wasm file at `wasmPath`. */
function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  sqlJs ??= readFile(wasmPath).then((wasm) => {
    const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
    return initSqlJs({ wasmBinary });
  });
  return sqlJs;
}

/** Writing the database file failed; the changes are only in memory until the next save. */
export class DatabaseSaveError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`the database file ${file} could not be written (${reason})`, { cause });
    this.name = 'DatabaseSaveError';
  }
}

/** Another program (a command-line import) kept the database's lock for too long. */
export class DatabaseBusyError extends Error {
  constructor(readonly file: string) {
    super(
      `another program is writing the database ${file} (for example a link-tracking import); ` +
        'try again once it has finished',
    );
    this.name = 'DatabaseBusyError';
  }
}

/** A database file that cannot be used, met by a caller that only reads (nothing was moved). */
export class UnusableDatabaseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`the database file ${file} cannot be used (${reason})`);
    this.name = 'UnusableDatabaseError';
  }
}

export interface OpenOptions {
  /**
   * The caller only reads: an unusable file is left where it is and UnusableDatabaseError is
   * thrown, instead of moving it aside for a new database that nobody would save.
   */
  readOnly?: boolean;
  /**
   * Take the lock file beside the database (`<file>.lock`, as the command line does) for each
   * exclusive work, so that a command-line import into the same file waits, or is waited for.
   * The extension sets it; the command line holds that lock for its whole run instead.
   */
  lockWrites?: boolean;
}

/** How long exclusive work waits for another program that holds the database's lock. */
const LOCK_WAIT_S = 30;

/** For exclusive work that may wait for another program's lock on the database file. */
export type LockWait = Pick<DatabaseLockOptions, 'onWait' | 'signal'>;

export interface DatabaseLockOptions {
  /** How long to wait for another program that holds the lock, looking every `pollMs`. */
  waitSeconds: number;
  pollMs: number;
  /** Called once, before waiting, when another program holds the lock. */
  onWait?: () => void;
  /** Stops the wait: the promise rejects with the signal's reason and no lock is taken. */
  signal?: AbortSignal;
  /**
   * The lock was taken over while held (its holder looked dead: blocked for longer than
   * `staleMs`). Without a handler proper-lockfile throws from a timer, which nothing can catch.
   */
  onCompromised: (error: Error) => void;
  /** A lock untouched for this long is taken over (proper-lockfile's default 10 s; tests 2 s). */
  staleMs?: number;
}

/**
 * Takes the lock file beside the database (`<file>.lock`), the one every writer of the file
 * takes: the command line for its whole run, the extension for each exclusive work. Throws
 * DatabaseBusyError when another program still holds it after the wait.
 */
export async function lockDatabaseFile(
  file: string,
  options: DatabaseLockOptions,
): Promise<() => Promise<void>> {
  const { waitSeconds, pollMs, onWait, onCompromised, staleMs, signal } = options;
  const base = { realpath: false, onCompromised, ...(staleMs ? { stale: staleMs } : {}) };
  const deadline = Date.now() + waitSeconds * 1000;
  // One try every pollMs, not proper-lockfile's own retries, so that a cancel stops the wait.
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await lockfile.lock(file, { ...base, retries: 0 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw error;
      }
    }
    if (Date.now() >= deadline) {
      throw new DatabaseBusyError(file);
    }
    if (attempt === 0) {
      onWait?.();
    }
    await sleep(pollMs, undefined, { signal }).catch(() => signal?.throwIfAborted());
  }
}

/** The schema version this code writes; a file with a higher one is from a newer release. */
export const SCHEMA_VERSION = migrations.length;

/**
 * One sql.js database, held whole in memory and written back to its file by `save()`.
 *
 * Writers run one at a time through `exclusive()`: sql.js has a single connection, so two
 * interleaved async transactions (say a tracker import and a contacts import) would collide.
 */
export class TrackingDatabase {
  private queue: Promise<unknown> = Promise.resolve();
  /** The file as this database last read or wrote it (see fileStamp), to notice other writers. */
  private stamp: string | undefined;
  private lockWrites = false;
  /** A save failed since the last one that worked: memory holds changes the file lacks. */
  private unsaved = false;

  /**
   * Called when the file another program saved replaced changes that were only in memory (a
   * save of them had failed). They are gone from the database; the caller says so.
   */
  onUnsavedReplaced?: () => void;

  /** Called when the lock file was taken over while exclusive work held it (see lockWrites). */
  onLockLost?: (error: Error) => void;

  private constructor(
    private current: Database,
    readonly file: string | undefined,
    /** Where an unreadable database file was moved before a new one was started. */
    readonly renamedAside: string | undefined,
    /** Why the file was moved aside (the error sql.js gave, or the version mismatch). */
    readonly renamedAsideReason: string | undefined,
    private readonly SQL?: SqlJsStatic,
  ) {}

  /**
   * The sql.js database. Read it afresh each time rather than keep it: when another program
   * (a command-line import) saved the file, exclusive work loads that file in its place.
   */
  get db(): Database {
    return this.current;
  }

  /**
   * Opens the database file (a new one when it does not exist; the folder is created) and
   * migrates it. A file that is not a database we can use (garbage, not SQLite, a newer
   * schema, a migration that fails) is renamed to `<file>.corrupt-<timestamp>`, never deleted,
   * and a new database is started; `renamedAside` then says where the old file went. Another
   * program's SQLite database is refused (UnusableDatabaseError) and left where it is.
   */
  static async open(
    file: string,
    wasmPath: string,
    options: OpenOptions = {},
  ): Promise<TrackingDatabase> {
    // Taken before the read, as in reloadIfSavedElsewhere.
    const stamp = await fileStamp(file);
    // sql.js compiles its WebAssembly while the file is read.
    const [SQL, bytes] = await Promise.all([loadSqlJs(wasmPath), readDatabaseFile(file, options)]);

    let unusable: string | undefined;
    if (bytes && bytes.length > 0) {
      const loaded = loadUsable(SQL, bytes);
      if ('db' in loaded) {
        const database = new TrackingDatabase(loaded.db, file, undefined, undefined, SQL);
        database.stamp = stamp;
        database.lockWrites = options.lockWrites ?? false;
        unusable = database.migrateOrClose();
        if (!unusable) {
          return database;
        }
      } else if (loaded.otherProgram) {
        // Someone's other database, given by mistake, is not moved: that would break its program.
        throw new UnusableDatabaseError(file, loaded.reason);
      } else {
        unusable = loaded.reason;
      }
    }
    let aside: string | undefined;
    if (unusable) {
      if (options.readOnly) {
        throw new UnusableDatabaseError(file, unusable);
      }
      aside = await renameAside(file);
    }
    const database = new TrackingDatabase(new SQL.Database(), file, aside, unusable, SQL);
    database.lockWrites = options.lockWrites ?? false;
    return database.tune().migrate();
  }

  /** A database that lives only in memory (tests, dry runs). */
  static async openInMemory(wasmPath: string): Promise<TrackingDatabase> {
    const SQL = await loadSqlJs(wasmPath);
    const database = new TrackingDatabase(new SQL.Database(), undefined, undefined, undefined);
    return database.tune().migrate();
  }

  get schemaVersion(): number {
    return readUserVersion(this.db);
  }

  /**
   * The database lives in sql.js's memory and reaches the disk only through save(), so
   * journaling buys nothing: keep the rollback journal in memory and let a big transaction hold
   * its pages in the cache instead of spilling them. The cache may grow to 256 MB (a million
   * clicks took about 70 MB before schema 3, 26 MB since): every page that does not fit is read
   * back through JavaScript, which made a million-click import take half as long again. A new
   * database gets 64 KB pages: saving costs per page, and re-importing a million-click file after
   * 1,000 new clicks took 0.78 s with them against 1.09 s with 4 KB pages (most of it the save).
   * (Older sql.js releases reopened the database on export, which forgot these settings; a unit
   * test checks that a save keeps them.)
   */
  private tune(): this {
    this.db.exec(
      // page_size takes effect only while the database is still empty.
      'PRAGMA page_size = 65536; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; ' +
        'PRAGMA cache_spill = OFF; PRAGMA cache_size = -262144;',
    );
    return this;
  }

  /** Brings a loaded file to the current schema; on failure closes it and says why. */
  private migrateOrClose(): string | undefined {
    try {
      this.tune().migrate();
      return undefined;
    } catch (error) {
      this.close();
      const reason = error instanceof Error ? error.message : String(error);
      return `it could not be upgraded to schema version ${SCHEMA_VERSION}: ${reason}`;
    }
  }

  private migrate(): this {
    for (let version = this.schemaVersion; version < migrations.length; version++) {
      this.db.exec('BEGIN');
      try {
        this.db.exec(migrations[version]);
        this.db.exec(`PRAGMA user_version = ${version + 1}`);
        this.db.exec('COMMIT');
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    }
    return this;
  }

  /**
   * Runs `work` after every earlier exclusive work has finished. Use it for anything that
   * opens a transaction or saves, so that writers never interleave. `wait` is told when
   * another program holds the database's lock, and can stop the wait for it.
   */
  exclusive<T>(work: () => Promise<T> | T, wait: LockWait = {}): Promise<T> {
    return this.inTurn(async () => {
      const unlock = await this.lock(wait);
      try {
        // A cancel that came as the lock was taken still stops the work before it begins.
        wait.signal?.throwIfAborted();
        await this.reloadIfSavedElsewhere();
        return await work();
      } finally {
        await unlock();
      }
    });
  }

  /** Runs `work` once everything queued before it has finished, failed or not. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Loads the file again when another program saved it since this database last read or wrote
   * it: the command line imports into the extension's database while VS Code runs, and a save
   * from the copy in memory would undo that import. Returns true when it loaded the file.
   * Changes only in memory (after a save that failed) go with the old copy: the other program's
   * save is on disk, and they are not; onUnsavedReplaced is told.
   */
  async reloadIfSavedElsewhere(): Promise<boolean> {
    if (!this.file || !this.SQL) {
      return false;
    }
    // Taken before the read: a save in between is then noticed the next time, not missed.
    const stamp = await fileStamp(this.file);
    if (stamp === this.stamp) {
      return false;
    }
    const bytes = await readFile(this.file).catch(() => undefined);
    if (!bytes || bytes.length === 0) {
      return false; // gone or emptied: the next save writes this copy back
    }
    const loaded = loadUsable(this.SQL, bytes);
    if (!('db' in loaded)) {
      throw new UnusableDatabaseError(this.file, `another program saved it, and ${loaded.reason}`);
    }
    this.current.close();
    this.current = loaded.db;
    this.stamp = stamp;
    this.tune().migrate();
    if (this.unsaved) {
      this.unsaved = false;
      this.onUnsavedReplaced?.();
    }
    return true;
  }

  /**
   * reloadIfSavedElsewhere, in turn with exclusive work but without the lock: a file another
   * program renamed into place is always whole. For a watcher of the file.
   */
  refresh(): Promise<boolean> {
    return this.inTurn(() => this.reloadIfSavedElsewhere());
  }

  /** Takes the lock file when this database locks its writes; returns what lets go of it. */
  private async lock(wait: LockWait): Promise<() => Promise<void>> {
    if (!this.lockWrites || !this.file) {
      return async () => undefined;
    }
    const release = await lockDatabaseFile(this.file, {
      ...wait,
      waitSeconds: LOCK_WAIT_S,
      pollMs: 250,
      onCompromised: (error) => this.onLockLost?.(error),
    });
    return () => release().catch(() => undefined);
  }

  /**
   * Writes the database to its file atomically (temporary file, flush, rename). On failure the
   * file keeps its previous content and a DatabaseSaveError says so; the data stays in memory
   * and is written by the next save that succeeds.
   */
  async save(): Promise<void> {
    if (this.file) {
      const bytes = this.db.export();
      // Wrap, do not copy: at a million clicks the export is over 60 MB.
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      try {
        await replaceFile(this.file, buffer);
      } catch (error) {
        this.unsaved = true;
        throw new DatabaseSaveError(this.file, error);
      }
      this.unsaved = false;
      this.stamp = await fileStamp(this.file);
    }
  }

  close(): void {
    this.current.close();
  }
}

/**
 * Replaces `file` with `bytes` all or nothing: they go into a temporary file beside it, which is
 * flushed and then renamed over it. (write-file-atomic, up to 8.0, makes a single write call
 * and renames whatever part of the data it wrote: on a nearly full disk it replaced the
 * database with a truncated copy. FileHandle.writeFile writes until every byte is written, or
 * throws.)
 */
async function replaceFile(file: string, bytes: Uint8Array): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const mode = await stat(file).then(
    (info) => info.mode & 0o777,
    () => 0o644,
  );
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The database file's bytes, or undefined when there is none yet (its folder is then made). */
async function readDatabaseFile(file: string, options: OpenOptions): Promise<Buffer | undefined> {
  if (!options.readOnly) {
    await mkdir(path.dirname(file), { recursive: true });
  }
  // A folder or a device (/dev/full reads without end) is never read, moved or replaced.
  const missing = (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      return undefined;
    }
    throw error;
  };
  const info = await stat(file).catch(missing);
  if (info && !info.isFile()) {
    throw new UnusableDatabaseError(file, 'it is not a regular file');
  }
  return info && readFile(file).catch(missing);
}

/** What changes when another program saves the file (a new inode, size or time), or ''. */
async function fileStamp(file: string): Promise<string> {
  return stat(file, { bigint: true }).then(
    ({ ino, size, mtimeNs }) => `${ino}:${size}:${mtimeNs}`,
    () => '',
  );
}

function readUserVersion(db: Database): number {
  return Number(db.exec('PRAGMA user_version')[0].values[0][0]);
}

/** The bytes as a database we can use, or why they are not one. */
function loadUsable(
  SQL: SqlJsStatic,
  bytes: Uint8Array,
): { db: Database } | { reason: string; otherProgram?: boolean } {
  const db = new SQL.Database(bytes);
  const unreadable = unreadableReason(db);
  // Before the version: other programs set user_version too.
  const otherProgram = unreadable ? undefined : otherProgramsReason(db);
  const reason = unreadable ?? otherProgram ?? newerVersionReason(db);
  if (reason) {
    db.close();
    return { reason, otherProgram: otherProgram !== undefined };
  }
  return { db };
}

/** Why the bytes are not an SQLite database, or undefined when they are one. */
function unreadableReason(db: Database): string | undefined {
  try {
    // sql.js opens any bytes lazily; reading the schema is what reveals a non-database.
    db.exec('SELECT count(*) FROM sqlite_master');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function newerVersionReason(db: Database): string | undefined {
  const version = readUserVersion(db);
  return version > SCHEMA_VERSION
    ? `it has schema version ${version}, newer than this release knows (${SCHEMA_VERSION})`
    : undefined;
}

/**
 * Tables of ours (in some schema version), each known by two of its columns: a name alone can
 * be another program's too (a CRM may well have `imports` or `contacts`).
 */
const OUR_TABLES: readonly (readonly [string, readonly string[]])[] = [
  ['imports', ['file_path', 'imported_at']],
  ['contacts', ['contact_id', 'client']],
  ['clicks', ['contact_id', 'link_name']],
  ['stored_clicks', ['contact_id', 'template_id']],
];

/**
 * Why a readable SQLite file is another program's database, or undefined: it has tables, and
 * none of them is one of ours. (A damaged file of ours still has some; it is kept aside.)
 */
function otherProgramsReason(db: Database): string | undefined {
  const tables = db.exec(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
  );
  const names = (tables[0]?.values ?? []).map((row) => String(row[0]));
  const ours = OUR_TABLES.some(([table, columns]) => {
    const found = db.exec(`SELECT name FROM pragma_table_info('${table}')`)[0]?.values.flat();
    return columns.every((column) => found?.includes(column));
  });
  if (names.length === 0 || ours) {
    return undefined;
  }
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', ');
  return `it is an SQLite database with other tables (${shown}), not an email tracking database`;
}

async function renameAside(file: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let aside = `${file}.corrupt-${stamp}`;
  for (let n = 2; await exists(aside); n++) {
    aside = `${file}.corrupt-${stamp}-${n}`;
  }
  await rename(file, aside);
  return aside;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
