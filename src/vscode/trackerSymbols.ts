// The outline of a tracker file: one symbol per entry, so a large file can be navigated.
import * as vscode from 'vscode';
import type { EntryInfo } from '../tracker/trackerValidator';
import { TRACKER_DOCUMENT_SELECTOR } from './trackerDocuments';
import { toEditorRange, type TrackerValidation } from './trackerDiagnostics';

/** "ContactID · template · date time", with the date and time as an import reads them. */
export function entrySymbolName(entry: EntryInfo): string {
  const date = entry.date ?? entry.rawDate ?? '?';
  const time = entry.time ?? entry.rawTime ?? '?';
  return `${entry.contactId ?? '?'} · ${entry.template ?? '?'} · ${date} ${time}`;
}

export class TrackerSymbols implements vscode.DocumentSymbolProvider {
  constructor(private readonly validation: TrackerValidation) {}

  async provideDocumentSymbols(document: vscode.TextDocument): Promise<vscode.DocumentSymbol[]> {
    const result = await this.validation.resultFor(document);
    return (result?.entries.all() ?? []).map((entry) => {
      const range = toEditorRange(entry.start, entry.end);
      return new vscode.DocumentSymbol(
        entrySymbolName(entry),
        entry.linkName ?? '',
        vscode.SymbolKind.Event,
        range,
        range,
      );
    });
  }
}

export function registerTrackerSymbols(
  context: vscode.ExtensionContext,
  validation: TrackerValidation,
): void {
  context.subscriptions.push(
    vscode.languages.registerDocumentSymbolProvider(
      TRACKER_DOCUMENT_SELECTOR,
      new TrackerSymbols(validation),
      { label: 'Tracked clicks' },
    ),
  );
}
