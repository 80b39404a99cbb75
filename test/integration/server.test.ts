// The link tracking server in a real VS Code: start by command, make a link, click it, import it.
import * as assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import * as vscode from 'vscode';
import { click, elementTexts, eventually, hasUiBridge, screenshot } from './ui';

const EXTENSION_ID = 'email-link-tracking.email-link-tracking';
const PASTED_TARGET =
  'https://shop.example/search?fulltext=campus&amp;f[0]=themes:2&f[1]=themes:1706';
const TARGET = 'https://shop.example/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706';
const CONTACT = 'SRV-42';
const TEMPLATE = 'Server <Test> & Co';

interface ServerInfo {
  url: string;
  host: string;
  port: number;
  file: string;
}

interface ExtensionApi {
  store: { database: { db: { exec(sql: string): { values: unknown[][] }[] } } };
}

function get(url: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, location: response.headers.location });
      })
      .on('error', reject);
  });
}

/**
 * Makes a tracked link for one contact through the command, answering its questions from
 * `answers` (target, template, link name, contact ID); what it did not ask stays in `answers`.
 */
async function makeLinkByCommand(answers: string[]): Promise<string | undefined> {
  const sandbox = sinon.createSandbox();
  try {
    sandbox.stub(vscode.window, 'showInputBox').callsFake(async () => answers.shift());
    sandbox.stub(vscode.window, 'showQuickPick').callsFake((async (
      items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>,
    ) => {
      const list = await items;
      return (
        list.find((item) => item.label === 'One contact') ??
        list.find((item) => item.label.includes('Enter a contact ID'))
      );
    }) as never);
    const made = (await vscode.commands.executeCommand('linkTracking.createTrackedLink')) as
      { link: string } | undefined;
    return made?.link;
  } finally {
    sandbox.restore();
  }
}

async function statusBarText(): Promise<string> {
  return (await elementTexts('.statusbar-item')).join(' | ');
}

