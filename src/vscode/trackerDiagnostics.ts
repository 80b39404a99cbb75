// Problems and squiggles for tracker files, updated as the admin types and cleared on close.
// Keeps the last validation result per document version, which the quick fixes, the hover
// and the outline read.
import path from 'node:path';
import * as vscode from 'vscode';
import type { DateOrder, Position } from '../tracker/trackerEntry';
import type { TrackerDiagnostic } from '../tracker/trackerValidator';
import { TrackerDocuments } from './trackerDocuments';
import { TrackerValidationRunner, type ValidatedTracker } from './trackerValidationRunner';

/** `Diagnostic.source` of every tracker problem. */
export const DIAGNOSTIC_SOURCE = 'Email Link Tracking';

const TYPING_DELAY_MS = 300;

interface Validated {
  version: number;
  result: ValidatedTracker;
}

/** A 1-based validator position as a 0-based editor position. */
export function toEditorPosition(position: Position): vscode.Position {
  return new vscode.Position(Math.max(position.line - 1, 0), Math.max(position.column - 1, 0));
}

export function toEditorRange(start: Position, end: Position): vscode.Range {
  return new vscode.Range(toEditorPosition(start), toEditorPosition(end));
}

export class TrackerValidation implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('linkTracking');
  private readonly validated = new Map<string, Validated>();
  private readonly running = new Map<string, Promise<ValidatedTracker | undefined>>();
  private readonly runningVersion = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly runner: TrackerValidationRunner;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly validatedEmitter = new vscode.EventEmitter<vscode.Uri>();

  /** Fires after a document's diagnostics were updated. */
  readonly onDidValidate = this.validatedEmitter.event;

  private readonly markedEmitter = new vscode.EventEmitter<vscode.Uri>();

  /** Fires when the admin marks a document as a tracker file. */
  readonly onDidMark = this.markedEmitter.event;

  constructor(
    readonly documents: TrackerDocuments,
    extensionPath: string,
    private readonly log?: vscode.LogOutputChannel,
  ) {
    const workerScript = path.join(extensionPath, 'dist', 'trackerValidationWorker.js');
    this.runner = new TrackerValidationRunner({ workerScript });

    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0) {
          this.schedule(event.document, TYPING_DELAY_MS);
        }
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri)),
      vscode.window.tabGroups.onDidChangeTabs((event) => this.onTabsChanged(event)),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('linkTracking.import.dateOrder')) {
          this.validateAll();
        }
      }),
    );
    this.validateAll();
  }

  /** The result for the document's current text, validating now when it is stale. */
  async resultFor(document: vscode.TextDocument): Promise<ValidatedTracker | undefined> {
    if (this.documents.classify(document) === 'other') {
      return undefined;
    }
    const cached = this.validated.get(document.uri.toString());
    if (cached && cached.version === document.version) {
      return cached.result;
    }
    return this.validateNow(document);
  }

  /** Marks the document as a tracker file (remembered for the workspace) and validates it. */
  async markAsTracker(document: vscode.TextDocument): Promise<ValidatedTracker | undefined> {
    await this.documents.mark(document.uri);
    const result = await this.validateNow(document);
    this.markedEmitter.fire(document.uri);
    return result;
  }

  /** Validates at once, cancelling a pending delayed run; undefined if not a tracker file. */
  validateNow(document: vscode.TextDocument): Promise<ValidatedTracker | undefined> {
    this.cancelTimer(document.uri);
    const key = document.uri.toString();
    const running = this.running.get(key);
    if (running && this.runningVersion.get(key) === document.version) {
      return running;
    }
    const validation = this.run(document).finally(() => {
      if (this.running.get(key) === validation) {
        this.running.delete(key);
        this.runningVersion.delete(key);
      }
    });
    this.running.set(key, validation);
    this.runningVersion.set(key, document.version);
    return validation;
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (this.documents.classify(document) === 'other') {
      return;
    }
    this.cancelTimer(document.uri);
    const timer = setTimeout(() => {
      this.timers.delete(document.uri.toString());
      void this.validateNow(document);
    }, delay);
    this.timers.set(document.uri.toString(), timer);
  }

  private validateAll(): void {
    for (const document of vscode.workspace.textDocuments) {
      this.schedule(document, 0);
    }
  }

  private async run(document: vscode.TextDocument): Promise<ValidatedTracker | undefined> {
    const kind = this.documents.classify(document);
    if (kind === 'other') {
      return undefined;
    }
    const version = document.version;
    const key = document.uri.toString();
    const dateOrder = vscode.workspace
      .getConfiguration('linkTracking')
      .get<DateOrder>('import.dateOrder', 'dmy');

    let result: ValidatedTracker | undefined;
    try {
      result = await this.runner.validate({ key, text: document.getText(), dateOrder });
    } catch (error) {
      this.log?.error(`Validating ${document.uri.fsPath} failed: ${String(error)}`);
      return undefined;
    }

    // The text changed meanwhile, or the document was closed: a newer run will publish.
    if (!result || document.isClosed || document.version !== version) {
      return result;
    }
    if (kind === 'candidate' && !result.looksLikeTracker) {
      this.forget(document.uri);
      return undefined;
    }
    this.validated.set(key, { version, result });
    this.collection.set(
      document.uri,
      result.diagnostics.map((d) => toDiagnostic(document, d)),
    );
    this.validatedEmitter.fire(document.uri);
    return result;
  }

  private cancelTimer(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private forget(uri: vscode.Uri): void {
    this.cancelTimer(uri);
    this.validated.delete(uri.toString());
    this.collection.delete(uri);
  }

  /**
   * Closing the last tab of a document clears its problems at once (the document itself may
   * stay loaded for a while); opening a tab on such a still-loaded document, which fires no
   * open event, validates it again.
   */
  private onTabsChanged(event: vscode.TabChangeEvent): void {
    const shown = new Set<string>();
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        tabUris(tab).forEach((uri) => shown.add(uri.toString()));
      }
    }
    for (const uri of event.closed.flatMap(tabUris)) {
      if (!shown.has(uri.toString())) {
        this.forget(uri);
      }
    }
    for (const uri of event.opened.flatMap(tabUris)) {
      const key = uri.toString();
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (document && !this.validated.has(key)) {
        this.schedule(document, 0);
      }
    }
  }

  dispose(): void {
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
    this.timers.clear();
    this.runner.dispose();
    this.collection.dispose();
    this.validatedEmitter.dispose();
    this.markedEmitter.dispose();
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}

