// The "Import email tracking" command and the import history.
import path from 'node:path';
import * as vscode from 'vscode';
import { listImports } from '../store/clickQueries';
import { DatabaseSaveError } from '../store/database';
import { ImportCancelledError, importSummary, type ImportResult } from '../store/importer';
import type { DateOrder, Problem } from '../tracker/trackerEntry';
import type { StoreService } from './storeService';

const SHOW_PROBLEMS = 'Show problems';
/** Shown while a command-line import holds the database (the wait ends after 30 s). */
export const WAITING_FOR_DATABASE =
  'waiting for another program (a link-tracking import) to finish writing the database…';

export function registerImportCommand(
  context: vscode.ExtensionContext,
  store: StoreService,
  log: vscode.LogOutputChannel,
): void {
  context.subscriptions.push(
    // Context-menu invocations pass the contact or client item: the import ignores it.
    vscode.commands.registerCommand('linkTracking.importEmailTracking', () =>
      importEmailTracking(store, log),
    ),
    vscode.commands.registerCommand('linkTracking.showImportHistory', () =>
      showImportHistory(store),
    ),
  );
}

/** Asks for a tracker file and imports it; resolves to the result (undefined if none ran). */
async function importEmailTracking(
  store: StoreService,
  log: vscode.LogOutputChannel,
): Promise<ImportResult | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    canSelectFiles: true,
    canSelectFolders: false,
    openLabel: 'Import',
    title: 'Import email tracking',
    filters: { 'Tracker files': ['xml'], 'All files': ['*'] },
    defaultUri: store.lastImportFolder ?? vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  const file = picked?.[0];
  if (!file) {
    return undefined;
  }
  await store.setLastImportFolder(vscode.Uri.file(path.dirname(file.fsPath)));

  const fileName = path.basename(file.fsPath);
  const dateOrder = vscode.workspace
    .getConfiguration('linkTracking')
    .get<DateOrder>('import.dateOrder', 'dmy');
  try {
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Importing ${fileName}`,
        cancellable: true,
      },
      (progress, token) => runImport(store, file.fsPath, dateOrder, progress, token),
    );
    report(result, file.fsPath, log);
    if (!result.refused) {
      store.changed();
    }
    return result;
  } catch (error) {
    if (error instanceof ImportCancelledError) {
      log.info(error.message);
      void vscode.window.showInformationMessage(error.message);
      return undefined;
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof DatabaseSaveError) {
      // The import itself landed (it is in memory and the views show it); only the file lags.
      store.changed();
      log.error(`Imported ${file.fsPath}, but ${reason}`);
      void vscode.window.showErrorMessage(
        `Imported ${fileName}, but ${reason}. ` +
          'It is written the next time the database is saved.',
      );
      return undefined;
    }
    log.error(`Import of ${file.fsPath} failed: ${reason}`);
    void vscode.window.showErrorMessage(
      `Could not import ${fileName}: ${reason}. Nothing was imported.`,
    );
    return undefined;
  }
}

function runImport(
  store: StoreService,
  filePath: string,
  dateOrder: DateOrder,
  progress: vscode.Progress<{ message?: string; increment?: number }>,
  token: vscode.CancellationToken,
): Promise<ImportResult> {
  const abort = new AbortController();
  const subscription = token.onCancellationRequested(() => abort.abort());
  if (token.isCancellationRequested) {
    abort.abort();
  }

  let reported = 0;
  const onProgress = (bytesRead: number, totalBytes: number) => {
    const percent = totalBytes > 0 ? Math.floor((100 * bytesRead) / totalBytes) : 100;
    if (percent > reported) {
      progress.report({ increment: percent - reported, message: `${percent}%` });
      reported = percent;
    }
  };
  return store
    .importTracker(filePath, {
      dateOrder,
      signal: abort.signal,
      onProgress,
      onWaitForDatabase: () => progress.report({ message: WAITING_FOR_DATABASE }),
    })
    .finally(() => subscription.dispose());
}

/** Logs the import and its problems, and tells the user how it went. */
function report(result: ImportResult, filePath: string, log: vscode.LogOutputChannel): void {
  if (result.refused) {
    logProblem(log, filePath, result.refused);
    const { line, column, message } = result.refused;
    void vscode.window
      .showErrorMessage(
        `Could not import ${result.fileName}: line ${line}, column ${column}: ${message}. ` +
          'Nothing was imported.',
        SHOW_PROBLEMS,
      )
      .then((choice) => choice === SHOW_PROBLEMS && log.show());
    return;
  }

  const summary = importSummary(result);
  log.info(`${summary} (${filePath}${result.incremental ? ', new part only' : ''})`);
  for (const problem of result.problems) {
    logProblem(log, filePath, problem);
  }
  const actions = result.problems.length > 0 ? [SHOW_PROBLEMS] : [];
  void vscode.window
    .showInformationMessage(summary, ...actions)
    .then((choice) => choice === SHOW_PROBLEMS && log.show());
}

function logProblem(log: vscode.LogOutputChannel, filePath: string, problem: Problem): void {
  const text = `${filePath}:${problem.line}:${problem.column} ${problem.message}`;
  if (problem.severity === 'error') {
    log.error(text);
  } else {
    log.warn(text);
  }
}

async function showImportHistory(store: StoreService): Promise<void> {
  const imports = listImports(store.database.db);
  if (imports.length === 0) {
    void vscode.window.showInformationMessage('No tracker file has been imported yet.');
    return;
  }
  await vscode.window.showQuickPick(
    imports.map((record) => ({
      label: path.basename(record.filePath),
      description:
        `${record.added} added, ${record.duplicates} already imported, ` +
        `${record.invalid} invalid`,
      detail: `${new Date(record.importedAt).toLocaleString()} · ${record.filePath}`,
    })),
    { title: 'Import history', placeHolder: 'Past imports, newest first' },
  );
}
