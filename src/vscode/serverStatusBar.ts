// The status bar item of the running link tracking server: its address and clicks since start.
import * as vscode from 'vscode';

export const SERVER_MENU_COMMAND = 'linkTracking.serverMenu';

export class ServerStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'linkTracking.server',
    vscode.StatusBarAlignment.Left,
  );

  constructor() {
    this.item.name = 'Link tracking server';
    this.item.command = SERVER_MENU_COMMAND;
  }

  show(address: string, file: string, clicks: number): void {
    const noun = clicks === 1 ? 'click' : 'clicks';
    this.item.text = `$(radio-tower) ${address} · ${clicks} ${noun}`;
    this.item.tooltip = new vscode.MarkdownString(
      `Link tracking server at \`${address}\`\n\n${clicks} ${noun} recorded since it started, ` +
        `in \`${file}\`\n\nClick for stop, copy URL, open tracker file, import now.`,
    );
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
