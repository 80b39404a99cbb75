// `link-tracking contacts import`: the contacts directory from the command line.
import type { Command } from 'commander';
import { importContactsFile, type ContactsImportResult } from '../store/contacts';
import type { Problem } from '../tracker/trackerEntry';
import { DatabaseSaveError, type TrackingDatabase } from '../store/database';
import { databaseFailure, EXIT_REFUSED, openDatabase, usageExit } from './cliSupport';

// Exit codes: 0 the import ran (bad rows included), 1 refused or failed, 2 wrong usage.

interface ContactsImportFlags {
  db: string;
  json?: boolean;
}

export function registerContactsCommands(program: Command): void {
  const contacts = program
    .command('contacts')
    .description('The contacts directory: names, email addresses and clients.')
    .exitOverride(usageExit);

  contacts
    .command('import')
    .description('Add and update contacts (by contact ID) from a CSV file; nothing is deleted.')
    .argument('<csv>', 'the contacts CSV (ContactID, Name or First/Last, Email, Client columns)')
    .requiredOption('--db <database-file>', 'the database file (created when missing)')
    .option('--json', 'print the result as one JSON object')
    .exitOverride(usageExit)
    .action(runContactsImport);
}

async function runContactsImport(csv: string, flags: ContactsImportFlags): Promise<void> {
  let database: TrackingDatabase;
  try {
    database = await openDatabase(flags.db);
  } catch (error) {
    databaseFailure(error, flags.json, { added: 0, updated: 0, unchanged: 0, invalid: 0 });
    return;
  }
  let result: ContactsImportResult;
  try {
    result = await importContactsFile(database, csv);
  } catch (error) {
    if (error instanceof DatabaseSaveError) {
      // The list was read; the database is what failed, and its file is as it was.
      databaseFailure(error, flags.json, { added: 0, updated: 0, unchanged: 0, invalid: 0 });
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    const problem: Problem = {
      line: 1,
      column: 1,
      severity: 'error',
      message: `cannot import: ${reason}`,
    };
    result = { added: 0, updated: 0, unchanged: 0, invalid: 0, refused: true, problems: [problem] };
  } finally {
    database.close();
  }

  if (flags.json) {
    const { added, updated, unchanged, invalid } = result;
    const problems = result.problems.map(({ line, column, severity, message }) => ({
      line,
      column,
      severity,
      message,
    }));
    process.stdout.write(`${JSON.stringify({ added, updated, unchanged, invalid, problems })}\n`);
  } else {
    for (const problem of result.problems) {
      process.stderr.write(
        `${csv}:${problem.line}:${problem.column} ${problem.severity} ${problem.message}\n`,
      );
    }
    if (result.refused) {
      process.stderr.write(`link-tracking: ${csv} was refused; no contacts were imported\n`);
    } else {
      process.stdout.write(
        `Contacts from ${csv}: ${result.added} added, ${result.updated} updated, ` +
          `${result.unchanged} unchanged, ${result.invalid} rows not imported\n`,
      );
    }
  }
  if (result.refused) {
    process.exitCode = EXIT_REFUSED;
  }
}
