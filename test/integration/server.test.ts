// The link tracking server in a real VS Code: start by command, make a link, click it, import it.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as sinon from 'sinon';
import * as vscode from 'vscode';
import { elementTexts, eventually, hasUiBridge, screenshot } from './ui';

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
    const created = (await vscode.commands.executeCommand('linkTracking.createTrackedLink')) as {
      link: string;
    };
    assert.ok(created?.link, 'no link was made');
    assert.ok(created.link.startsWith(`${info.url}?`), created.link);
    assert.equal(await vscode.env.clipboard.readText(), created.link, 'link not copied');
    assert.deepEqual(answers, [], 'every question was asked');

    const head = await new Promise<number>((resolve, reject) =>
      http
        .request(created.link, { method: 'HEAD' }, (response) => resolve(response.statusCode ?? 0))
        .on('error', reject)
        .end(),
    );
    assert.equal(head, 302);
    const answer = await get(created.link);
    assert.equal(answer.status, 302);
    assert.equal(answer.location, TARGET);
    const forged = await get(created.link.replace(`c=${CONTACT}`, 'c=SRV-43'));
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
});
