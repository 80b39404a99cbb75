// Create tracked links (one, or a mail-merge file for many contacts), export and import the key.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { mailMergeCsv } from '../server/mailMerge';
import { readKeyFile, writeKeyFile } from '../server/signingKey';
import { makeTrackedLink, prepareTarget } from '../server/trackedLink';
import { directoryClients, directoryContacts } from '../store/directory';
import type { SigningKeyStore } from './signingKeyStore';
import type { StoreService } from './storeService';

const TITLE = 'Create tracked link';

/** What createTrackedLink resolves to: the link copied, or the CSV file saved. */
export type CreatedLinks = { link: string } | { csvFile: string; count: number };

export function registerLinkCommands(
  context: vscode.ExtensionContext,
  store: StoreService,
  keys: SigningKeyStore,
  log: vscode.LogOutputChannel,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('linkTracking.createTrackedLink', () =>
      createTrackedLink(store, keys, log),
    ),
    vscode.commands.registerCommand('linkTracking.exportKey', () => exportKey(keys, log)),
    vscode.commands.registerCommand('linkTracking.importKey', () => importKey(keys, log)),
  );
}

async function createTrackedLink(
  store: StoreService,
  keys: SigningKeyStore,
  log: vscode.LogOutputChannel,
): Promise<CreatedLinks | undefined> {
  const rawTarget = await vscode.window.showInputBox({
    title: `${TITLE} (1/4)`,
    prompt: 'The real target of the link (http or https). Pasted &amp; is decoded.',
    placeHolder: 'https://example.com/offer?id=42',
    ignoreFocusOut: true,
    validateInput: (value) => targetProblem(value),
  });
  if (rawTarget === undefined) {
    return undefined;
  }
  const target = prepareTarget(rawTarget);
  const template = await vscode.window.showInputBox({
    title: `${TITLE} (2/4)`,
    prompt: 'Email template the link is in',
    placeHolder: 'Spring Newsletter',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Give the email template a name.'),
  });
  if (template === undefined) {
    return undefined;
  }
  const linkName = await vscode.window.showInputBox({
    title: `${TITLE} (3/4)`,
    prompt: 'Link name, as reports will show it',
    value: target,
    ignoreFocusOut: true,
  });
  if (linkName === undefined) {
    return undefined;
  }
  const baseUrl = vscode.workspace
    .getConfiguration('linkTracking')
    .get<string>('trackingUrl', 'http://127.0.0.1:8787/LinkTracking');
  const link = { template: template.trim(), linkName: linkName.trim() || target, target };
  const key = await keys.get();

  const choice = await chooseRecipients(store);
  if (!choice) {
    return undefined;
  }
  try {
    if (choice.contactId !== undefined) {
      const url = makeTrackedLink(baseUrl, { ...link, contactId: choice.contactId }, key);
      await vscode.env.clipboard.writeText(url);
      log.info(`Tracked link for contact ${choice.contactId} copied (template "${link.template}")`);
      void vscode.window.showInformationMessage(
        `Tracked link for contact ${choice.contactId} copied to the clipboard.`,
      );
      return { link: url };
    }
    const contacts = directoryContacts(store.database, choice.client);
    // Made before the save dialog, so that a link that cannot be made is said before asking.
    const csv = mailMergeCsv(baseUrl, key, link, contacts);
    const saveTo = await vscode.window.showSaveDialog({
      title: `Save ${contacts.length} tracked links for mail merge`,
      saveLabel: 'Save mail-merge file',
      filters: { 'CSV files': ['csv'] },
      defaultUri: defaultCsvUri(link.template),
    });
    if (!saveTo) {
      return undefined;
    }
    await writeFile(saveTo.fsPath, csv, 'utf8');
    log.info(`Saved ${contacts.length} tracked links to ${saveTo.fsPath}`);
    void vscode.window.showInformationMessage(
      `Saved ${contacts.length} tracked links to ${path.basename(saveTo.fsPath)}.`,
    );
    return { csvFile: saveTo.fsPath, count: contacts.length };
  } catch (error) {
    const message = `Could not create the tracked link: ${(error as Error).message}`;
    log.error(message);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}

/** One contact (by ID), or every contact of a client, or (client undefined) the directory. */
type Recipients =
  { contactId: string; client?: undefined } | { contactId?: undefined; client?: string };

async function chooseRecipients(store: StoreService): Promise<Recipients | undefined> {
  const contacts = directoryContacts(store.database);
  const clients = directoryClients(store.database);
  const one = 'One contact';
  const ofClient = 'All contacts of a client';
  const all = 'All contacts in the directory';
  const options: vscode.QuickPickItem[] = [
    { label: one, detail: 'Copies the link to the clipboard' },
  ];
  if (clients.length > 0) {
    options.push({ label: ofClient, detail: 'Saves a mail-merge CSV file' });
  }
  if (contacts.length > 0) {
    options.push({
      label: all,
      detail: `Saves a mail-merge CSV file (${contacts.length} contacts)`,
    });
  }
  const picked = await vscode.window.showQuickPick(options, { title: `${TITLE} (4/4): for whom?` });
  if (picked?.label === all) {
    return {};
  }
  if (picked?.label === ofClient) {
    const client = await vscode.window.showQuickPick(
      clients.map((c) => ({ label: c.client, description: `${c.count} contacts` })),
      { title: `${TITLE}: which client?`, matchOnDescription: true },
    );
    return client ? { client: client.label } : undefined;
  }
  if (picked?.label !== one) {
    return undefined;
  }
  return chooseContact(contacts);
}

async function chooseContact(
  contacts: ReturnType<typeof directoryContacts>,
): Promise<Recipients | undefined> {
  const typeId = '$(edit) Enter a contact ID…';
  if (contacts.length > 0) {
    const picked = await vscode.window.showQuickPick(
      [
        ...contacts.map((c) => ({
          label: c.name || `Contact ${c.contactId}`,
          description: c.contactId,
          detail: [c.email, c.client].filter(Boolean).join(' · ') || undefined,
        })),
        { label: typeId },
      ],
      { title: `${TITLE}: which contact?`, matchOnDescription: true, matchOnDetail: true },
    );
    if (!picked) {
      return undefined;
    }
    if ('description' in picked) {
      return { contactId: picked.description };
    }
  }
  const id = await vscode.window.showInputBox({
    title: `${TITLE}: contact ID`,
    prompt: 'The contact ID the click will be recorded under',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Enter a contact ID.'),
  });
  return id === undefined ? undefined : { contactId: id.trim() };
}

async function exportKey(keys: SigningKeyStore, log: vscode.LogOutputChannel): Promise<void> {
  const saveTo = await vscode.window.showSaveDialog({
    title: 'Export link signing key (for the server on your web host)',
    saveLabel: 'Export key',
    filters: { 'Key files': ['key'] },
    defaultUri: defaultUri('link-tracking.key'),
  });
  if (!saveTo) {
    return;
  }
  try {
    // The save dialog has already asked before replacing a file.
    await writeKeyFile(saveTo.fsPath, await keys.get(), true);
    log.info(`Link signing key exported to ${saveTo.fsPath}`);
    void vscode.window.showInformationMessage(
      `Link signing key exported to ${saveTo.fsPath} (readable by you only). ` +
        'Keep it secret: anyone holding it can make tracked links.',
    );
  } catch (error) {
    void vscode.window.showErrorMessage((error as Error).message);
  }
}

async function importKey(keys: SigningKeyStore, log: vscode.LogOutputChannel): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Import link signing key',
    openLabel: 'Import key',
    canSelectMany: false,
    filters: { 'Key files': ['key'], 'All files': ['*'] },
  });
  const file = picked?.[0];
  if (!file) {
    return;
  }
  try {
    const key = await readKeyFile(file.fsPath);
    const replace = 'Replace key';
    const answer = await vscode.window.showWarningMessage(
      'Replace the link signing key? Links made with the current key will no longer be ' +
        'recognised by a server that uses the new one.',
      { modal: true },
      replace,
    );
    if (answer !== replace) {
      return;
    }
    await keys.set(key);
    log.info(`Link signing key imported from ${file.fsPath}`);
    void vscode.window.showInformationMessage(
      'Link signing key imported. Restart the link tracking server if it is running.',
    );
  } catch (error) {
    void vscode.window.showErrorMessage((error as Error).message);
  }
}

function targetProblem(value: string): string | undefined {
  try {
    prepareTarget(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function defaultCsvUri(template: string): vscode.Uri | undefined {
  const safe = template.replace(/[/\\:*?"<>|]+/g, '_').slice(0, 60) || 'tracked-links';
  return defaultUri(`${safe} - tracked links.csv`);
}

function defaultUri(fileName: string): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, fileName) : undefined;
}
