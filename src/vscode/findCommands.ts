// Find Contacts and Find Clients: a quick pick that reveals the choice in its tree.
import * as vscode from 'vscode';
import type { ClientsTree } from './clientsTree';
import {
  ContactListingCache,
  SHOW_TRACKED_EMAILS_COMMAND,
  type ContactsTree,
} from './contactsTree';
import type { StoreService } from './storeService';

interface ContactPick extends vscode.QuickPickItem {
  contactId: string;
}

interface ClientPick extends vscode.QuickPickItem {
  client: string;
}

/** Shows a quick pick and resolves to the accepted item, or undefined when dismissed. */
function pickOne<T extends vscode.QuickPickItem>(
  items: T[],
  title: string,
  placeholder: string,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const quickPick = vscode.window.createQuickPick<T>();
    quickPick.title = title;
    quickPick.placeholder = placeholder;
    // Typing filters on every part of an item: name, email address, contact ID, client.
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.items = items;
    let accepted: T | undefined;
    quickPick.onDidAccept(() => {
      accepted = quickPick.selectedItems[0];
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      quickPick.dispose();
      resolve(accepted);
    });
    quickPick.show();
  });
}

async function findContacts(store: StoreService, contacts: ContactsTree): Promise<void> {
  const items = ContactListingCache.of(store)
    .contacts()
    .map((contact): ContactPick => ({
      label: contact.label,
      description: contact.email,
      detail: [`ID ${contact.contactId}`, contact.client].filter(Boolean).join(' · '),
      contactId: contact.contactId,
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No contacts with tracked emails yet.');
    return;
  }
  const picked = await pickOne(
    items,
    'Find Contacts',
    'Type a name, email address, contact ID or client',
  );
  const node = picked && contacts.provider.nodeFor(picked.contactId);
  if (node) {
    await contacts.view.reveal(node, { select: true, focus: true });
    await vscode.commands.executeCommand(SHOW_TRACKED_EMAILS_COMMAND, node);
  }
}

async function findClients(store: StoreService, clients: ClientsTree): Promise<void> {
  const items = ContactListingCache.of(store)
    .clients()
    .map((client): ClientPick => ({
      label: client.label,
      description: `${client.contacts.length} contact${client.contacts.length === 1 ? '' : 's'}`,
      // Contacts' names and addresses, so that a client can be found by one of its people.
      detail: client.contacts
        .slice(0, 20)
        .map((c) => c.label)
        .join(', '),
      client: client.client,
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No clients with tracked emails yet.');
    return;
  }
  const picked = await pickOne(items, 'Find Clients', 'Type a client or one of its contacts');
  const node = picked && clients.provider.nodeFor(picked.client);
  if (node) {
    await clients.view.reveal(node, { select: true, focus: true });
    await vscode.commands.executeCommand(SHOW_TRACKED_EMAILS_COMMAND, node);
  }
}

export function registerFindCommands(
  context: vscode.ExtensionContext,
  store: StoreService,
  contacts: ContactsTree,
  clients: ClientsTree,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('linkTracking.findContacts', () =>
      findContacts(store, contacts),
    ),
    vscode.commands.registerCommand('linkTracking.findClients', () => findClients(store, clients)),
  );
}
