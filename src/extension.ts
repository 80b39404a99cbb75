// Composition root: activate() wires the parts together and owns their disposables.
import * as vscode from 'vscode';
import { registerImportCommand } from './vscode/importCommand';
import { registerImportCommand } from './vscode/importCommand';
import { StoreService } from './vscode/storeService';
import { registerTrackerCodeActions } from './vscode/trackerCodeActions';
import { registerTrackerValidation } from './vscode/trackerDiagnostics';
import { contactLookupFrom, registerTrackerHover } from './vscode/trackerHover';
import { registerTrackerSymbols } from './vscode/trackerSymbols';

/** What activate() returns: a small typed handle for integration tests. */
export interface ExtensionApi {
  store: StoreService;
}

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionApi> {
  const log = vscode.window.createOutputChannel('Email Link Tracking', { log: true });
  context.subscriptions.push(log);
  log.info(`Email Link Tracking ${context.extension.packageJSON.version} activated`);
  const store = await StoreService.open(context, log);
  registerImportCommand(context, store, log);
  registerImportCommand(context, store, log);
  const validation = registerTrackerValidation(context, log);
  registerTrackerCodeActions(context, validation);
  registerTrackerHover(context, validation, contactLookupFrom(store));
  registerTrackerSymbols(context, validation);

  return { store };
}

export function deactivate() {}