function tabUris(tab: vscode.Tab): vscode.Uri[] {
  if (tab.input instanceof vscode.TabInputText) {
    return [tab.input.uri];
  }
  if (tab.input instanceof vscode.TabInputTextDiff) {
    return [tab.input.original, tab.input.modified];
  }
  return [];
}

function toDiagnostic(
  document: vscode.TextDocument,
  problem: TrackerDiagnostic,
): vscode.Diagnostic {
  const severity =
    problem.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(
    toEditorRange(problem.start, problem.end),
    problem.message,
    severity,
  );
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = problem.code;
  if (problem.related) {
    const location = new vscode.Location(
      document.uri,
      toEditorRange(problem.related.start, problem.related.end),
    );
    diagnostic.relatedInformation = [
      new vscode.DiagnosticRelatedInformation(location, problem.related.message),
    ];
  }
  return diagnostic;
}

/** Creates the validation service and the "Validate as tracker file" command. */
export function registerTrackerValidation(
  context: vscode.ExtensionContext,
  log?: vscode.LogOutputChannel,
): TrackerValidation {
  const validation = new TrackerValidation(
    new TrackerDocuments(context.workspaceState),
    context.extensionPath,
    log,
  );
  context.subscriptions.push(
    validation,
    vscode.commands.registerCommand('linkTracking.validateAsTracker', (uri?: vscode.Uri) =>
      validateAsTracker(validation, uri),
    ),
  );
  return validation;
}

async function validateAsTracker(validation: TrackerValidation, uri?: vscode.Uri) {
  const document = uri
    ? await vscode.workspace.openTextDocument(uri)
    : vscode.window.activeTextEditor?.document;
  if (!document) {
    void vscode.window.showInformationMessage('Open a tracker file first, then validate it.');
    return undefined;
  }
  if (uri) {
    await vscode.window.showTextDocument(document, { preview: false });
  }
  const result = await validation.markAsTracker(document);
  const count = result?.diagnostics.length ?? 0;
  vscode.window.setStatusBarMessage(
    count === 0
      ? `${path.basename(document.fileName)}: no problems found`
      : `${path.basename(document.fileName)}: ${count} problem${count === 1 ? '' : 's'}`,
    5000,
  );
  return result;
}
