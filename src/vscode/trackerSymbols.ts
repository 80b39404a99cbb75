// The outline of a tracker file: one symbol per entry, so the file can be navigated. A very
// large file is outlined by day instead: every symbol costs the editor time to send and draw,
// and tens of thousands of them freeze the extension host on each edit (VS Code's own JSON
// support caps its outline for the same reason).
import * as vscode from 'vscode';
import type { EntryInfo } from '../tracker/trackerValidator';
import type { EntryTable } from './trackerEntryTable';
import { TRACKER_DOCUMENT_SELECTOR } from './trackerDocuments';
import { toEditorRange, type TrackerValidation } from './trackerDiagnostics';

/** Above this many entries the outline lists days, not entries. */
export const MAX_ENTRY_SYMBOLS = 5000;

/** "ContactID · template · date time", with the date and time as an import reads them. */
export function entrySymbolName(entry: EntryInfo): string {
  return `${entry.contactId ?? '?'} · ${entry.template ?? '?'} · ${dateOf(entry)} ${timeOf(entry)}`;
}

function dateOf(entry: EntryInfo): string {
  return entry.date ?? entry.rawDate ?? '?';
}

function timeOf(entry: EntryInfo): string {
  return entry.time ?? entry.rawTime ?? '?';
}

function entrySymbol(entry: EntryInfo): vscode.DocumentSymbol {
  const range = toEditorRange(entry.start, entry.end);
  const kind = vscode.SymbolKind.Event;
  return new vscode.DocumentSymbol(
    entrySymbolName(entry),
    entry.linkName ?? '',
    kind,
    range,
    range,
  );
}

/** [first, last] entry index of each group: runs of one date (the server appends in time
 * order), or fixed-size blocks when the entries are not in date order. */
function groups(entries: EntryTable): [number, number][] {
  const runs: [number, number][] = [];
  let from = 0;
  let date = dateOf(entries.at(0));
  for (let i = 1; i < entries.length; i++) {
    const next = dateOf(entries.at(i));
    if (next !== date) {
      runs.push([from, i - 1]);
      from = i;
      date = next;
    }
  }
  runs.push([from, entries.length - 1]);
  if (runs.length <= MAX_ENTRY_SYMBOLS) {
    return runs;
  }
  const size = Math.ceil(entries.length / MAX_ENTRY_SYMBOLS);
  const blocks: [number, number][] = [];
  for (let first = 0; first < entries.length; first += size) {
    blocks.push([first, Math.min(first + size, entries.length) - 1]);
  }
  return blocks;
}

function groupSymbol(entries: EntryTable, [from, to]: [number, number]): vscode.DocumentSymbol {
  const first = entries.at(from);
  const last = entries.at(to);
  const count = `${to - from + 1} ${to === from ? 'entry' : 'entries'}`;
  const name =
    dateOf(first) === dateOf(last)
      ? `${dateOf(first)} · ${count}`
      : `${dateOf(first)} ${timeOf(first)} – ${dateOf(last)} ${timeOf(last)} · ${count}`;
  const range = toEditorRange(first.start, last.end);
  return new vscode.DocumentSymbol(name, '', vscode.SymbolKind.Namespace, range, range);
}

export class TrackerSymbols implements vscode.DocumentSymbolProvider {
  constructor(private readonly validation: TrackerValidation) {}

  async provideDocumentSymbols(document: vscode.TextDocument): Promise<vscode.DocumentSymbol[]> {
    const result = await this.validation.resultFor(document);
    if (!result || result.entries.length === 0) {
      return [];
    }
    if (result.entries.length <= MAX_ENTRY_SYMBOLS) {
      return result.entries.all().map(entrySymbol);
    }
    return groups(result.entries).map((group) => groupSymbol(result.entries, group));
  }
}

export function registerTrackerSymbols(
  context: vscode.ExtensionContext,
  validation: TrackerValidation,
): void {
  const provider = new TrackerSymbols(validation);
  const register = () =>
    vscode.languages.registerDocumentSymbolProvider(TRACKER_DOCUMENT_SELECTOR, provider, {
      label: 'Tracked clicks',
    });
  let registration = register();
  // VS Code keeps a document's outline until its text changes; registering anew makes it ask
  // again when a document it already outlined (as nothing) becomes a tracker file.
  context.subscriptions.push(
    validation.onDidMark(() => {
      registration.dispose();
      registration = register();
    }),
    { dispose: () => registration.dispose() },
  );
}
