// The UI bridge itself: what it reports matches what the workbench shows.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  allTreeRows,
  eventually,
  treeRowLabels,
  treeRows,
  viewTitles,
  webviewQuery,
  webviewText,
  webviewTitles,
} from './ui';

describe('UI bridge', () => {
  const folder = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'ui-bridge-probe');
  const names = Array.from({ length: 150 }, (_, i) => `probe-${String(i).padStart(3, '0')}.txt`);

  before(() => {
    fs.mkdirSync(folder, { recursive: true });
    for (const name of names) {
      fs.writeFileSync(path.join(folder, name), `${name}\n`);
    }
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('reads the rendered rows of a tree, and all of them by scrolling it', async () => {
    await vscode.commands.executeCommand('workbench.view.explorer');
    await vscode.commands.executeCommand(
      'revealInExplorer',
      vscode.Uri.file(path.join(folder, names[0])),
    );
    const title = await eventually(async () => {
      const shown = await viewTitles();
      const explorer = shown.find((t) => /^workspace$/i.test(t));
      assert.ok(explorer, `views shown: ${shown.join(', ')}`);
      return explorer;
    });

    // 150 files do not fit: the tree renders only the rows in view.
    const rendered = await eventually(async () => {
      const labels = await treeRowLabels(title);
      assert.ok(labels.includes(names[0]), labels.join(', '));
      return labels;
    });
    assert.ok(rendered.length < names.length, `${rendered.length} rows rendered`);

    const all = await allTreeRows(title);
    const probes = all.filter((row) => row.label.startsWith('probe-'));
    assert.deepEqual(
      probes.map((row) => row.label),
      names,
    );
    assert.ok(probes.every((row) => row.level === 2 && row.expanded === undefined));
    const parent = all.find((row) => row.label === 'ui-bridge-probe');
    assert.equal(parent?.expanded, true);

    // It scrolled back to the top.
    assert.equal((await treeRows(title))[0].label, all[0].label);
  });

  it('names the views it knows when asked for one that is not shown', async () => {
    await assert.rejects(treeRows('No Such View'), /no view titled 'No Such View'.*shown: /);
  });

  it('reads the title and the text of a visible webview', async () => {
    const panel = vscode.window.createWebviewPanel('uiBridgeProbe', 'Bridge Probe', {
      viewColumn: vscode.ViewColumn.One,
    });
    panel.webview.html =
      '<!DOCTYPE html><html><body><h1 id="probe">Hello bridge</h1></body></html>';
    try {
      await eventually(async () => assert.ok((await webviewTitles()).includes('Bridge Probe')));
      await eventually(async () => {
        assert.match(await webviewText('Bridge Probe'), /Hello bridge/);
        assert.deepEqual(await webviewQuery('#probe', 'Bridge Probe'), ['Hello bridge']);
        assert.match(await webviewText(), /Hello bridge/, 'the only one, asked for any');
      });
      await assert.rejects(webviewText('Other Title'), /not visible.*'Bridge Probe'/);
    } finally {
      panel.dispose();
    }
  });
});
