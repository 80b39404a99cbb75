// The Tracked Emails webview: one panel per contact (or client), reused when shown again.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  isOpenableLink,
  NO_CLIENT_LABEL,
  trackedEmailsTable,
  type TrackedEmailRow,
  type TrackedEmailsColumn,
  type TrackedEmailsScope,
} from '../store/treeQueries';
import {
  ContactListingCache,
  SHOW_TRACKED_EMAILS_COMMAND,
  type ClientNode,
  type ContactNode,
} from './contactsTree';
import type { StoreService } from './storeService';

/** Rows per page of the table. */
const TABLE_PAGE_SIZE = 500;
const MAX_FILTER_LENGTH = 500;
const COLUMNS: readonly TrackedEmailsColumn[] = ['template', 'date', 'link', 'email'];

/** Whose tracked emails a panel shows. */
export type TrackedEmailsSubject =
  { kind: 'contact'; contactId: string } | { kind: 'client'; client: string };

// Messages from the page. Everything in them is checked: the page is not trusted.
interface QueryMessage {
  type: 'query';
  requestId: number;
  sort: TrackedEmailsColumn;
  descending: boolean;
  filter: string;
  offset: number;
}

interface OpenLinkMessage {
  type: 'openLink';
  link: string;
}

// Messages to the page.
export interface RowsMessage {
  type: 'rows';
  requestId: number;
  heading: string;
  rows: { template: string; date: string; link: string; email: string; name: string }[];
  total: number;
  offset: number;
  pageSize: number;
}

interface DataChangedMessage {
  type: 'dataChanged';
}

function parseQuery(message: Record<string, unknown>): QueryMessage | undefined {
  const { requestId, sort, descending, filter, offset } = message;
  const valid =
    Number.isSafeInteger(requestId) &&
    COLUMNS.includes(sort as TrackedEmailsColumn) &&
    typeof descending === 'boolean' &&
    typeof filter === 'string' &&
    filter.length <= MAX_FILTER_LENGTH &&
    Number.isSafeInteger(offset) &&
    (offset as number) >= 0;
  return valid ? (message as unknown as QueryMessage) : undefined;
}

function subjectKey(subject: TrackedEmailsSubject): string {
  return subject.kind === 'contact' ? `contact:${subject.contactId}` : `client:${subject.client}`;
}

export class TrackedEmailsPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, TrackedEmailsPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  static createOrShow(
    extensionUri: vscode.Uri,
    store: StoreService,
    log: vscode.LogOutputChannel,
    subject: TrackedEmailsSubject,
  ): TrackedEmailsPanel {
    const key = subjectKey(subject);
    const existing = TrackedEmailsPanel.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(
      'linkTracking.trackedEmails',
      'Tracked Emails',
      vscode.ViewColumn.Active,
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false },
    );
    const created = new TrackedEmailsPanel(panel, media, store, log, subject, key);
    TrackedEmailsPanel.panels.set(key, created);
    return created;
  }

  /** The open panels, for the integration tests. */
  static openPanels(): readonly TrackedEmailsPanel[] {
    return [...TrackedEmailsPanel.panels.values()];
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly media: vscode.Uri,
    private readonly store: StoreService,
    private readonly log: vscode.LogOutputChannel,
    readonly subject: TrackedEmailsSubject,
    private readonly key: string,
  ) {
    panel.title = `Tracked Emails — ${this.subjectName()}`;
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      // Data changed or Refresh: both invalidate the listing, and the page asks again.
      ContactListingCache.of(store).onDidInvalidate(() => {
        panel.title = `Tracked Emails — ${this.subjectName()}`;
        void this.post({ type: 'dataChanged' });
      }),
    );
  }

  private subjectName(): string {
    const listing = ContactListingCache.of(this.store);
    if (this.subject.kind === 'client') {
      return this.subject.client === '' ? NO_CLIENT_LABEL : this.subject.client;
    }
    const contactId = this.subject.contactId;
    return (
      listing.contacts().find((c) => c.contactId === contactId)?.label ?? `Contact ${contactId}`
    );
  }

  private scope(): TrackedEmailsScope {
    if (this.subject.kind === 'contact') {
      return { kind: 'contact', contactId: this.subject.contactId };
    }
    const client = this.subject.client;
    const members = ContactListingCache.of(this.store)
      .clients()
      .find((c) => c.client === client);
    return { kind: 'client', client, contactIds: members?.contacts.map((c) => c.contactId) ?? [] };
  }

  private heading(rows: TrackedEmailRow[]): string {
    const name = this.subjectName();
    if (this.subject.kind === 'client') {
      return `Tracked emails of the contacts of ${name}`;
    }
    const email = rows[0]?.email;
    return email ? `Tracked emails of ${name} <${email}>` : `Tracked emails of ${name}`;
  }

  private receive(message: unknown): void {
    if (typeof message !== 'object' || message === null) {
      return;
    }
    const record = message as Record<string, unknown>;
    if (record.type === 'query') {
      const query = parseQuery(record);
      if (query) {
        void this.answer(query);
      }
    } else if (record.type === 'openLink' && typeof record.link === 'string') {
      void this.openLink({ type: 'openLink', link: record.link });
    }
  }

  private async answer(query: QueryMessage): Promise<void> {
    const table = trackedEmailsTable(this.store.database, this.scope(), {
      sort: query.sort,
      descending: query.descending,
      filter: query.filter,
      offset: query.offset,
      limit: TABLE_PAGE_SIZE,
    });
    await this.post({
      type: 'rows',
      requestId: query.requestId,
      heading: this.heading(table.rows),
      rows: table.rows.map((row) => ({
        template: row.template,
        date: `${row.date} ${row.time}`,
        link: row.linkName,
        email: row.email,
        name: row.name,
      })),
      total: table.total,
      offset: query.offset,
      pageSize: TABLE_PAGE_SIZE,
    });
  }

  private async openLink(message: OpenLinkMessage): Promise<void> {
    // Checked here, not only in the page: only a web link that really is one of these tracked
    // emails is opened.
    if (!isOpenableLink(this.store.database, this.scope(), message.link)) {
      this.log.warn(
        `Tracked Emails: refused to open ${JSON.stringify(message.link.slice(0, 200))}`,
      );
      void vscode.window.showWarningMessage('Only http and https links of tracked emails open.');
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(message.link, true));
  }

  private post(message: RowsMessage | DataChangedMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.media, 'trackedEmails.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.media, 'trackedEmails.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    // No data in the markup: rows arrive by message and are set as text by the script.
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style}">
  <title>Tracked Emails</title>
