// The sql.js database: loading, migrating and saving the one database file.
import { readFile } from 'node:fs/promises';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import writeFileAtomic from 'write-file-atomic';
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

export class TrackingDatabase {
  private constructor(
    readonly db: Database,
    readonly file: string | undefined,
  ) {}

  /** Opens the database file (a new one when it does not exist) and migrates it. */
  static async open(file: string, wasmPath: string): Promise<TrackingDatabase> {
    const SQL = await loadSqlJs(wasmPath);
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        return undefined;
      }
      throw error;
    });
    const database = new TrackingDatabase(new SQL.Database(bytes), file);
    database.migrate();
    return database;
  }

  /** A database that lives only in memory (tests, dry runs). */
  static async openInMemory(wasmPath: string): Promise<TrackingDatabase> {
    const SQL = await loadSqlJs(wasmPath);
    const database = new TrackingDatabase(new SQL.Database(), undefined);
    database.migrate();
    return database;
  }

  get schemaVersion(): number {
    return Number(this.db.exec('PRAGMA user_version')[0].values[0][0]);
  }

  private migrate(): void {
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
  }

  /** Writes the database to its file atomically (temporary file, flush, rename). */
  async save(): Promise<void> {
    if (this.file) {
      await writeFileAtomic(this.file, Buffer.from(this.db.export()), { fsync: true });
    }
  }

  close(): void {
    this.db.close();
  }
}
