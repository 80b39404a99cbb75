// Start and stop the local link tracking server, and its status bar menu.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PortInUseError, startRedirectServer, type RunningServer } from '../server/redirectServer';
import { TrackerAppender, trackerFileName } from '../server/trackerAppender';
import { importSummary } from '../store/importer';
import type { DateOrder } from '../tracker/trackerEntry';
import { SERVER_MENU_COMMAND, ServerStatusBar } from './serverStatusBar';
import type { SigningKeyStore } from './signingKeyStore';
import type { StoreService } from './storeService';

/** What the start command resolves to (also handy for tests and other commands). */
export interface ServerInfo {
  url: string;
  host: string;
  port: number;
  file: string;
}

interface Running {
  server: RunningServer;
  appender: TrackerAppender;
  info: ServerInfo;
  clicks: number;
}

export class LinkTrackingServer implements vscode.Disposable {
  private running: Running | undefined;
  private starting: Promise<ServerInfo | undefined> | undefined;
  private readonly statusBar = new ServerStatusBar();

  constructor(
    private readonly keys: SigningKeyStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get info(): ServerInfo | undefined {
    return this.running?.info;
  }

  /** Starts the server from the settings; undefined when the user cancelled or it failed. */
  start(): Promise<ServerInfo | undefined> {
    if (this.running) {
      void vscode.window.showInformationMessage(
        `The link tracking server is already running at ${this.running.info.url}.`,
      );
      return Promise.resolve(this.running.info);
    }
    this.starting ??= this.startFromSettings().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) {
      return;
    }
    this.running = undefined;
    this.statusBar.hide();
    await running.server.close();
    await running.appender.close();
    this.log.info(`Link tracking server stopped; ${running.clicks} clicks recorded`);
  }

  dispose(): void {
    // Stops accepting at once; clicks already acknowledged are on disk, in-flight ones finish.
    void this.stop();
    this.statusBar.dispose();
  }

  private async startFromSettings(): Promise<ServerInfo | undefined> {
    const config = vscode.workspace.getConfiguration('linkTracking');
    const regName = await this.regName(config);
    if (!regName) {
      return undefined;
    }
    const workspaceFolder = firstWorkspaceFolder();
    const setting = config.get<string>('trackerFolder');
    // A relative folder in the setting is taken from the workspace folder, not VS Code's cwd.
    const folder =
      setting && workspaceFolder
        ? path.resolve(workspaceFolder, setting)
        : setting || workspaceFolder;
    if (!folder) {
      void vscode.window.showErrorMessage(
        'Open a folder or set "linkTracking.trackerFolder": the server needs a folder for the ' +
          'tracker file.',
      );
      return undefined;
    }
    const file = path.join(folder, trackerFileName(regName));
    const host = config.get<string>('server.host') || '127.0.0.1';
    const port = config.get<number>('server.port') ?? 8787;
    const utc = config.get<boolean>('server.utc') ?? false;

    let appender: TrackerAppender;
    try {
      appender = await TrackerAppender.open({ file, regName, log: (line) => this.log.warn(line) });
    } catch (error) {
      return this.fail(`The tracker file cannot be used: ${(error as Error).message}`);
    }
    try {
      const key = await this.keys.get();
      const server = await startRedirectServer({
        key,
        appender,
        host,
        port,
        utc,
        log: (line) => this.log.info(line),
        onClick: () => this.counted(),
      });
      const info = { url: server.url, host: server.host, port: server.port, file };
      this.running = { server, appender, info, clicks: 0 };
      this.statusBar.show(`${server.host}:${server.port}`, file, 0);
      this.log.info(`Link tracking server listening on ${server.url}, recording in ${file}`);
      return info;
    } catch (error) {
      await appender.close();
      if (error instanceof PortInUseError) {
        return this.fail(
          `Cannot start the link tracking server: port ${port} on ${host} is already in use. ` +
            'Stop the program using it or change "linkTracking.server.port".',
        );
      }
      return this.fail(`Cannot start the link tracking server: ${(error as Error).message}`);
    }
  }

  private counted(): void {
    if (this.running) {
      this.running.clicks++;
      const { info, clicks } = this.running;
      this.statusBar.show(`${info.host}:${info.port}`, info.file, clicks);
    }
  }

  private fail(message: string): undefined {
    this.log.error(message);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }

  /** The Reg Name setting, or asks for it and offers to save it. */
  private async regName(config: vscode.WorkspaceConfiguration): Promise<string | undefined> {
    const configured = config.get<string>('regName')?.trim();
    if (configured) {
      return configured;
    }
    const entered = await vscode.window.showInputBox({
      title: 'Start link tracking server',
      prompt: 'Reg Name: the licensed company name. Clicks are written to Tracker_<Reg Name>.xml.',
      placeHolder: 'ABC Ltd',
      ignoreFocusOut: true,
      validateInput: (value) => {
        try {
          trackerFileName(value);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
    const regName = entered?.trim();
    if (regName) {
      const save = await vscode.window.showInformationMessage(
        `Save "${regName}" as the Reg Name setting?`,
        'Save',
        'Not now',
      );
      if (save === 'Save') {
        const target = vscode.workspace.workspaceFolders
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
        await config.update('regName', regName, target);
      }
    }
    return regName;
  }
}

export function registerServerCommands(
  context: vscode.ExtensionContext,
  store: StoreService,
  keys: SigningKeyStore,
  log: vscode.LogOutputChannel,
): LinkTrackingServer {
  const server = new LinkTrackingServer(keys, log);
  context.subscriptions.push(
    server,
    vscode.commands.registerCommand('linkTracking.startServer', () => server.start()),
    vscode.commands.registerCommand('linkTracking.stopServer', () => server.stop()),
    vscode.commands.registerCommand(SERVER_MENU_COMMAND, () => showServerMenu(server, store, log)),
  );
  return server;
}

async function showServerMenu(
  server: LinkTrackingServer,
  store: StoreService,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const info = server.info;
  if (!info) {
    return;
  }
  const actions = {
    stop: '$(debug-stop) Stop server',
    copy: '$(copy) Copy URL',
    open: '$(go-to-file) Open tracker file',
    import: '$(cloud-download) Import now',
  };
  const picked = await vscode.window.showQuickPick(Object.values(actions), {
    title: `Link tracking server at ${info.url}`,
  });
  switch (picked) {
    case actions.stop:
      await server.stop();
      break;
    case actions.copy:
      await vscode.env.clipboard.writeText(info.url);
      void vscode.window.showInformationMessage(`Copied ${info.url}`);
      break;
    case actions.open:
      await vscode.window.showTextDocument(vscode.Uri.file(info.file));
      break;
    case actions.import:
      await importServerFile(info.file, store, log);
      break;
  }
}

/** Imports the server's own tracker file, without asking which file. */
async function importServerFile(
  file: string,
  store: StoreService,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const dateOrder = vscode.workspace
    .getConfiguration('linkTracking')
    .get<DateOrder>('import.dateOrder', 'dmy');
  try {
    const result = await store.importTracker(file, { dateOrder });
    if (result.refused) {
      const { line, column, message } = result.refused;
      throw new Error(`line ${line}, column ${column}: ${message}`);
    }
    store.changed();
    const summary = importSummary(result);
    log.info(`${summary} (${file})`);
    void vscode.window.showInformationMessage(summary);
  } catch (error) {
    const message = `Could not import ${file}: ${(error as Error).message}. Nothing was imported.`;
    log.error(message);
    void vscode.window.showErrorMessage(message);
  }
}

function firstWorkspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}