</head>
<body>
  <header>
    <h1 id="heading"></h1>
    <div class="toolbar">
      <label for="filter">Filter</label>
      <input id="filter" type="search" autocomplete="off" spellcheck="false"
        placeholder="Template, date, link or email address">
      <span id="summary" role="status" aria-live="polite"></span>
    </div>
  </header>
  <table id="emails">
    <thead>
      <tr>
        <th scope="col" aria-sort="none"><button type="button" data-column="template">Template Name</button></th>
        <th scope="col" aria-sort="none"><button type="button" data-column="date">Date Received</button></th>
        <th scope="col" aria-sort="none"><button type="button" data-column="link">Link</button></th>
        <th scope="col" aria-sort="none"><button type="button" data-column="email">Email Address</button></th>
      </tr>
    </thead>
    <tbody></tbody>
  </table>
  <p id="empty" hidden>No tracked emails match.</p>
  <nav class="pager" aria-label="Pages">
    <button type="button" id="previous">Previous</button>
    <button type="button" id="next">Next</button>
  </nav>
  <script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    TrackedEmailsPanel.panels.delete(this.key);
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) {
      disposable.dispose();
    }
  }
}

/** What the command was given: a tree node, or (from tests and other commands) an ID. */
type ShowTarget = ContactNode | ClientNode | { contactId: string } | { client: string };

function subjectOf(target: ShowTarget | undefined): TrackedEmailsSubject | undefined {
  if (!target) {
    return undefined;
  }
  if ('kind' in target) {
    return target.kind === 'contact'
      ? { kind: 'contact', contactId: target.contact.contactId }
      : { kind: 'client', client: target.client.client };
  }
  return 'contactId' in target
    ? { kind: 'contact', contactId: target.contactId }
    : { kind: 'client', client: target.client };
}

export function registerTrackedEmailsPanel(
  context: vscode.ExtensionContext,
  store: StoreService,
  log: vscode.LogOutputChannel,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(SHOW_TRACKED_EMAILS_COMMAND, (target?: ShowTarget) => {
      const subject = subjectOf(target);
      if (!subject) {
        void vscode.window.showInformationMessage(
          'Choose a contact or a client in the Contacts or Clients view to show its tracked emails.',
        );
        return;
      }
      TrackedEmailsPanel.createOrShow(context.extensionUri, store, log, subject);
    }),
    { dispose: () => TrackedEmailsPanel.openPanels().forEach((panel) => panel.dispose()) },
  );
}