describe('Link tracking server', () => {
  const config = () => vscode.workspace.getConfiguration('linkTracking');
  let sandbox: sinon.SinonSandbox;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    await config().update('regName', 'Server Test', vscode.ConfigurationTarget.Workspace);
    // Port 0: any free port, so the test never collides with a server on 8787.
    await config().update('server.port', 0, vscode.ConfigurationTarget.Workspace);
  });

  beforeEach(() => (sandbox = sinon.createSandbox()));
  afterEach(() => sandbox.restore());

  after(async () => {
    await vscode.commands.executeCommand('linkTracking.stopServer');
    for (const setting of ['regName', 'server.port', 'trackingUrl']) {
      await config().update(setting, undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('records a click on a link made by command, counts it, and imports it', async () => {
    const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as ExtensionApi;
    const info = (await vscode.commands.executeCommand('linkTracking.startServer')) as ServerInfo;
    assert.ok(info, 'the server did not start');
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/LinkTracking$/);
    assert.match(info.file, /Tracker_Server Test\.xml$/);
    if (hasUiBridge()) {
      await eventually(async () =>
        assert.match(await statusBarText(), new RegExp(`127\\.0\\.0\\.1:${info.port} · 0 clicks`)),
      );
    }
    await config().update('trackingUrl', info.url, vscode.ConfigurationTarget.Workspace);

    // The four questions: target (pasted with &amp;), template, link name, then one contact.
    const answers = [PASTED_TARGET, TEMPLATE, 'Campus themes', CONTACT];
    const link = await makeLinkByCommand(answers);
    assert.ok(link, 'no link was made');
    assert.ok(link.startsWith(`${info.url}?`), link);
    assert.equal(await vscode.env.clipboard.readText(), link, 'link not copied');
    assert.deepEqual(answers, [], 'every question was asked');

    const head = await new Promise<number>((resolve, reject) =>
      http
        .request(link, { method: 'HEAD' }, (response) => resolve(response.statusCode ?? 0))
        .on('error', reject)
        .end(),
    );
    assert.equal(head, 302);
    const answer = await get(link);
    assert.equal(answer.status, 302);
    assert.equal(answer.location, TARGET);
    const forged = await get(link.replace(`c=${CONTACT}`, 'c=SRV-43'));
    assert.equal(forged.status, 403);

    if (hasUiBridge()) {
      await eventually(async () =>
        assert.match(
          await statusBarText(),
          new RegExp(`127\\.0\\.0\\.1:${info.port} · 1 click\\b`),
        ),
      );
      await screenshot('server-status-bar.png');
    }

    sandbox.stub(vscode.window, 'showOpenDialog').resolves([vscode.Uri.file(info.file)]);
    const imported = (await vscode.commands.executeCommand('linkTracking.importEmailTracking')) as {
      added: number;
      invalid: number;
      refused?: unknown;
    };
    assert.equal(imported.refused, undefined);
    assert.equal(imported.invalid, 0);
    assert.equal(imported.added, 1, 'one click (the HEAD and the forged link are not recorded)');

    const rows = api.store.database.db.exec(
      `SELECT template, link_name FROM clicks WHERE contact_id = '${CONTACT}'`,
    );
    assert.deepEqual(rows[0]?.values, [[TEMPLATE, 'Campus themes']]);
  });

  it('offers copy URL and import now when its status bar item is clicked', async () => {
    const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as ExtensionApi;
    const info = (await vscode.commands.executeCommand('linkTracking.startServer')) as ServerInfo;
    const openMenu = async (action: string) => {
      const offered: string[] = [];
      const pick = sandbox.stub(vscode.window, 'showQuickPick').callsFake((async (
        items: readonly string[] | Thenable<readonly string[]>,
      ) => {
        offered.push(...(await items));
        return offered.find((item) => item.endsWith(action));
      }) as never);
      if (hasUiBridge()) {
        await click('.statusbar-item:has-text("127.0.0.1")');
        await eventually(() => assert.ok(pick.called, 'the menu did not open'));
      } else {
        await vscode.commands.executeCommand('linkTracking.serverMenu');
      }
      pick.restore();
      return offered;
    };

    const offered = await openMenu('Copy URL');
    assert.deepEqual(
      offered.map((item) => item.replace(/^\$\([a-z-]+\) /, '')),
      ['Stop server', 'Copy URL', 'Open tracker file', 'Import now'],
    );
    await eventually(async () => assert.equal(await vscode.env.clipboard.readText(), info.url));

    // A second click, a second later (the import treats the same second as the same click).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const link = await makeLinkByCommand([
      'https://example.org/again',
      'Server Test Again',
      'Again',
      'SRV-99',
    ]);
    assert.ok(link, 'no link was made');
    assert.equal((await get(link)).status, 302);
    const count = () =>
      Number(
        api.store.database.db.exec(
          "SELECT COUNT(*) FROM clicks WHERE contact_id IN ('SRV-42', 'SRV-99')",
        )[0].values[0][0],
      );
    const before = count();
    await openMenu('Import now');
    await eventually(() => assert.equal(count(), before + 1));
  });

  it('stops by command and leaves the status bar', async () => {
    await vscode.commands.executeCommand('linkTracking.stopServer');
    if (hasUiBridge()) {
      await eventually(async () => assert.doesNotMatch(await statusBarText(), /· \d+ click/));
    }
  });

  it('names the port when it is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await config().update('server.port', port, vscode.ConfigurationTarget.Workspace);
      const shown = sandbox.stub(vscode.window, 'showErrorMessage').resolves(undefined);
      const info = await vscode.commands.executeCommand('linkTracking.startServer');
      assert.equal(info, undefined);
      assert.match(String(shown.firstCall.args[0]), new RegExp(`port ${port} .*already in use`));
    } finally {
      blocker.close();
      await config().update('server.port', 0, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('exports and imports the signing key, and makes a mail-merge file for a client', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'link-keys-'));
    const saveTo = [path.join(folder, 'exported.key'), path.join(folder, 'links.csv')];
    sandbox
      .stub(vscode.window, 'showSaveDialog')
      .callsFake(async () => vscode.Uri.file(saveTo.shift()!));
    const newKey = randomBytes(32);
    fs.writeFileSync(path.join(folder, 'new.key'), `${newKey.toString('base64url')}\n`);
    const contactsCsv = path.join(folder, 'contacts.csv');
    fs.writeFileSync(
      contactsCsv,
      'ContactID,Name,Email,Client\n' +
        'MM-1,"Lee, Ann ""Nan""",ann@example.org,Mail Merge Ltd\n' +
        'MM-2,Bo Ölund,bo@example.org,Mail Merge Ltd\n' +
        'MM-3,Other Person,o@example.org,Other Ltd\n',
    );
    const open = [path.join(folder, 'new.key'), contactsCsv];
    sandbox
      .stub(vscode.window, 'showOpenDialog')
      .callsFake(async () => [vscode.Uri.file(open.shift()!)]);
    sandbox.stub(vscode.window, 'showWarningMessage').resolves('Replace key' as never);

    await vscode.commands.executeCommand('linkTracking.exportKey');
    const exported = path.join(folder, 'exported.key');
    assert.equal(fs.statSync(exported).mode & 0o777, 0o600, 'key file readable by others');
    assert.match(fs.readFileSync(exported, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);

    await vscode.commands.executeCommand('linkTracking.importKey');
    await vscode.commands.executeCommand('linkTracking.importContacts');

    const answers = ['https://example.org/offer?a=1&amp;b=2', 'Merge Template', 'Offer'];
    sandbox.stub(vscode.window, 'showInputBox').callsFake(async () => answers.shift());
    sandbox.stub(vscode.window, 'showQuickPick').callsFake((async (
      items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>,
    ) => {
      const list = await items;
      return list.find((item) =>
        ['All contacts of a client', 'Mail Merge Ltd'].includes(item.label),
      );
    }) as never);
    const made = (await vscode.commands.executeCommand('linkTracking.createTrackedLink')) as {
      csvFile: string;
      count: number;
    };
    assert.equal(made?.count, 2);

    const csv = fs.readFileSync(path.join(folder, 'links.csv'), 'utf8');
    // Rows come in name order (Bo before Lee); check them in contact ID order.
    const [header, ...rows] = csv
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    const lines = [header, ...rows.sort()];
    assert.equal(lines[0], 'ContactID,Name,Email,TrackedLink');
    assert.equal(lines.length, 3, csv);
    assert.ok(lines[1].startsWith('MM-1,"Lee, Ann ""Nan""",ann@example.org,http'), lines[1]);
    assert.match(lines[2].normalize('NFC'), /^MM-2,Bo Ölund,bo@example\.org,http/);
    for (const [index, line] of lines.slice(1).entries()) {
      // The documented signature: HMAC-SHA256 over ["elt1", t, c, n, u], base64url.
      const query = new URL(line.slice(line.lastIndexOf(',') + 1)).searchParams;
      const fields = ['t', 'c', 'n', 'u'].map((name) => query.get(name));
      assert.deepEqual(fields, [
        'Merge Template',
        `MM-${index + 1}`,
        'Offer',
        'https://example.org/offer?a=1&b=2',
      ]);
      const signature = createHmac('sha256', newKey)
        .update(JSON.stringify(['elt1', ...fields]))
        .digest('base64url');
      assert.equal(query.get('s'), signature, 'not signed with the imported key');
    }
  });
});
