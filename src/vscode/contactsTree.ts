// The Contacts view, and the parts of a tracking tree that the Clients view shares with it.
import * as vscode from 'vscode';
import {
  clickCounts,
  clientsOf,
  contactsWithClicks,
  trackedEmailsOfContact,
  type ClientListing,
  type ContactListing,
  type TrackedEmail,
} from '../store/treeQueries';
import type { StoreService } from './storeService';

/** How many children a node shows at first, and how many more each "Show more" adds. */
export const PAGE_SIZE = 500;

export const SHOW_TRACKED_EMAILS_COMMAND = 'linkTracking.showTrackedEmails';
const SHOW_MORE_COMMAND = 'linkTracking.showMoreInTree';

export interface ClientNode {
  kind: 'client';
  id: string;
  client: ClientListing;
}

export interface ContactNode {
  kind: 'contact';
  id: string;
  contact: ContactListing;
  /** The client node it sits under in the Clients view; none in the Contacts view. */
  parent: ClientNode | undefined;
  clicks: number;
}

export interface TrackedEmailNode {
  kind: 'email';
  id: string;
  email: TrackedEmail;
  parent: ContactNode;
}

export interface MoreNode {
  kind: 'more';
  id: string;
  parent: ClientNode | ContactNode | undefined;
  shown: number;
  total: number | undefined;
  owner: TrackingTreeProvider;
}

export type TrackingNode = ClientNode | ContactNode | TrackedEmailNode | MoreNode;

/**
 * The contacts that have clicks, read once per change of the data and shared by both trees and
 * the Find commands (reading them takes a moment with a million clicks).
 */
export class ContactListingCache implements vscode.Disposable {
  private static readonly caches = new WeakMap<StoreService, ContactListingCache>();
  private listing: { contacts: ContactListing[]; clients: ClientListing[] } | undefined;
  private readonly invalidated = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;

  /** Fires when the listing must be read again (data changed, or Refresh). */
  readonly onDidInvalidate = this.invalidated.event;

  static of(store: StoreService): ContactListingCache {
    let cache = ContactListingCache.caches.get(store);
    if (!cache) {
      cache = new ContactListingCache(store);
      ContactListingCache.caches.set(store, cache);
    }
    return cache;
  }

  private constructor(private readonly store: StoreService) {
    this.subscription = store.onDidChange(() => this.invalidate());
  }

  private read() {
    if (!this.listing) {
      const contacts = contactsWithClicks(this.store.database);
      this.listing = { contacts, clients: clientsOf(contacts) };
    }
    return this.listing;
  }

  contacts(): ContactListing[] {
    return this.read().contacts;
  }

  clients(): ClientListing[] {
    return this.read().clients;
  }

  invalidate(): void {
    this.listing = undefined;
    this.invalidated.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.invalidated.dispose();
  }
}

export function contactNodeId(contactId: string, parent: ClientNode | undefined): string {
  return `${parent ? `${parent.id}/` : ''}contact:${contactId}`;
}

