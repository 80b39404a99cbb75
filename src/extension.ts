// Composition root: activate() wires the parts together and owns their disposables.
import * as vscode from 'vscode';
import { StoreService } from './vscode/storeService';

/** What activate() returns: a small typed handle for integration tests. */
export interface ExtensionApi {
  store: StoreService;
}

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionApi> {
  const log = vscode.window.createOutputChannel('Email Link Tracking', { log: true });
  context.subscriptions.push(log);
  log.info(`Email Link Tracking ${context.extension.packageJSON.version} activated`);
  const store = await StoreService.open(context, log);

  return { store };
}

export function deactivate() {}
