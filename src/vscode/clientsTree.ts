// The Clients view: clients, their contacts, and the contacts' tracked emails.
import * as vscode from 'vscode';
import {
  clientNodeId,
  ContactListingCache,
  TrackingTreeProvider,
  type ClientNode,
  type TrackingNode,
} from './contactsTree';
import type { StoreService } from './storeService';

export class ClientsTreeProvider extends TrackingTreeProvider {
  protected topLevel(): ClientNode[] {
    return this.listing.clients().map((client) => ({
      kind: 'client',
      id: clientNodeId(client.client),
      client,
    }));
  }

  /** The node of a client ('' for "No client"), paged in so that reveal() can select it. */
  nodeFor(client: string): ClientNode | undefined {
    const nodes = this.topLevel();
    const index = nodes.findIndex((node) => node.client.client === client);
    if (index < 0) {
      return undefined;
    }
    this.showTopLevelUpTo(index);
    return nodes[index];
  }
}

export interface ClientsTree {
  provider: ClientsTreeProvider;
  view: vscode.TreeView<TrackingNode>;
}

export function registerClientsTree(
  context: vscode.ExtensionContext,
  store: StoreService,
): ClientsTree {
  const provider = new ClientsTreeProvider(store, ContactListingCache.of(store));
  const view = vscode.window.createTreeView('linkTracking.clients', {
    treeDataProvider: provider,
    showCollapseAll: true,
  });
  context.subscriptions.push(provider, view);
  return { provider, view };
}
