// Contacts and Clients trees, Find Contacts/Clients and the Tracked Emails webview, as seen.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import * as vscode from 'vscode';
import {
  elementAttributes,
  elementTexts,
  eventually,
  hasUiBridge,
  pressKey,
  screenshot,
  treeRows,
  typeText,
  webviewQuery,
  webviewTitles,
  click,
} from './ui';

const EXTENSION_ID = 'email-link-tracking.email-link-tracking';
const HOSTILE_TEMPLATE = `<img src=x onerror="document.body.setAttribute('data-pwned','1')">`;
const GRACE_PANEL = 'Tracked Emails — Grace Fixture';
const HARRY_PANEL = 'Tracked Emails — Hostile, Harry';

/** A selector for the pane of one view, by its header title. */
const pane = (title: string) => `.pane:has(.pane-header h3.title:text-is("${title}"))`;
const row = (view: string, label: string) =>
  `${pane(view)} .monaco-list-row[aria-label^="${label}"]`;

/** The part of the API that activate() returns that these tests use. */
interface ExtensionApi {
  store: {
    database: { db: { exec(sql: string): unknown } };
    lastImportFolder: vscode.Uri | undefined;
    setLastImportFolder(folder: vscode.Uri): Promise<void>;
  };
}

interface ImportResult {
  added: number;
  invalid: number;
}

async function importWithDialog(command: string, file: string): Promise<ImportResult> {
  const sandbox = sinon.createSandbox();
  try {
    sandbox.stub(vscode.window, 'showOpenDialog').resolves([vscode.Uri.file(file)]);
    return (await vscode.commands.executeCommand(command)) as ImportResult;
  } finally {
    sandbox.restore();
  }
}

async function useTheme(theme: string): Promise<void> {
  await vscode.workspace
    .getConfiguration('workbench')
    .update('colorTheme', theme, vscode.ConfigurationTarget.Global);
  // Import notifications would cover part of the screenshots.
  await vscode.commands.executeCommand('notifications.clearAll');
  await new Promise((resolve) => setTimeout(resolve, 800));
}

/** Runs a Find command by typing into its quick pick, as a person would. */
async function findByTyping(command: string, text: string, expected: RegExp): Promise<void> {
  const done = vscode.commands.executeCommand(command);
  const items = '.quick-input-widget .quick-input-list .monaco-list-row';
  await eventually(async () => assert.ok((await elementTexts(items)).length > 0, 'no items'));
  await typeText(text);
  await eventually(async () => {
    const shown = await elementTexts(items);
    assert.equal(shown.length, 1, `items: ${shown.join(' | ')}`);
    assert.match(shown[0], expected);
  });
  await pressKey('Enter');
  await done;
}

