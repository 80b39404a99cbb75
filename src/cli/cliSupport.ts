// What every `link-tracking` subcommand shares: exit codes, usage errors, opening the database.
import path from 'node:path';
import { CommanderError } from 'commander';
import { TrackingDatabase, type OpenOptions } from '../store/database';

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
  const database = await TrackingDatabase.open(file, wasmPath(), options);
  if (database.renamedAside) {
    process.stderr.write(
      `link-tracking: ${file} could not be opened (${database.renamedAsideReason}); ` +
        `it was kept as ${database.renamedAside} and a new database was started\n`,
    );
  }
  return database;
}
