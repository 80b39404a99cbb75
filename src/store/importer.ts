// Imports a tracker file into the database: one transaction, de-duplicated by the clicks key,
// incremental when the file only grew since the last import of the same path.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Database, Statement } from 'sql.js';
import { STORED_KEY_COLUMNS, storedDate, storedTime } from '../tracker/dedupKey';
import type { DateOrder, Problem, TrackerEntry } from '../tracker/trackerEntry';
import { readTrackerFileInThread, type ThreadOptions } from '../tracker/trackerReadThread';
import type { ReadResult } from '../tracker/trackerReader';
import type { OpenAtMark } from '../tracker/trackerScanner';
import type { TrackingDatabase } from './database';
import { PrefixHasher, type PrefixHasherOptions } from './prefixHash';

export interface ImportOptions {
  dateOrder: DateOrder;
  signal?: AbortSignal;
  /** Bytes read so far of `totalBytes`, as the reader counts them (for a percentage). */
  onProgress?(bytesRead: number, totalBytes: number): void;
  /**
   * Where the file is read: with the bundled reading thread (dist/trackerReadWorker.js) a large
   * file is read in it while this thread inserts; without it, on this thread.
   */
  reader?: ThreadOptions;
  /**
   * The hashing of the file, when the caller started it early (the command line starts it before
   * it opens the database). The import closes it. Without it the import starts one.
   */
  prefixHasher?: PrefixHasher;
  /** How the import hashes the file when it starts the hashing itself. */
  hashing?: PrefixHasherOptions;
  /** Another program (a command-line import) is writing the database: the import waits. */
  onWaitForDatabase?(): void;
}

export interface ImportResult {
  /** Clicks that were new. */
  added: number;
  /** Clicks whose key (contact, template, date, time) was already in the database. */
  duplicates: number;
  /** Entries skipped because a field was missing or unreadable (each is in `problems`). */
  invalid: number;
  problems: Problem[];
  /** Set when the file was refused (not well-formed, DOCTYPE…): nothing was imported. */
  refused?: Problem;
  /** True when only the part of the file added since the last import was read. */
  incremental: boolean;
  /** The file's base name, for messages. */
  fileName: string;
  /** The absolute path the import is recorded under. */
  filePath: string;
  encoding: string;
}

/** Thrown when the import was cancelled through its AbortSignal; the database is unchanged. */
export class ImportCancelledError extends Error {
  constructor(fileName: string) {
    super(`Import of ${fileName} was cancelled; nothing was imported.`);
    this.name = 'ImportCancelledError';
  }
}

/** What an earlier import of the same path remembers about the part of the file it read. */
interface ReadMark {
  readBytes: number;
  readLines: number;
  /** fingerprint() of the bytes read. */
  prefixHash: string;
  encoding: string;
  /** The elements open at readBytes (see ReadResult.completeOpen). */
  openElements: OpenAtMark[];
}

// The primary key of stored_clicks is the dedup key, so the database itself skips duplicates.
const INSERT_CLICKS =
  `INSERT OR IGNORE INTO stored_clicks (${STORED_KEY_COLUMNS.join(', ')}, link_id, import_id) ` +
  'VALUES ';
/** Values bound per click: the key's, then the link name's id. */
const VALUES_PER_CLICK = STORED_KEY_COLUMNS.length + 1;
/** sql.js costs about as much per statement run as per value bound: insert many per run. */
const CLICKS_PER_INSERT = 64;

/**
 * Inserts the clicks of one import, CLICKS_PER_INSERT at a time, as stored_clicks rows: the
 * template and the link name become ids in the names table (added there when new).
 */
class ClickInserter {
  private readonly many: Statement;
  private readonly one: Statement;
  private readonly addName: Statement;
  private readonly nameIds = new Map<string, number>();
  private nextNameId = 1;
  private values: (string | number)[] = [];
  /** Clicks handed to add(), new or not. */
  count = 0;
  /** Rows added to names, which total_changes() counts along with the clicks. */
  namesAdded = 0;

  constructor(db: Database, importId: number) {
    if (!Number.isSafeInteger(importId)) {
      throw new Error(`unexpected import id ${importId}`);
    }
    // The import id is the same for every row; as a literal it costs nothing per row.
    const row = `(${Array(VALUES_PER_CLICK).fill('?').join(', ')}, ${importId})`;
    this.many = db.prepare(INSERT_CLICKS + Array(CLICKS_PER_INSERT).fill(row).join(', '));
    this.one = db.prepare(INSERT_CLICKS + row);
    this.addName = db.prepare('INSERT INTO names (id, text) VALUES (?, ?)');
    // Templates and link names are few: hold them all rather than look each one up.
    for (const [id, text] of db.exec('SELECT id, text FROM names')[0]?.values ?? []) {
      this.nameIds.set(String(text), Number(id));
      this.nextNameId = Math.max(this.nextNameId, Number(id) + 1);
    }
  }

