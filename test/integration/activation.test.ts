// The extension activates in a real VS Code and its view container is what a person sees.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  elementAttributes,
  elementTexts,
  eventually,
  screenshot,
  treeRows,
  viewTitles,
} from './ui';

const EXTENSION_ID = 'email-link-tracking.email-link-tracking';

describe('Activation', () => {
  it('is activated by the tracker file in the workspace', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed in the extension host`);

    // The fixture workspace holds a Tracker_*.xml, so workspaceContains activates it unasked.
    await eventually(() => assert.equal(extension.isActive, true, 'not active yet'), 20_000);
    assert.equal(extension.packageJSON.displayName, 'Email Link Tracking');
  });

  it('shows the Email Tracking container with the Contacts and Clients views', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.emailTracking');

    const titles = await eventually(async () => {
      const shown = await viewTitles();
      assert.ok(shown.includes('Contacts'), `views shown: ${shown.join(', ')}`);
      assert.ok(shown.includes('Clients'), `views shown: ${shown.join(', ')}`);
      return shown;
    });
    assert.ok(titles.indexOf('Contacts') < titles.indexOf('Clients'), 'Contacts comes first');

    // The side bar's header names the container, as the user reads it.
    const header = await elementTexts('.part.sidebar .composite.title h2');
    assert.match(header.join(' '), /email tracking/i);

    // The activity bar has an entry for it, and it is the selected one.
    const entry = await elementAttributes(
      '.activitybar .action-item.checked .action-label',
      'aria-label',
    );
    assert.equal(entry.length, 1, 'one selected activity bar entry');
    assert.match(entry[0], /^Email Tracking/);

    // A fresh database has no contacts, so the view invites the user to import instead.
    if ((await treeRows('Contacts')).length === 0) {
      const welcome = await elementTexts('.pane-body .welcome-view-content');
      assert.match(welcome.join('\n'), /No tracked emails yet/);
      assert.match(welcome.join('\n'), /Import email tracking/);
    }

    const file = await screenshot('email-tracking-container.png');
    assert.match(file, /test-results[\\/]email-tracking-container\.png$/);
  });
});
