// The extension's one database: opened at activation, shared by every view and command.
import { type FSWatcher, watch } from 'node:fs';
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
// The command line may import into this same file while VS Code runs (`link-tracking import
// --db <this file>`). Writes here take the same lock file and load a file saved elsewhere first
// (see TrackingDatabase.exclusive), and a watcher loads it as soon as it lands, for the views.
export class StoreService implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;

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
    const database = await TrackingDatabase.open(databaseFile, wasmPath, { lockWrites: true });

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
    database.onUnsavedReplaced = () => {
      const message =
        'The email tracking database was saved by another program (a command-line import) ' +
        'while an import made here had not been saved yet; it is no longer in the database. ' +
        'Import those tracker files again: clicks already imported are skipped.';
      log.warn(message);
      void vscode.window.showWarningMessage(message);
    };
    database.onLockLost = (error) =>
      log.warn(`The lock on ${databaseFile} was taken over while an import held it: ${error}`);
    service.watchFile(log);
    return service;
  }

  /** Loads the database file when another program saved it, and refreshes the views. */
  private watchFile(log: vscode.LogOutputChannel): void {
    const reload = () => {
      this.database.refresh().then(
        (reloaded) => {
          if (reloaded) {
            log.info(`Loaded ${this.databaseFile} again: another program saved it.`);
            this.changed();
          }
        },
        (error: Error) => log.warn(`Could not load ${this.databaseFile} again: ${error.message}`),
      );
    };
    try {
      // The folder, not the file: a save renames a new file over the old one.
      this.watcher = watch(path.dirname(this.databaseFile), (_event, name) => {
        if (name === path.basename(this.databaseFile)) {
          clearTimeout(this.reloadTimer);
          this.reloadTimer = setTimeout(reload, 200);
        }
      });
      this.watcher.on('error', (error) => log.warn(`Stopped watching the database: ${error}`));
    } catch (error) {
      // Writes still load a file saved elsewhere first; only the views wait for the next one.
      log.warn(`Cannot watch ${this.databaseFile} for saves by other programs: ${error}`);
    }
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
    this.watcher?.close();
    clearTimeout(this.reloadTimer);
    this.changeEmitter.dispose();
    this.database.close();
  }
}
