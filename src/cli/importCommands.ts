// `link-tracking import` and `link-tracking clicks`: the store from the command line.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { listClicks } from '../store/clickQueries';
import { DatabaseSaveError, type TrackingDatabase } from '../store/database';
import { importSummary, importTrackerFile, type ImportResult } from '../store/importer';
import { PrefixHasher } from '../store/prefixHash';
import type { DateOrder, Problem } from '../tracker/trackerEntry';
import {
  databaseFailure,
  EXIT_REFUSED,
  lockForWriting,
  openDatabase,
  openLockedDatabase,
  readerWorkerPath,
  usageExit,
} from './cliSupport';

/** Exit codes: 0 the import ran, 1 refused or failed, 2 wrong usage. */

interface ImportFlags {
  db: string;
  dateOrder: DateOrder;
  json?: boolean;
}

interface ClicksFlags {
  db: string;
  contact?: string;
  json?: boolean;
}

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description('Import a tracker file into a database, skipping clicks imported before.')
    .argument('<tracker-file>', 'the tracker XML file, e.g. "Tracker_ABC Ltd.xml"')
    .requiredOption('--db <database-file>', 'the database file (created when missing)')
    .addOption(
      new Option('--date-order <order>', 'how to read numeric dates such as 03/04/2026')
        .choices(['dmy', 'mdy'])
        .default('dmy'),
    )
    .option('--json', 'print the result as one JSON object')
    .exitOverride(usageExit)
    .action(runImport);

  program
    .command('clicks')
    .description('List imported clicks ordered by date, time and contact ID.')
    .requiredOption('--db <database-file>', 'the database file')
    .option('--contact <id>', 'only the clicks of this contact ID')
    .option('--json', 'print a JSON array')
    .exitOverride(usageExit)
    .action(runClicks);
}

async function runImport(trackerFile: string, flags: ImportFlags): Promise<void> {
  let database: TrackingDatabase | undefined;
  let prefixHasher: PrefixHasher | undefined;
  try {
    await lockForWriting(flags.db);
    // Once the lock is held (another import may keep it for minutes, while the file changes),
    // the file is hashed while the database loads (see prefixHash.ts). A file that cannot be
    // opened is left for the import to report.
    prefixHasher = await PrefixHasher.start(trackerFile).catch(() => undefined);
    database = await openLockedDatabase(flags.db);
  } catch (error) {
    await prefixHasher?.close();
    databaseFailure(error, flags.json, { added: 0, duplicates: 0, invalid: 0 });
    return;
  }
  let result: ImportResult | undefined;
  let failure: Problem | undefined;
  let unsaved: DatabaseSaveError | undefined;
  try {
    result = await importTrackerFile(database, trackerFile, {
      dateOrder: flags.dateOrder,
      onProgress: process.stderr.isTTY ? progressPrinter(trackerFile) : undefined,
      reader: { workerScript: readerWorkerPath() },
      prefixHasher,
    });
  } catch (error) {
    if (error instanceof DatabaseSaveError) {
      // The tracker file was read; the database is what failed, and its file is as it was.
      unsaved = error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    failure = { line: 1, column: 1, severity: 'error', message: `cannot import: ${reason}` };
  } finally {
    database.close();
    if (process.stderr.isTTY) {
      process.stderr.write('\r\x1b[K');
    }
  }

  if (unsaved) {
    databaseFailure(unsaved, flags.json, { added: 0, duplicates: 0, invalid: 0 });
    return;
  }
  const refused = failure ?? result?.refused;
  const problems = refused ? [refused] : (result?.problems ?? []);
  if (flags.json) {
    const output = {
      added: refused ? 0 : (result?.added ?? 0),
      duplicates: refused ? 0 : (result?.duplicates ?? 0),
      // A refused file imports nothing: no count of it means anything, and none is listed.
      invalid: refused ? 0 : (result?.invalid ?? 0),
      problems: problems.map(({ line, column, severity, message }) => ({
        line,
        column,
        severity,
        message,
      })),
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } else if (refused) {
    process.stderr.write(`${formatProblem(trackerFile, refused)}\n`);
    process.stderr.write(`link-tracking: ${trackerFile} was refused; nothing was imported\n`);
  } else if (result) {
    process.stdout.write(`${importSummary(result)}\n`);
    for (const problem of problems) {
      process.stdout.write(`${formatProblem(trackerFile, problem)}\n`);
    }
  }
  if (refused) {
    process.exitCode = EXIT_REFUSED;
  }
}

async function runClicks(flags: ClicksFlags): Promise<void> {
  const exists = await access(flags.db).then(
    () => true,
    () => false,
  );
  if (!exists) {
    process.stderr.write(`link-tracking: no database at ${flags.db}\n`);
    process.exitCode = EXIT_REFUSED;
    return;
  }
  const database = await openDatabase(flags.db, { readOnly: true });
  try {
    const clicks = listClicks(database.db, { contactId: flags.contact });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(clicks)}\n`);
      return;
    }
    for (const click of clicks) {
      const fields = [click.date, click.time, click.contactId, click.template, click.linkName];
      process.stdout.write(`${fields.join('\t')}\n`);
    }
  } finally {
    database.close();
  }
}

function formatProblem(file: string, problem: Problem): string {
  return `${file}:${problem.line}:${problem.column} ${problem.severity} ${problem.message}`;
}

/** Rewrites one stderr line with the percentage read (only used on a terminal). */
function progressPrinter(file: string): (bytesRead: number, totalBytes: number) => void {
  let shown = -1;
  return (bytesRead, totalBytes) => {
    const percent = totalBytes > 0 ? Math.floor((100 * bytesRead) / totalBytes) : 100;
    if (percent !== shown) {
      shown = percent;
      process.stderr.write(`\rReading ${path.basename(file)}: ${percent}%`);
    }
  };
}
