// Composition root: activate() wires the parts together and owns their disposables.
import * as vscode from 'vscode';
import { registerClientsTree } from './vscode/clientsTree';
import { registerContactsTree } from './vscode/contactsTree';
import { registerFindCommands } from './vscode/findCommands';
import { registerImportCommand } from './vscode/importCommand';
import { registerImportContactsCommand } from './vscode/importContactsCommand';
import { registerLinkCommands } from './vscode/linkCommands';
import { registerServerCommands } from './vscode/serverCommands';
import { SigningKeyStore } from './vscode/signingKeyStore';
import { StoreService } from './vscode/storeService';
import { registerTrackerCodeActions } from './vscode/trackerCodeActions';
import { registerTrackerValidation } from './vscode/trackerDiagnostics';
import { contactLookupFrom, registerTrackerHover } from './vscode/trackerHover';
import { registerTrackedEmailsPanel } from './vscode/trackedEmailsPanel';
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
  registerImportContactsCommand(context, store, log);
  const contactsTree = registerContactsTree(context, store);
  const clientsTree = registerClientsTree(context, store);
  registerFindCommands(context, store, contactsTree, clientsTree);
  registerTrackedEmailsPanel(context, store, log);
  const validation = registerTrackerValidation(context, log);
  registerTrackerCodeActions(context, validation);
  registerTrackerHover(context, validation, contactLookupFrom(store));
  registerTrackerSymbols(context, validation);
  const signingKeys = new SigningKeyStore(context.secrets, log);
  registerServerCommands(context, store, signingKeys, log);
  registerLinkCommands(context, store, signingKeys, log);

  return { store };
}

export function deactivate() {}
