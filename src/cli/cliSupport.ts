// What every `link-tracking` subcommand shares: exit codes, usage errors, opening the database.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CommanderError } from 'commander';
import { lockDatabaseFile, TrackingDatabase, type OpenOptions } from '../store/database';

/** The command ran but refused its input (unreadable, not well-formed, …). */
export const EXIT_REFUSED = 1;
/** Wrong usage: an unknown command or option, a missing or invalid argument. */
export const EXIT_USAGE = 2;

/** Commander's parse errors are wrong usage: exit 2. Help and --version stay 0. */
export function usageExit(error: CommanderError): never {
  throw new CommanderError(error.exitCode === 0 ? 0 : EXIT_USAGE, error.code, error.message);
}

/** sql.js's wasm file: the build copies it into dist/, beside the bundled cli.js. */
export function wasmPath(): string {
  return path.join(__dirname, 'sql-wasm.wasm');
}

/** The reading thread for large tracker files, bundled beside the CLI. */
export function readerWorkerPath(): string {
  return path.join(__dirname, 'trackerReadWorker.js');
}

/**
 * Opens the database named by --db. A file that cannot be used is moved aside (and the user
 * told where) when the command writes; a command that only reads refuses it instead.
 */
export async function openDatabase(file: string, options: OpenOptions = {}) {
  if (!options.readOnly) {
    await lockForWriting(file);
  }
  return openLockedDatabase(file, options);
}

/** openDatabase, for a caller that took the lock with lockForWriting itself (or only reads). */
export async function openLockedDatabase(file: string, options: OpenOptions = {}) {
  const database = await TrackingDatabase.open(file, wasmPath(), options);
  if (database.renamedAside) {
    process.stderr.write(
      `link-tracking: ${file} could not be opened (${database.renamedAsideReason}); ` +
        `it was kept as ${database.renamedAside} and a new database was started\n`,
    );
  }
  return database;
}

/**
 * The database could not be opened (or locked), so nothing was imported: said as an import's
 * problems are, with --json (`counts` all zero; line 0: the problem is not in the imported
 * file), else on stderr. Exit 1.
 */
export function databaseFailure(
  error: unknown,
  json: boolean | undefined,
  counts: Record<string, 0>,
): void {
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const problem = { line: 0, column: 0, severity: 'error', message };
    process.stdout.write(`${JSON.stringify({ ...counts, problems: [problem] })}\n`);
  } else {
    process.stderr.write(`link-tracking: ${message}; nothing was imported\n`);
  }
  process.exitCode = EXIT_REFUSED;
}

/** How long a command waits for another one writing the same database (a big import). */
const WAIT_FOR_WRITER_S = 15 * 60;

/**
 * Takes the lock file beside the database for the rest of the process (proper-lockfile lets
 * go of it at exit): each command holds the whole database in memory and saves it whole, so of
 * two commands writing one database at once, the later save would silently undo the other.
 */
export async function lockForWriting(file: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await lockDatabaseFile(file, {
    waitSeconds: WAIT_FOR_WRITER_S,
    pollMs: 1000,
    onWait: () =>
      process.stderr.write(`link-tracking: waiting for another command that is writing ${file}\n`),
    onCompromised: (error) =>
      process.stderr.write(`link-tracking: the lock on ${file} was lost: ${error.message}\n`),
  });
}