export function clientNodeId(client: string): string {
  return `client:${client}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A tree of contacts and their tracked emails, loaded a page at a time when a node is expanded.
 * Subclasses say what the top level holds.
 */
export abstract class TrackingTreeProvider
  implements vscode.TreeDataProvider<TrackingNode>, vscode.Disposable
{
  private readonly changeEmitter = new vscode.EventEmitter<TrackingNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;

  /** How many children each node shows, by node id ('' for the top level). */
  private readonly shown = new Map<string, number>();
  private readonly subscription: vscode.Disposable;

  constructor(
    protected readonly store: StoreService,
    protected readonly listing: ContactListingCache,
  ) {
    this.subscription = listing.onDidInvalidate(() => this.refresh());
  }

  /** Reads everything again, keeping how far each node was paged. */
  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  protected abstract topLevel(): (ClientNode | ContactNode)[];

  getChildren(node?: TrackingNode): TrackingNode[] {
    if (!node) {
      return this.page(undefined, this.topLevel());
    }
    switch (node.kind) {
      case 'client':
        return this.page(node, this.withClickCounts(node.client.contacts, node));
      case 'contact': {
        const limit = this.limit(node);
        // One row more than shown tells whether there are more, whatever the count said.
        const emails = trackedEmailsOfContact(
          this.store.database,
          node.contact.contactId,
          0,
          limit + 1,
        );
        const children = emails.slice(0, limit).map((email): TrackedEmailNode => ({
          kind: 'email',
          id: `${node.id}/email:${email.template}\u0000${email.date}\u0000${email.time}`,
          email,
          parent: node,
        }));
        return emails.length > limit
          ? [...children, this.moreNode(node, limit, Math.max(node.clicks, emails.length))]
          : children;
      }
      default:
        return [];
    }
  }

  getParent(node: TrackingNode): TrackingNode | undefined {
    return node.kind === 'client' ? undefined : node.parent;
  }

  getTreeItem(node: TrackingNode): vscode.TreeItem {
    switch (node.kind) {
      case 'client':
        return clientItem(node);
      case 'contact':
        return contactItem(node);
      case 'email':
        return trackedEmailItem(node);
      case 'more':
        return moreItem(node);
    }
  }

  /** Shows the next page of a node's children. */
  showMore(node: MoreNode): void {
    this.shown.set(node.parent?.id ?? '', node.shown + PAGE_SIZE);
    this.changeEmitter.fire(node.parent);
  }

  /** Makes sure the top level shows at least `index + 1` entries, so that reveal() finds it. */
  protected showTopLevelUpTo(index: number): void {
    if (index >= this.limit(undefined)) {
      this.shown.set('', (Math.floor(index / PAGE_SIZE) + 1) * PAGE_SIZE);
      this.changeEmitter.fire(undefined);
    }
  }

  /** Contact nodes for some contacts, with click counts read only for the first page. */
  protected withClickCounts(contacts: readonly ContactListing[], parent: ClientNode | undefined) {
    const limit = this.limit(parent);
    const counts = clickCounts(
      this.store.database,
      contacts.slice(0, limit).map((c) => c.contactId),
    );
    return contacts.map((contact): ContactNode => ({
      kind: 'contact',
      id: contactNodeId(contact.contactId, parent),
      contact,
      parent,
      clicks: counts.get(contact.contactId) ?? 0,
    }));
  }

  private limit(parent: TrackingNode | undefined): number {
    return this.shown.get(parent?.id ?? '') ?? PAGE_SIZE;
  }

  private page(parent: ClientNode | undefined, nodes: TrackingNode[]): TrackingNode[] {
    const limit = this.limit(parent);
    if (nodes.length <= limit) {
      return nodes;
    }
    return [...nodes.slice(0, limit), this.moreNode(parent, limit, nodes.length)];
  }

  private moreNode(parent: MoreNode['parent'], shown: number, total: number): MoreNode {
    const id = `${parent?.id ?? ''}/more`;
    return { kind: 'more', id, parent, shown, total, owner: this };
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

/** Clicking a contact or a client opens its Tracked Emails. */
function showTrackedEmailsOf(node: ClientNode | ContactNode): vscode.Command {
  return { command: SHOW_TRACKED_EMAILS_COMMAND, title: 'Show tracked emails', arguments: [node] };
}

function clientItem(node: ClientNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.client.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.description = plural(node.client.contacts.length, 'contact');
  item.contextValue = 'client';
  item.iconPath = new vscode.ThemeIcon('organization');
  item.command = showTrackedEmailsOf(node);
  return item;
}

function contactItem(node: ContactNode): vscode.TreeItem {
  const { contact } = node;
  const item = new vscode.TreeItem(contact.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  const clicks = plural(node.clicks, 'click');
  item.description = contact.email ? `${contact.email} · ${clicks}` : clicks;
  item.tooltip = [
    contact.label,
    `Contact ID: ${contact.contactId}`,
    contact.email && `Email: ${contact.email}`,
    contact.client && `Client: ${contact.client}`,
    clicks,
  ]
    .filter(Boolean)
    .join('\n');
  item.contextValue = 'contact';
  item.iconPath = new vscode.ThemeIcon('person');
  item.command = showTrackedEmailsOf(node);
  return item;
}

function trackedEmailItem(node: TrackedEmailNode): vscode.TreeItem {
  const { email } = node;
  const item = new vscode.TreeItem(email.template, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = `${email.date} ${email.time}`;
  item.tooltip = `Link: ${email.linkName}\nDate: ${email.date}\nTime: ${email.time}`;
  item.contextValue = 'trackedEmail';
  item.iconPath = new vscode.ThemeIcon('mail');
  return item;
}

function moreItem(node: MoreNode): vscode.TreeItem {
  const item = new vscode.TreeItem(`Show ${PAGE_SIZE} more`, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = node.total === undefined ? undefined : `${node.shown} of ${node.total}`;
  item.contextValue = 'more';
  item.iconPath = new vscode.ThemeIcon('ellipsis');
  item.command = { command: SHOW_MORE_COMMAND, title: item.label as string, arguments: [node] };
  return item;
}

/** The Contacts view: every contact with tracked emails, by name. */
export class ContactsTreeProvider extends TrackingTreeProvider {
  protected topLevel(): ContactNode[] {
    return this.withClickCounts(this.listing.contacts(), undefined);
  }

  /** The node of a contact, shown (paged in) so that TreeView.reveal() can select it. */
  nodeFor(contactId: string): ContactNode | undefined {
    const contacts = this.listing.contacts();
    const index = contacts.findIndex((c) => c.contactId === contactId);
    if (index < 0) {
      return undefined;
    }
    this.showTopLevelUpTo(index);
    const [node] = this.withClickCounts([contacts[index]], undefined);
    return node;
  }
}

export interface ContactsTree {
  provider: ContactsTreeProvider;
  view: vscode.TreeView<TrackingNode>;
}

/** The Contacts view, the shared "Show more" and Refresh commands. */
export function registerContactsTree(
  context: vscode.ExtensionContext,
  store: StoreService,
): ContactsTree {
  const listing = ContactListingCache.of(store);
  const provider = new ContactsTreeProvider(store, listing);
  const view = vscode.window.createTreeView('linkTracking.contacts', {
    treeDataProvider: provider,
    showCollapseAll: true,
  });
  context.subscriptions.push(
    listing,
    provider,
    view,
    vscode.commands.registerCommand(SHOW_MORE_COMMAND, (node: MoreNode) =>
      node.owner.showMore(node),
    ),
    vscode.commands.registerCommand('linkTracking.refresh', () => listing.invalidate()),
  );
  return { provider, view };
}
