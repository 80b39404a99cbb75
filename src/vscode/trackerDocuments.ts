// Which open documents are tracker files and so get tracker validation.
// Only types come from 'vscode' here, so these rules run in plain Node unit tests too.
import type * as vscode from 'vscode';

/** How sure we are that a document is a tracker file before reading its content. */
export type TrackerDocumentKind = 'tracker' | 'candidate' | 'other';

/** The parts of a TextDocument these rules look at. */
export interface DocumentIdentity {
  uri: { scheme: string; toString(): string };
  fileName: string;
  languageId: string;
}

const MARKED_KEY = 'linkTracking.validateAsTracker.uris';

// Views of other versions (git diffs, output channels) must not get a second set of problems.
const EDITABLE_SCHEMES = ['file', 'untitled', 'vscode-remote', 'vscode-vfs'];

/**
 * Where the tracker providers apply: any language, since a file marked as a tracker file may
 * be plain text; `classify` decides per document within it.
 */
export const TRACKER_DOCUMENT_SELECTOR: vscode.DocumentSelector = EDITABLE_SCHEMES.map(
  (scheme) => ({ scheme }),
);

/** `Tracker_<RegName>.xml`, as the server names the file; RegName may contain spaces. */
export function isTrackerFileName(fileName: string): boolean {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return /^Tracker_.+\.xml$/i.test(base);
}

/** Any document that is XML by language or by extension. */
export function isXmlDocument(document: DocumentIdentity): boolean {
  return document.languageId === 'xml' || /\.xml$/i.test(document.fileName);
}

/**
 * Remembers the documents the admin marked with "Validate as tracker file" (per workspace)
 * and classifies documents: 'tracker' always gets diagnostics, 'candidate' only when its
 * root turns out to be a tracker root, 'other' is never validated.
 */
export class TrackerDocuments {
  constructor(private readonly state: vscode.Memento) {}

  classify(document: DocumentIdentity): TrackerDocumentKind {
    if (!EDITABLE_SCHEMES.includes(document.uri.scheme)) {
      return 'other';
    }
    if (this.isMarked(document.uri) || isTrackerFileName(document.fileName)) {
      return 'tracker';
    }
    return isXmlDocument(document) ? 'candidate' : 'other';
  }

  isMarked(uri: { toString(): string }): boolean {
    return this.markedUris().includes(uri.toString());
  }

  async mark(uri: { toString(): string }): Promise<void> {
    const key = uri.toString();
    const marked = this.markedUris();
    if (!marked.includes(key)) {
      await this.state.update(MARKED_KEY, [...marked, key]);
    }
  }

  private markedUris(): string[] {
    return this.state.get<string[]>(MARKED_KEY, []);
  }
}
