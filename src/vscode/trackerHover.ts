// Hover on a tracker entry: who the contact is (from the contacts directory) and the date and
// time exactly as an import would store them.
import * as vscode from 'vscode';
import type { EntryInfo } from '../tracker/trackerValidator';
import type { TrackingDatabase } from '../store/database';
import { TRACKER_DOCUMENT_SELECTOR } from './trackerDocuments';
import { toEditorRange, type TrackerValidation } from './trackerDiagnostics';

export interface DirectoryContact {
  name: string;
  email: string;
  client: string;
}

/** Finds a contact in the directory by ID; undefined when the directory does not know it. */
export type ContactLookup = (contactId: string) => DirectoryContact | undefined;

/** A lookup over the contacts table of the extension's database (StoreService). */
export function contactLookupFrom(store: { readonly database: TrackingDatabase }): ContactLookup {
  return (contactId) => {
    const database = store.database;
    const statement = database.db.prepare(
      'SELECT name, email, client FROM contacts WHERE contact_id = ?',
    );
    try {
      statement.bind([contactId]);
      if (!statement.step()) {
        return undefined;
      }
      const row = statement.getAsObject();
      return { name: text(row.name), email: text(row.email), client: text(row.client) };
    } finally {
      statement.free();
    }
  };
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

/** The hover text for one entry. */
export function describeEntry(entry: EntryInfo, contact: DirectoryContact | undefined): string {
  const lines: string[] = [];
  const id = entry.contactId ?? '(no contact ID)';
  if (contact) {
    const email = contact.email ? ` <${contact.email}>` : '';
    const client = contact.client ? ` · ${contact.client}` : '';
    lines.push(`**${md(contact.name || `Contact ${id}`)}**${md(email)}${md(client)}`);
    lines.push(`Contact ID ${md(id)}`);
  } else {
    lines.push(
      `**Contact ${md(id)}**`,
      'Not in the contacts directory (import contacts to name it).',
    );
  }
  lines.push(
    `Email template: ${md(entry.template ?? '(missing)')}`,
    `Link name: ${md(entry.linkName ?? '(missing)')}`,
  );
  lines.push(importLine(entry));
  return lines.join('  \n');
}

/** The date and time an import stores, or that it skips the entry (the problems say why). */
function importLine(entry: EntryInfo): string {
  const written = [entry.rawDate, entry.rawTime].filter((v) => v !== undefined).join(' ');
  const shown = written ? ` (written as ${quote(written)})` : '';
  if (entry.date === undefined || entry.time === undefined) {
    return `**An import skips this entry**${shown}`;
  }
  const canonical = `${entry.date} ${entry.time}`;
  return `Import reads: **${md(canonical)}**${written === canonical ? '' : shown}`;
}

function quote(value: string | undefined): string {
  return value === undefined ? '(missing)' : `"${md(value)}"`;
}

/** Escapes Markdown so values from the file show as typed (no value starts a line). */
function md(value: string): string {
  return value.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`);
}

export class TrackerHover implements vscode.HoverProvider {
  constructor(
    private readonly validation: TrackerValidation,
    private readonly lookup: ContactLookup,
  ) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
  ): Promise<vscode.Hover | undefined> {
    const result = await this.validation.resultFor(document);
    const entry = result?.entries.find(position.line + 1, position.character + 1);
    if (!entry) {
      return undefined;
    }
    const contact = entry.contactId === undefined ? undefined : this.findContact(entry.contactId);
    return new vscode.Hover(
      new vscode.MarkdownString(describeEntry(entry, contact)),
      toEditorRange(entry.start, entry.end),
    );
  }

  private findContact(contactId: string): DirectoryContact | undefined {
    try {
      return this.lookup(contactId);
    } catch {
      // The directory is a nicety here: the entry's own details still show without it.
      return undefined;
    }
  }
}

export function registerTrackerHover(
  context: vscode.ExtensionContext,
  validation: TrackerValidation,
  lookup: ContactLookup,
): void {
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(
      TRACKER_DOCUMENT_SELECTOR,
      new TrackerHover(validation, lookup),
    ),
  );
}
