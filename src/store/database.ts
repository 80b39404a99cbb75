// The sql.js database: loading, migrating and saving the one database file.
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
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

  private constructor(
    readonly db: Database,
    readonly file: string | undefined,
    /** Where an unreadable database file was moved before a new one was started. */
    readonly renamedAside: string | undefined,
    /** Why the file was moved aside (the error sql.js gave, or the version mismatch). */
    readonly renamedAsideReason: string | undefined,
  ) {}

  /**
   * Opens the database file (a new one when it does not exist; the folder is created) and
   * migrates it. A file that is not a database we can use (garbage, not SQLite, a newer
   * schema) is renamed to `<file>.corrupt-<timestamp>`, never deleted, and a new database is
   * started; `renamedAside` then says where the old file went.
   */
  static async open(
    file: string,
    wasmPath: string,
    options: OpenOptions = {},
  ): Promise<TrackingDatabase> {
    // sql.js compiles its WebAssembly while the file is read.
    const [SQL, bytes] = await Promise.all([loadSqlJs(wasmPath), readDatabaseFile(file, options)]);

    if (bytes && bytes.length > 0) {
      const db = new SQL.Database(bytes);
      const reason = unusableReason(db);
      if (!reason) {
        return new TrackingDatabase(db, file, undefined, undefined).tune().migrate();
      }
      db.close();
      if (options.readOnly) {
        throw new UnusableDatabaseError(file, reason);
      }
      const aside = await renameAside(file);
      return new TrackingDatabase(new SQL.Database(), file, aside, reason).tune().migrate();
    }
    return new TrackingDatabase(new SQL.Database(), file, undefined, undefined).tune().migrate();
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
   * back through JavaScript, which made a million-click import take half as long again. A new database gets 64 KB pages:
   * saving costs per page, and re-importing a million-click file after 1,000 new clicks took
   * 0.78 s with them against 1.09 s with 4 KB pages (most of it the save). (Older
   * sql.js releases reopened the database on export, which forgot these settings; a unit test
   * checks that a save keeps them.)
   */
  private tune(): this {
    this.db.exec(
      // page_size takes effect only while the database is still empty.
      'PRAGMA page_size = 65536; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; ' +
        'PRAGMA cache_spill = OFF; PRAGMA cache_size = -262144;',
    );
    return this;
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
   * opens a transaction or saves, so that writers never interleave.
   */
  exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
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
        throw new DatabaseSaveError(this.file, error);
      }
    }
  }

  close(): void {
    this.db.close();
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

function readUserVersion(db: Database): number {
  return Number(db.exec('PRAGMA user_version')[0].values[0][0]);
}

/** Why an opened file cannot be used, or undefined when it can. */
function unusableReason(db: Database): string | undefined {
  try {
    // sql.js opens any bytes lazily; reading the schema is what reveals a non-database.
    db.exec('SELECT count(*) FROM sqlite_master');
    const version = readUserVersion(db);
    if (version > SCHEMA_VERSION) {
      return `it has schema version ${version}, newer than this release knows (${SCHEMA_VERSION})`;
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
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