describe('Contacts, clients and tracked emails', function () {
  this.timeout(120_000);
  let fixtures: string;
  let api: ExtensionApi;
  let importFolderBefore: vscode.Uri | undefined;

  before(async () => {
    assert.ok(hasUiBridge(), 'these tests look at the workbench through the UI bridge');
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    api = (await extension.activate()) as ExtensionApi;
    importFolderBefore = api.store.lastImportFolder;
    fixtures = path.join(extension.extensionPath, 'test', 'fixtures', 'contacts');

    const tracker = await importWithDialog(
      'linkTracking.importEmailTracking',
      path.join(fixtures, 'Tracker_Contacts Fixture.xml'),
    );
    assert.equal(tracker.added, 5);
    const contacts = await importWithDialog(
      'linkTracking.importContacts',
      path.join(fixtures, 'contacts.csv'),
    );
    assert.deepEqual([contacts.added, contacts.invalid], [2, 1]);
    await vscode.commands.executeCommand('workbench.view.extension.emailTracking');
  });

  after(async () => {
    // Leave the window as the next test file expects it: default theme, no panels open, and
    // the import dialog starting where it started before these imports.
    await vscode.workspace
      .getConfiguration('workbench')
      .update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    const folder = importFolderBefore ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (folder) {
      await api.store.setLastImportFolder(folder);
    }
  });

  it('shows the contacts by name, with email and clicks, and unknown ones by ID', async () => {
    const rows = await eventually(async () => {
      const shown = (await treeRows('Contacts')).filter((r) => r.level === 1);
      const labels = shown.map((r) => r.label);
      for (const label of ['Contact 3003', 'Grace Fixture', 'Hostile, Harry']) {
        assert.ok(labels.includes(label), `rows: ${labels.join(', ')}`);
      }
      return shown;
    });
    const labels = rows.map((r) => r.label);
    assert.ok(labels.indexOf('Contact 3003') < labels.indexOf('Grace Fixture'), 'by name');
    assert.ok(labels.indexOf('Grace Fixture') < labels.indexOf('Hostile, Harry'), 'by name');
    const grace = rows.find((r) => r.label === 'Grace Fixture');
    assert.equal(grace?.description, 'grace.fixture@example.com · 3 clicks');
    assert.equal(rows.find((r) => r.label === 'Contact 3003')?.description, '1 click');
  });

  it('expands a contact into its tracked emails, newest first', async () => {
    await click(`${row('Contacts', 'Grace Fixture')} .monaco-tl-twistie`);
    const children = await eventually(async () => {
      const rows = await treeRows('Contacts');
      const at = rows.findIndex((r) => r.label === 'Grace Fixture');
      assert.equal(rows[at].expanded, true, 'expanded');
      const below = rows.slice(at + 1, at + 4);
      assert.ok(
        below.every((r) => r.level === 2),
        `rows: ${JSON.stringify(below)}`,
      );
      return below;
    });
    assert.deepEqual(
      children.map((r) => [r.label, r.description]),
      [
        ['Winter Update', '2026-12-01 09:00:00'],
        ['Autumn Offers', '2026-09-21 08:15:00'],
        ['Summer Newsletter', '2026-06-02 14:30:10'],
      ],
    );
    await useTheme('Default Light Modern');
    await screenshot('contacts-tree-light');
    await useTheme('Default Dark Modern');
    await screenshot('contacts-tree-dark');
  });

  it('Find Contacts selects the contact in its tree and opens its tracked emails', async () => {
    await findByTyping('linkTracking.findContacts', 'harry@example', /Hostile, Harry/);
    await eventually(async () => {
      const selected = await elementTexts(
        `${pane('Contacts')} .monaco-list-row.selected .label-name`,
      );
      assert.deepEqual(selected, ['Hostile, Harry']);
    });
    await eventually(async () => assert.ok((await webviewTitles()).includes(HARRY_PANEL)));
  });

  it('shows a hostile template name as text, and runs no script from it', async () => {
    const cells = await eventually(async () => {
      const found = await webviewQuery('tbody td', HARRY_PANEL);
      assert.equal(found.length, 4, `cells: ${found.join(' | ')}`);
      return found;
    });
    assert.deepEqual(cells, [
      HOSTILE_TEMPLATE,
      '2026-07-07 07:07:07',
      '<b>Bold link</b>',
      'harry@example.net',
    ]);
    assert.deepEqual(await webviewQuery('table img, table b', HARRY_PANEL), []);
    assert.deepEqual(await webviewQuery('body[data-pwned]', HARRY_PANEL), []);
  });

  it("shows a contact's tracked emails in a table, reusing its panel", async () => {
    await vscode.commands.executeCommand('linkTracking.showTrackedEmails', { contactId: '3001' });
    const rows = await eventually(async () => {
      const found = await webviewQuery('tbody tr', GRACE_PANEL);
      assert.equal(found.length, 3);
      return found;
    });
    const cells = rows.map((r) => r.split('\t').map((c) => c.trim()));
    assert.deepEqual(cells, [
      ['Winter Update', '2026-12-01 09:00:00', 'javascript:alert(1)', 'grace.fixture@example.com'],
      [
        'Autumn Offers',
        '2026-09-21 08:15:00',
        'https://example.com/offers?season=autumn&ref=mail',
        'grace.fixture@example.com',
      ],
      ['Summer Newsletter', '2026-06-02 14:30:10', 'Read more', 'grace.fixture@example.com'],
    ]);
    const headers = await webviewQuery('thead th button', GRACE_PANEL);
    assert.deepEqual(headers, ['Template Name', 'Date Received', 'Link', 'Email Address']);
    assert.deepEqual(await webviewQuery('th[aria-sort="descending"]', GRACE_PANEL), [
      'Date Received',
    ]);
    // Only the web link is a control that can open anything.
    assert.deepEqual(await webviewQuery('tbody button.link', GRACE_PANEL), [
      'https://example.com/offers?season=autumn&ref=mail',
    ]);
    assert.match((await webviewQuery('h1', GRACE_PANEL))[0], /grace\.fixture@example\.com/);

    await vscode.commands.executeCommand('linkTracking.showTrackedEmails', { contactId: '3001' });
    const tabs = await elementAttributes('.tabs-container .tab', 'aria-label');
    assert.equal(tabs.filter((t) => t.startsWith(GRACE_PANEL)).length, 1, tabs.join(' | '));

    await useTheme('Default Light Modern');
    await screenshot('tracked-emails-light');
    await useTheme('Default Dark Modern');
    await screenshot('tracked-emails-dark');
    await useTheme('Default High Contrast');
    await screenshot('tracked-emails-high-contrast');
  });

  it('filters and sorts the table from the keyboard', async () => {
    await vscode.commands.executeCommand('linkTracking.showTrackedEmails', { contactId: '3001' });
    const templates = () => webviewQuery('tbody td:first-child', GRACE_PANEL);
    await eventually(async () => assert.equal((await templates()).length, 3));
    // Into the page as a person would: click its filter box, then type.
    await click(
      'iframe.webview >> internal:control=enter-frame >> ' +
        `iframe#active-frame[title="${GRACE_PANEL}"] >> internal:control=enter-frame >> #filter`,
    );
    await typeText('autumn');
    await eventually(async () => assert.deepEqual(await templates(), ['Autumn Offers']));
    assert.deepEqual(await webviewQuery('#summary', GRACE_PANEL), ['1 tracked email']);

    await pressKey('Control+a');
    await pressKey('Backspace');
    await eventually(async () => assert.equal((await templates()).length, 3));
    await pressKey('Tab'); // from the filter box to the first column header
    await pressKey('Enter');
    await eventually(async () =>
      assert.deepEqual(await templates(), ['Autumn Offers', 'Summer Newsletter', 'Winter Update']),
    );
    assert.deepEqual(await webviewQuery('th[aria-sort="ascending"]', GRACE_PANEL), [
      'Template Name',
    ]);
    await pressKey('Enter');
    await eventually(async () =>
      assert.deepEqual(await templates(), ['Winter Update', 'Summer Newsletter', 'Autumn Offers']),
    );
  });

  it('opens a web link of the table in the browser through the extension', async () => {
    const sandbox = sinon.createSandbox();
    const openExternal = sandbox.stub(vscode.env, 'openExternal').resolves(true);
    try {
      await click(
        'iframe.webview >> internal:control=enter-frame >> ' +
          `iframe#active-frame[title="${GRACE_PANEL}"] >> internal:control=enter-frame >> ` +
          'button.link',
      );
      await eventually(() => assert.equal(openExternal.callCount, 1));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(openExternal.callCount, 1, 'opened once');
      const target = openExternal.firstCall.args[0];
      assert.equal(target.scheme, 'https');
      assert.equal(target.toString(true), 'https://example.com/offers?season=autumn&ref=mail');
    } finally {
      sandbox.restore();
    }
  });

  it('Find Clients selects the client and shows the tracked emails of all its contacts', async () => {
    await findByTyping('linkTracking.findClients', 'Fixture Clients', /Fixture Clients Ltd/);
    await eventually(async () => {
      const selected = await elementTexts(
        `${pane('Clients')} .monaco-list-row.selected .label-name`,
      );
      assert.deepEqual(selected, ['Fixture Clients Ltd']);
    });
    const emails = await eventually(async () => {
      const found = await webviewQuery(
        'tbody td:nth-child(4)',
        'Tracked Emails — Fixture Clients Ltd',
      );
      assert.equal(found.length, 4);
      return found;
    });
    assert.deepEqual([...new Set(emails)].sort(), [
      'grace.fixture@example.com',
      'harry@example.net',
    ]);
    const clients = (await treeRows('Clients')).filter((r) => r.level === 1).map((r) => r.label);
    assert.ok(clients.includes('No client'), clients.join(', '));
  });

  it('pages 600 tracked emails: tree "Show 500 more", table Next', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'paging-'));
    const clicks = Array.from({ length: 600 }, (_, i) => {
      const day = String(1 + Math.floor(i / 100)).padStart(2, '0');
      const time = `${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`;
      const template = `Paging ${String(i).padStart(3, '0')}`;
      return `<Click><EmailTemplate>${template}</EmailTemplate><ContactID>3999</ContactID><LinkName>x</LinkName><Date>2026-01-${day}</Date><Time>${time}</Time></Click>`;
    });
    const tracker = path.join(folder, 'Tracker_Paging.xml');
    fs.writeFileSync(tracker, `<Tracker regName="Paging">\n${clicks.join('\n')}\n</Tracker>\n`);
    const csv = path.join(folder, 'paging.csv');
    fs.writeFileSync(csv, 'Id,Name,Client\n3999,Zz Paging Person,Zz Paging Client\n');
    assert.equal((await importWithDialog('linkTracking.importEmailTracking', tracker)).added, 600);
    assert.equal((await importWithDialog('linkTracking.importContacts', csv)).added, 1);

    await eventually(async () => {
      const labels = (await treeRows('Contacts')).map((r) => r.label);
      assert.ok(labels.includes('Zz Paging Person'), labels.join(', '));
    });
    await click(`${row('Contacts', 'Zz Paging Person')} .monaco-tl-twistie`);
    await vscode.commands.executeCommand('linkTracking.contacts.focus');
    // End moves to the tree's last row, which the (virtual) list then renders. The list
    // recycles row elements, so rows are looked at as a set, not in document order.
    const rowsAtEnd = async () => {
      await pressKey('End');
      return new Map((await treeRows('Contacts')).map((r) => [r.label, r.description]));
    };
    await eventually(async () => {
      const rows = await rowsAtEnd();
      assert.equal(rows.get('Show 500 more'), '500 of 600', [...rows.keys()].join(', '));
      assert.equal(rows.get('Paging 100'), '2026-01-02 01:40:00', 'the 500th newest is shown');
      assert.ok(!rows.has('Paging 099'), 'the 501st is not');
    });

    await pressKey('Enter');
    await eventually(async () => {
      const rows = await rowsAtEnd();
      assert.equal(rows.get('Paging 000'), '2026-01-01 00:00:00', [...rows.keys()].join(', '));
      assert.ok(!rows.has('Show 500 more'), 'all 600 are shown');
    });
    await screenshot('contacts-tree-paged');

    // The Tracked Emails table pages too: 500 rows, then the remaining 100 after Next.
    await vscode.commands.executeCommand('linkTracking.showTrackedEmails', { contactId: '3999' });
    const panel = 'Tracked Emails — Zz Paging Person';
    await eventually(async () => {
      assert.deepEqual(await webviewQuery('#summary', panel), ['1–500 of 600']);
      assert.equal((await webviewQuery('tbody tr', panel)).length, 500);
    });
    await click(
      'iframe.webview >> internal:control=enter-frame >> ' +
        `iframe#active-frame[title="${panel}"] >> internal:control=enter-frame >> #next`,
    );
    await eventually(async () => {
      assert.deepEqual(await webviewQuery('#summary', panel), ['501–600 of 600']);
      const templates = await webviewQuery('tbody td:first-child', panel);
      assert.equal(templates.length, 100);
      assert.equal(templates[99], 'Paging 000', 'the oldest last');
    });
  });

  it('Refresh reads the database again', async () => {
    // A change behind the views' back (as another process would make): not shown until Refresh.
    api.store.database.db.exec(
      "UPDATE contacts SET name = 'Harriet Hostile' WHERE contact_id = '3002'",
    );
    await vscode.commands.executeCommand('linkTracking.contacts.focus');
    await pressKey('Home');
    assert.ok((await treeRows('Contacts')).some((r) => r.label === 'Hostile, Harry'));
    await vscode.commands.executeCommand('linkTracking.refresh');
    await eventually(async () => {
      const labels = (await treeRows('Contacts')).map((r) => r.label);
      assert.ok(labels.includes('Harriet Hostile'), labels.join(', '));
      assert.ok(!labels.includes('Hostile, Harry'), labels.join(', '));
    });
    api.store.database.db.exec(
      "UPDATE contacts SET name = 'Hostile, Harry' WHERE contact_id = '3002'",
    );
    await vscode.commands.executeCommand('linkTracking.refresh');
  });

  it('gives an unknown contact its name when the directory provides it', async () => {
    const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'contacts-')), 'more.csv');
    fs.writeFileSync(csv, 'Id,First Name,Last Name,Email\n3003,Carl,Later,carl@example.org\n');
    const result = await importWithDialog('linkTracking.importContacts', csv);
    assert.equal(result.added, 1);
    await vscode.commands.executeCommand('linkTracking.contacts.focus');
    await eventually(async () => {
      await pressKey('Home');
      const labels = (await treeRows('Contacts')).map((r) => r.label);
      assert.ok(labels.includes('Carl Later'), labels.join(', '));
      assert.ok(!labels.includes('Contact 3003'), labels.join(', '));
    });
  });
});