  add(entry: TrackerEntry): void {
    this.values.push(
      entry.contactId,
      this.nameId(entry.template),
      storedDate(entry.date),
      storedTime(entry.time),
      this.nameId(entry.linkName),
    );
    this.count++;
    if (this.values.length === CLICKS_PER_INSERT * VALUES_PER_CLICK) {
      this.many.run(this.values);
      this.values = [];
    }
  }

  /** Inserts what is left, one row at a time. */
  finish(): void {
    for (let at = 0; at < this.values.length; at += VALUES_PER_CLICK) {
      this.one.run(this.values.slice(at, at + VALUES_PER_CLICK));
    }
    this.values = [];
  }

  free(): void {
    this.many.free();
    this.one.free();
    this.addName.free();
  }

  private nameId(text: string): number {
    let id = this.nameIds.get(text);
    if (id === undefined) {
      id = this.nextNameId++;
      this.addName.run([id, text]);
      this.nameIds.set(text, id);
      this.namesAdded++;
    }
    return id;
  }
}

/**
 * Imports `filePath` into `database` as one transaction and saves the database file.
 * A refused file, a cancellation or an error rolls the transaction back, so the database
 * is exactly as it was before.
 */
export function importTrackerFile(
  database: TrackingDatabase,
  filePath: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const wait = { signal: options.signal, onWait: options.onWaitForDatabase };
  return database
    .exclusive(() => importExclusively(database, path.resolve(filePath), options), wait)
    .catch(async (error: unknown) => {
      // Cancelled while waiting for the database, the import never began: the hashing is ours.
      await options.prefixHasher?.close();
      if (options.signal?.aborted && !(error instanceof ImportCancelledError)) {
        throw new ImportCancelledError(path.basename(filePath));
      }
      throw error;
    });
}

async function importExclusively(
  database: TrackingDatabase,
  filePath: string,
  options: ImportOptions,
): Promise<ImportResult> {
  // A hashing started early may be of a file that has since been replaced at this path.
  let hasher = options.prefixHasher;
  if (hasher && !(await hasher.isFileAt(filePath))) {
    await hasher.close();
    hasher = undefined;
  }
  hasher ??= await PrefixHasher.start(filePath, options.hashing);
  try {
    return await importHashed(database, filePath, options, hasher);
  } finally {
    await hasher.close();
  }
}

async function importHashed(
  database: TrackingDatabase,
  filePath: string,
  options: ImportOptions,
  hasher: PrefixHasher,
): Promise<ImportResult> {
  const db = database.db;
  const fileName = path.basename(filePath);
  const { size } = await stat(filePath);
  const mark = await unchangedReadMark(db, filePath, size, hasher);
  options.signal?.throwIfAborted();
  const startOffset = mark?.readBytes ?? 0;

  db.exec('BEGIN');
  let inTransaction = true;
  try {
    const importId = recordImportStart(db, filePath);
    const before = totalChanges(db);
    const inserter = new ClickInserter(db, importId);
    let read: ReadResult;
    try {
      read = await readTrackerFileInThread(filePath, {
        ...options.reader,
        dateOrder: options.dateOrder,
        encoding: mark?.encoding,
        firstLine: mark?.readLines,
        startOffset,
        openBefore: mark?.openElements,
        signal: options.signal,
        onEntries(entries: TrackerEntry[]) {
          for (const entry of entries) {
            inserter.add(entry);
          }
        },
        onProgress: options.onProgress,
      });
      inserter.finish();
    } finally {
      inserter.free();
    }
    options.signal?.throwIfAborted();

    const result: ImportResult = {
      added: totalChanges(db) - before - inserter.namesAdded,
      duplicates: 0,
      invalid: read.invalid,
      problems: read.problems,
      refused: read.refused,
      incremental: mark !== undefined,
      fileName,
      filePath,
      encoding: read.encoding,
    };
    result.duplicates = inserter.count - result.added;
    if (!mark && !read.refused && inserter.count === 0 && read.invalid === 0) {
      // Said, not refused: a tracker file the server has just started holds no clicks yet.
      const message = 'No entries were found in this file; is it a tracker file?';
      result.problems = [{ line: 1, column: 1, severity: 'warning', message }, ...read.problems];
    }
    if (read.refused) {
      db.exec('ROLLBACK');
      inTransaction = false;
      return result;
    }

    // completeBytes counts from the start of the file, also when only the tail was read.
    const advanced = read.completeBytes >= startOffset;
    const readBytes = advanced ? read.completeBytes : startOffset;
    recordImportEnd(db, importId, result, {
      readBytes,
      readLines: advanced ? read.completeLines : (mark?.readLines ?? 1),
      prefixHash: await hasher.digestAt(readBytes),
      encoding: read.encoding,
      openElements: advanced ? read.completeOpen : (mark?.openElements ?? []),
    });
    db.exec('COMMIT');
    inTransaction = false;
    await database.save();
    return result;
  } catch (error) {
    if (inTransaction) {
      rollBack(db);
    }
    if (options.signal?.aborted) {
      throw new ImportCancelledError(fileName);
    }
    throw error;
  }
}

