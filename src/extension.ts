// Composition root: activate() wires the parts together and owns their disposables.
import * as vscode from 'vscode';

export async function activate(context: vscode.ExtensionContext) {
  const log = vscode.window.createOutputChannel('Email Link Tracking', { log: true });
  context.subscriptions.push(log);
  log.info(`Email Link Tracking ${context.extension.packageJSON.version} activated`);
}

export function deactivate() {}
