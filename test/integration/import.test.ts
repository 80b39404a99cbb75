// "Import email tracking" in a real VS Code: the dialog is stubbed, everything else is real.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import lockfile from 'proper-lockfile';
import * as sinon from 'sinon';
import * as vscode from 'vscode';
import { elementTexts, eventually, hasUiBridge, screenshot, treeRows } from './ui';

const EXTENSION_ID = 'email-link-tracking.email-link-tracking';
const IMPORT_COMMAND = 'linkTracking.importEmailTracking';

/** The part of the extension's API (activate()'s return value) these tests use. */
interface SqlJsDatabase {
  exec(sql: string): { values: unknown[][] }[];
}
interface ExtensionApi {
  store: {
    database: { db: SqlJsDatabase };
    databaseFile: string;
    onDidChange: vscode.Event<void>;
  };
}

interface CommandResult {
  added: number;
  duplicates: number;
  invalid: number;
  incremental: boolean;
  refused?: { line: number; column: number };
}

describe('Import email tracking', () => {
  let api: ExtensionApi;
  let extensionPath: string;
  let fixtures: string;
  let scratch: string;
  let sandbox: sinon.SinonSandbox;
  let info: sinon.SinonStub;
  let error: sinon.SinonStub;

  before(async () => {
    const extension = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(extension);
    api = await extension.activate();
    extensionPath = extension.extensionPath;
    fixtures = path.join(extensionPath, 'test', 'fixtures', 'import');
    scratch = mkdtempSync(path.join(tmpdir(), 'elt-import-'));
  });

  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(() => {
    sandbox = sinon.createSandbox();
    info = sandbox.stub(vscode.window, 'showInformationMessage').resolves(undefined);
    error = sandbox.stub(vscode.window, 'showErrorMessage').resolves(undefined);
  });

  afterEach(() => {
    sandbox.restore();
  });

  function pick(file: string): sinon.SinonStub {
    return sandbox.stub(vscode.window, 'showOpenDialog').resolves([vscode.Uri.file(file)]);
  }

  function count(table: 'clicks' | 'imports', where = ''): number {
    const sql = `SELECT count(*) FROM ${table} ${where}`;
    return Number(api.store.database.db.exec(sql)[0].values[0][0]);
  }

  function importCommand(): Thenable<CommandResult | undefined> {
    return vscode.commands.executeCommand<CommandResult | undefined>(IMPORT_COMMAND);
  }

  it('imports a tracker file picked in the open dialog and reports the counts', async () => {
    const file = path.join(fixtures, 'Tracker_Import Fixture.xml');
    const dialog = pick(file);
    const firstInSession = count('imports') === 0;
    let changes = 0;
    const listener = api.store.onDidChange(() => changes++);

    try {
      const result = await importCommand();
      assert.ok(result);
      assert.deepEqual([result.added, result.duplicates, result.invalid], [10, 2, 1]);
    } finally {
      listener.dispose();
    }

    const options = dialog.firstCall.args[0] as vscode.OpenDialogOptions;
    assert.equal(options.canSelectMany, false);
    assert.deepEqual(options.filters, { 'Tracker files': ['xml'], 'All files': ['*'] });
    // Other suites may have imported before; with no earlier import it is the workspace.
    assert.ok(options.defaultUri, 'the dialog starts in a folder');
    if (firstInSession) {
      assert.equal(
        options.defaultUri.fsPath,
        vscode.workspace.workspaceFolders?.[0].uri.fsPath,
        'the first import starts in the workspace folder',
      );
    }
    assert.equal(
      info.firstCall.args[0],
      'Imported 10 tracked emails from Tracker_Import Fixture.xml; 2 were already imported; ' +
        '1 entry was skipped (invalid)',
    );
    assert.deepEqual(info.firstCall.args.slice(1), ['Show problems']);
    assert.equal(error.callCount, 0);
    assert.equal(count('clicks', "WHERE contact_id LIKE 'IMP-%'"), 10);
    assert.equal(changes, 1, 'views are told to refresh');
  });

  it('shows the result in a notification and the new contacts in the Contacts view', async () => {
    // This one lets the real notification show, to read it as the user does.
    info.restore();
    info = sandbox.spy(vscode.window, 'showInformationMessage') as unknown as sinon.SinonStub;
    pick(path.join(fixtures, 'Tracker_UI Fixture.xml'));
    await vscode.commands.executeCommand('workbench.view.extension.emailTracking');
    await vscode.commands.executeCommand('notifications.clearAll');

    const result = await importCommand();
    assert.equal(result?.added, 3);
    if (!hasUiBridge()) {
      return;
    }
    // A notification shows as a toast, or only in the notification center when that is open
    // (as an earlier test may leave it): open the center so that either way it is on screen.
    await vscode.commands.executeCommand('notifications.showList');
    await eventually(async () => {
      const shown = await elementTexts('.notification-list-item-message');
      assert.ok(
        shown.includes('Imported 3 tracked emails from Tracker_UI Fixture.xml'),
        `notifications: ${shown.join(' | ')}`,
      );
    });
    await eventually(async () => {
      const labels = (await treeRows('Contacts')).map((row) => row.label);
      assert.ok(labels.includes('Contact UI-001'), `Contacts rows: ${labels.join(', ')}`);
      assert.ok(labels.includes('Contact UI-002'), `Contacts rows: ${labels.join(', ')}`);
    });
    await screenshot('import-notification.png');
    await vscode.commands.executeCommand('notifications.hideList');
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('adds nothing when the same file is imported again, starting in its folder', async () => {
    const file = path.join(fixtures, 'Tracker_Import Fixture.xml');
    const dialog = pick(file);
    const before = count('clicks');

    const result = await importCommand();
    assert.ok(result);
    assert.equal(result.added, 0);
    assert.equal(count('clicks'), before);
    assert.match(info.firstCall.args[0] as string, /^Imported 0 tracked emails from Tracker_/);
    const options = dialog.firstCall.args[0] as vscode.OpenDialogOptions;
    assert.equal(options.defaultUri?.fsPath, fixtures, 'the dialog starts where the last was');
  });

  it('refuses a file that is not well-formed, naming line and column; no change', async () => {
    pick(path.join(fixtures, 'Tracker_Broken.xml'));
    const clicksBefore = count('clicks');
    const importsBefore = count('imports');
    const savedBefore = readFileSync(api.store.databaseFile);

    const result = await importCommand();
    assert.ok(result?.refused);
    assert.equal(error.callCount, 1);
    const message = error.firstCall.args[0] as string;
    assert.match(message, /Tracker_Broken\.xml/);
    assert.match(
      message,
      new RegExp(`line ${result.refused.line}, column ${result.refused.column}`),
    );
    assert.ok(result.refused.line >= 20 && result.refused.line <= 27, message);
    assert.equal(count('clicks'), clicksBefore);
    assert.equal(count('imports'), importsBefore);
    assert.equal(count('clicks', "WHERE contact_id LIKE 'BAD-%'"), 0);
    assert.deepEqual(readFileSync(api.store.databaseFile), savedBefore);
  });

  it('leaves the database as it was when the import is cancelled', async () => {
    const file = path.join(scratch, 'Tracker_Cancel Fixture.xml');
    writeFileSync(file, trackerWithClicks(40_000));
    pick(file);
    const clicksBefore = count('clicks');
    const importsBefore = count('imports');
    const savedBefore = readFileSync(api.store.databaseFile);

    // The user presses Cancel on the notification as soon as progress shows.
    const cancel = new vscode.CancellationTokenSource();
    let options: vscode.ProgressOptions | undefined;
    sandbox.stub(vscode.window, 'withProgress').callsFake((given, task) => {
      options = given;
      const progress = { report: () => cancel.cancel() };
      return Promise.resolve(task(progress, cancel.token));
    });

    const result = await importCommand();
    assert.equal(result, undefined);
    assert.equal(options?.location, vscode.ProgressLocation.Notification);
    assert.equal(options?.cancellable, true);
    assert.match(info.firstCall.args[0] as string, /cancelled/i);
    assert.equal(count('clicks'), clicksBefore);
    assert.equal(count('imports'), importsBefore);
    assert.deepEqual(readFileSync(api.store.databaseFile), savedBefore);
    cancel.dispose();
  });

  it('imports a large file, read in a worker thread, with the right counts', async () => {
    assert.ok(
      existsSync(path.join(extensionPath, 'dist', 'trackerReadWorker.js')),
      'the reading thread is bundled',
    );
    // About 6 MB, well over the 1 MB from which a file is read in the thread; the first three
    // clicks come again at the end.
    const text = trackerWithClicks(30_000, 'BIG');
    const firstClicks = text
      .split('  <Click>')
      .slice(1, 4)
      .map((click) => `  <Click>${click}`);
    const file = path.join(scratch, 'Tracker_Big Fixture.xml');
    writeFileSync(file, text.replace('</Tracker>', `${firstClicks.join('')}</Tracker>`));
    pick(file);

    const result = await importCommand();
    assert.ok(result);
    assert.deepEqual([result.added, result.duplicates, result.invalid], [30_000, 3, 0]);
    assert.equal(count('clicks', "WHERE contact_id LIKE 'BIG-%'"), 30_000);
    assert.equal(error.callCount, 0);
  });

  it('lists past imports with their counts in Show import history', async () => {
    const quickPick = sandbox.stub(vscode.window, 'showQuickPick').resolves(undefined);
    await vscode.commands.executeCommand('linkTracking.showImportHistory');

    const items = quickPick.firstCall.args[0] as vscode.QuickPickItem[];
    const fixture = items.filter((item) => item.label === 'Tracker_Import Fixture.xml');
    // Newest first: the re-import that added nothing, then the first import.
    assert.deepEqual(
      fixture.map((item) => item.description),
      ['0 added, 0 already imported, 0 invalid', '10 added, 2 already imported, 1 invalid'],
    );
    assert.ok(!items.some((item) => item.label === 'Tracker_Broken.xml'), 'refused: not recorded');
  });

  it('keeps the imported clicks in the database file (read back by the CLI)', () => {
    const cli = path.join(extensionPath, 'dist', 'cli.js');
    const output = execFileSync(process.execPath, [
      cli,
      'clicks',
      '--db',
      api.store.databaseFile,
      '--contact',
      'IMP-001',
      '--json',
    ]).toString();
    assert.deepEqual(JSON.parse(output), [
      {
        contactId: 'IMP-001',
        template: 'Spring Newsletter',
        linkName: 'Book a review',
        date: '2026-03-14',
        time: '09:01:53',
      },
    ]);
  });

  it('keeps an import the command line made into its database, and shows it at once', async () => {
    const cli = path.join(extensionPath, 'dist', 'cli.js');
    const fromCli = path.join(scratch, 'Tracker_From CLI.xml');
    writeFileSync(fromCli, trackerWithClicks(5, 'CLI'));
    let changes = 0;
    const subscription = api.store.onDidChange(() => changes++);
    try {
      execFileSync(process.execPath, [cli, 'import', fromCli, '--db', api.store.databaseFile]);
      // The extension notices the save and loads the file: no reload of the window.
      await eventually(() => assert.equal(count('clicks', "WHERE contact_id LIKE 'CLI-%'"), 5));
      assert.ok(changes > 0, 'the views were told');
    } finally {
      subscription.dispose();
    }

    // The next import in VS Code saves the database without undoing the command line's.
    const file = path.join(scratch, 'Tracker_After CLI.xml');
    writeFileSync(file, trackerWithClicks(3, 'AFT'));
    pick(file);
    assert.equal((await importCommand())?.added, 3);
    const listed = JSON.parse(
      execFileSync(process.execPath, [cli, 'clicks', '--db', api.store.databaseFile, '--json'], {
        maxBuffer: 1 << 28,
      }).toString(),
    ) as { contactId: string }[];
    const ids = listed.map((click) => click.contactId);
    assert.equal(ids.filter((id) => id.startsWith('CLI-')).length, 5);
    assert.equal(ids.filter((id) => id.startsWith('AFT-')).length, 3);
  });

  it('says it is waiting while a command-line import holds the database, then imports', async () => {
    const file = path.join(scratch, 'Tracker_Wait Fixture.xml');
    writeFileSync(file, trackerWithClicks(4, 'WAIT'));
    pick(file);
    await vscode.commands.executeCommand('notifications.clearAll');
    // What the command line does for its whole run: hold the lock file beside the database.
    const release = await lockfile.lock(api.store.databaseFile, { realpath: false });
    let released = false;
    try {
      const importing = importCommand();
      if (hasUiBridge()) {
        await vscode.commands.executeCommand('notifications.showList');
        await eventually(async () => {
          const shown = await elementTexts('.notification-list-item-message');
          assert.ok(
            shown.some((text) =>
              /waiting for another program \(a link-tracking import\)/.test(text),
            ),
            `notifications: ${shown.join(' | ')}`,
          );
        });
        await screenshot('import-waiting-for-database.png');
      } else {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      assert.equal(
        count('clicks', "WHERE contact_id LIKE 'WAIT-%'"),
        0,
        'imported before its turn',
      );
      await release();
      released = true;
      const result = await importing;
      assert.equal(result?.added, 4);
      assert.equal(count('clicks', "WHERE contact_id LIKE 'WAIT-%'"), 4);
    } finally {
      if (!released) {
        await release();
      }
      await vscode.commands.executeCommand('notifications.hideList');
      await vscode.commands.executeCommand('notifications.clearAll');
    }
  });
});

/** A tracker file of `count` distinct clicks by contacts `<prefix>-0` to `<prefix>-996`. */
function trackerWithClicks(count: number, prefix = 'CAN'): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const parts = ['<?xml version="1.0" encoding="utf-8"?>\n<Tracker regName="Cancel">\n'];
  for (let i = 0; i < count; i++) {
    const time = `${two(Math.floor(i / 3600))}:${two(Math.floor(i / 60) % 60)}:${two(i % 60)}`;
    parts.push(
      `  <Click>\n    <EmailTemplate>Autumn</EmailTemplate>\n    <ContactID>${prefix}-${i % 997}` +
        `</ContactID>\n    <LinkName>Read more</LinkName>\n    <Date>2026-04-01</Date>\n` +
        `    <Time>${time}</Time>\n  </Click>\n`,
    );
  }
  parts.push('</Tracker>\n');
  return parts.join('');
}
