// The "Import contacts" command: a contacts CSV into the directory.
import path from 'node:path';
import * as vscode from 'vscode';
import { importContactsFile, type ContactsImportResult } from '../store/contacts';
import { WAITING_FOR_DATABASE } from './importCommand';
import type { StoreService } from './storeService';

const SHOW_PROBLEMS = 'Show problems';

export function registerImportContactsCommand(
  context: vscode.ExtensionContext,
  store: StoreService,
  log: vscode.LogOutputChannel,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('linkTracking.importContacts', () =>
      importContacts(store, log),
    ),
  );
}

/** Asks for a CSV file and imports it; resolves to the result (undefined when none ran). */
async function importContacts(
  store: StoreService,
  log: vscode.LogOutputChannel,
): Promise<ContactsImportResult | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    canSelectFiles: true,
    canSelectFolders: false,
    openLabel: 'Import',
    title: 'Import contacts',
    filters: { 'Contacts (CSV)': ['csv', 'txt'], 'All files': ['*'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  const file = picked?.[0];
  if (!file) {
    return undefined;
  }
  const fileName = path.basename(file.fsPath);
  let result: ContactsImportResult;
  const abort = new AbortController();
  try {
    result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Importing contacts from ${fileName}`,
        cancellable: true,
      },
      (progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        return importContactsFile(store.database, file.fsPath, {
          signal: abort.signal,
          onWait: () => progress.report({ message: WAITING_FOR_DATABASE }),
        });
      },
    );
  } catch (error) {
    // Only the wait for the database can be cancelled: a later failure is reported as one.
    if (abort.signal.aborted && error === abort.signal.reason) {
      const message = `Import of ${fileName} was cancelled; nothing was imported.`;
      log.info(message);
      void vscode.window.showInformationMessage(message);
      return undefined;
    }
    const reason = error instanceof Error ? error.message : String(error);
    log.error(`Contacts import of ${file.fsPath} failed: ${reason}`);
    void vscode.window.showErrorMessage(`Could not import ${fileName}: ${reason}`);
    return undefined;
  }

  for (const problem of result.problems) {
    const line = `${file.fsPath}:${problem.line}:${problem.column} ${problem.message}`;
    if (problem.severity === 'error') {
      log.error(line);
    } else {
      log.warn(line);
    }
  }
  const summary = result.refused
    ? `${fileName} was not imported: ${result.problems[0]?.message ?? 'not a contacts list'}`
    : `Contacts from ${fileName}: ${result.added} added, ${result.updated} updated, ` +
      `${result.unchanged} unchanged` +
      (result.invalid > 0 ? `; ${result.invalid} rows not imported (see problems)` : '.');
  log.info(summary);
  if (!result.refused) {
    store.changed();
  }

  const show =
    result.refused || result.invalid > 0
      ? vscode.window.showWarningMessage(summary, SHOW_PROBLEMS)
      : vscode.window.showInformationMessage(summary);
  void Promise.resolve(show).then((choice) => {
    if (choice === SHOW_PROBLEMS) {
      log.show(true);
    }
  });
  return result;
}
