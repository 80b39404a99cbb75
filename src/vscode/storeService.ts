// The extension's one database: opened at activation, shared by every view and command.
import path from 'node:path';
import * as vscode from 'vscode';
import { TrackingDatabase } from '../store/database';
import { importTrackerFile, type ImportOptions, type ImportResult } from '../store/importer';

const DATABASE_FILE_NAME = 'tracking.sqlite';
const LAST_IMPORT_FOLDER_KEY = 'linkTracking.lastImportFolder';

/**
 * How other parts use the store:
 * - `database` is the open TrackingDatabase; read with `database.db` (sql.js).
 * - Anything that writes runs inside `database.exclusive(...)`, then calls `save()` and
 *   `changed()`.
 * - Views subscribe to `onDidChange` and refresh when it fires.
 */
// TODO: the database file is not watched. An import by the CLI into this same file while the
// extension runs is lost at the extension's next save; detecting it needs a file watcher and
// a reload (or a merge) that nothing does yet.
export class StoreService implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();

  /** Fires after the data changed (an import landed); views refresh on it. */
  readonly onDidChange: vscode.Event<void> = this.changeEmitter.event;

  private constructor(
    readonly database: TrackingDatabase,
    /** The database file on disk. */
    readonly databaseFile: string,
    private readonly memento: vscode.Memento,
    /** Reads large tracker files off the extension host's main thread. */
    private readonly readerWorker: string,
  ) {}

  /**
   * Opens (or creates) the database in the workspace storage folder, or the global storage
   * folder when no folder is open. Tells the user when an unreadable file was moved aside.
   */
  static async open(
    context: vscode.ExtensionContext,
    log: vscode.LogOutputChannel,
  ): Promise<StoreService> {
    const folder = (context.storageUri ?? context.globalStorageUri).fsPath;
    const databaseFile = path.join(folder, DATABASE_FILE_NAME);
    const wasmPath = path.join(context.extensionPath, 'dist', 'sql-wasm.wasm');
    const database = await TrackingDatabase.open(databaseFile, wasmPath);

    if (database.renamedAside) {
      const message =
        `The email tracking database could not be opened (${database.renamedAsideReason}). ` +
        `It was kept as ${database.renamedAside} and a new, empty database was started.`;
      log.warn(message);
      void vscode.window.showWarningMessage(message);
      await database.save();
    }
    log.info(`Database: ${databaseFile}`);

    const service = new StoreService(
      database,
      databaseFile,
      context.workspaceState,
      path.join(context.extensionPath, 'dist', 'trackerReadWorker.js'),
    );
    context.subscriptions.push(service);
    return service;
  }

  /** Imports a tracker file into the database (see importTrackerFile) and saves it. */
  importTracker(filePath: string, options: ImportOptions): Promise<ImportResult> {
    return importTrackerFile(this.database, filePath, {
      reader: { workerScript: this.readerWorker },
      ...options,
    });
  }

  /** Tells every subscriber that the data changed. */
  changed(): void {
    this.changeEmitter.fire();
  }

  /** Writes the database to its file atomically. */
  save(): Promise<void> {
    return this.database.save();
  }

  /** The folder the last tracker file was imported from, where the open dialog starts. */
  get lastImportFolder(): vscode.Uri | undefined {
    const stored = this.memento.get<string>(LAST_IMPORT_FOLDER_KEY);
    return stored ? vscode.Uri.parse(stored) : undefined;
  }

  async setLastImportFolder(folder: vscode.Uri): Promise<void> {
    await this.memento.update(LAST_IMPORT_FOLDER_KEY, folder.toString());
  }

  dispose(): void {
    this.changeEmitter.dispose();
    this.database.close();
  }
}