/** Rolls back, tolerating SQLite having already ended the transaction after an error. */
function rollBack(db: Database): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // No transaction is active any more: nothing to undo.
  }
}

function totalChanges(db: Database): number {
  return Number(db.exec('SELECT total_changes()')[0].values[0][0]);
}

function recordImportStart(db: Database, filePath: string): number {
  db.run(
    'INSERT INTO imports (file_path, imported_at, added, duplicates, invalid) ' +
      'VALUES (?, ?, 0, 0, 0)',
    [filePath, new Date().toISOString()],
  );
  return Number(db.exec('SELECT last_insert_rowid()')[0].values[0][0]);
}

function recordImportEnd(db: Database, importId: number, result: ImportResult, mark: ReadMark) {
  db.run(
    'UPDATE imports SET added = ?, duplicates = ?, invalid = ?, encoding = ?, read_bytes = ?, ' +
      'read_lines = ?, prefix_hash = ?, open_elements = ? WHERE id = ?',
    [
      result.added,
      result.duplicates,
      result.invalid,
      mark.encoding,
      mark.readBytes,
      mark.readLines,
      mark.prefixHash,
      JSON.stringify(mark.openElements),
      importId,
    ],
  );
}

/**
 * What the last import of this path remembers, when only the tail needs reading: the file is at
 * least as long as the part that import read, and that part still has the same fingerprint.
 */
async function unchangedReadMark(
  db: Database,
  filePath: string,
  size: number,
  hasher: PrefixHasher,
): Promise<ReadMark | undefined> {
  const statement = db.prepare(
    'SELECT read_bytes, read_lines, prefix_hash, encoding, open_elements FROM imports ' +
      'WHERE file_path = ? AND read_bytes > 0 ORDER BY id DESC LIMIT 1',
  );
  let mark: ReadMark | undefined;
  try {
    statement.bind([filePath]);
    if (statement.step()) {
      const [readBytes, readLines, prefixHash, encoding, openElements] = statement.get();
      const open = parseOpenElements(openElements);
      mark = open && {
        readBytes: Number(readBytes),
        readLines: Number(readLines),
        prefixHash: String(prefixHash),
        encoding: String(encoding),
        openElements: open,
      };
    }
  } finally {
    statement.free();
  }
  if (!mark || size < mark.readBytes) {
    return undefined;
  }
  return (await hasher.digestAt(mark.readBytes)) === mark.prefixHash ? mark : undefined;
}

/** imports.open_elements as written by recordImportEnd; undefined when missing or unreadable. */
function parseOpenElements(value: unknown): OpenAtMark[] | undefined {
  if (typeof value !== 'string') {
    return undefined; // recorded before schema 5: the file is read in full
  }
  try {
    const parsed: unknown = JSON.parse(value);
    const valid =
      Array.isArray(parsed) &&
      parsed.every(
        (el: Partial<OpenAtMark> | null) =>
          typeof el?.name === 'string' && Number.isSafeInteger(el.line),
      );
    return valid ? (parsed as OpenAtMark[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One sentence for the admin, e.g. "Imported 42 tracked emails from Tracker_ABC Ltd.xml;
 * 7 were already imported; 1 entry was skipped (invalid)".
 */
export function importSummary(result: ImportResult): string {
  const parts = [
    `Imported ${plural(result.added, 'tracked email', 'tracked emails')} from ${result.fileName}`,
  ];
  if (result.duplicates > 0) {
    parts.push(`${result.duplicates} ${result.duplicates === 1 ? 'was' : 'were'} already imported`);
  }
  if (result.invalid > 0) {
    const was = result.invalid === 1 ? 'was' : 'were';
    parts.push(`${plural(result.invalid, 'entry', 'entries')} ${was} skipped (invalid)`);
  }
  return parts.join('; ');
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
