// What a person sees, for integration tests: ask the harness's Playwright page about the DOM.
//
// Tests run in the extension host (Node); the browser that shows the workbench is driven by the
// harness (test/harness/runCodeServerTests.ts). The harness serves a small HTTP bridge on
// 127.0.0.1 and passes its URL in the environment variable LINK_TRACKING_UI_BRIDGE.
//
// API (all async, all throw with a readable message when the thing asked for is not there):
//   viewTitles()                     titles of the view panes shown ('Contacts', 'Clients', …)
//   treeRows(viewTitle)              rows of a tree view: { label, description, ariaLabel,
//                                    level, expanded }; only rendered (visible) rows
//   treeRowLabels(viewTitle)         just the labels of those rows
//   allTreeRows(viewTitle)           every row, also those scrolled out of view (scrolls the
//                                    tree through with the mouse wheel, leaves it at the top)
//   webviewText(title?)              innerText of the body of a visible webview (by panel title,
//                                    or the first visible one)
//   webviewQuery(selector, title?)   innerText of each element matching a CSS selector inside it
//   webviewTitles()                  titles of the visible webviews
//   elementTexts(selector)           innerText of each workbench element matching a selector
//   elementAttributes(selector, name)  that attribute of each matching element ('' if absent)
//   click(selector)                  click the first workbench element matching a selector
//   pressKey(keys)                   Playwright key syntax, e.g. 'Escape', 'Control+Shift+P'
//   typeText(text)                   type into whatever has focus
//   screenshot(name)                 PNG of the whole window into test-results/<name>.png
//   eventually(fn, timeoutMs?)       retry fn until it stops throwing (the UI renders late)
//   hasUiBridge()                    false when run by a harness without a browser (desktop)
//   setTheme(name)                   switch the colour theme (through settings, not the bridge)
//
// A test that fails gets a screenshot, test-results/failed-<title>.png (test/integration/index.ts).
// Selectors are Playwright selectors on the workbench page, e.g. '.notifications-toasts',
// '.statusbar-item', 'text=Import email tracking'.
import * as http from 'node:http';
import * as vscode from 'vscode';

export interface TreeRow {
  label: string;
  description: string;
  ariaLabel: string;
  /** 1 for top-level rows. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
}

const BRIDGE_ENV = 'LINK_TRACKING_UI_BRIDGE';

export function hasUiBridge(): boolean {
  return Boolean(process.env[BRIDGE_ENV]);
}

function call<T>(op: string, ...args: unknown[]): Promise<T> {
  const url = process.env[BRIDGE_ENV];
  if (!url) {
    return Promise.reject(
      new Error(`UI bridge unavailable: ${BRIDGE_ENV} is not set (run by the code-server harness)`),
    );
  }
  const body = JSON.stringify({ op, args });
  return new Promise<T>((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 60_000 },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          try {
            const reply = JSON.parse(text) as { ok: boolean; result?: T; error?: string };
            if (reply.ok) {
              resolve(reply.result as T);
            } else {
              reject(new Error(reply.error));
            }
          } catch {
            reject(new Error(`UI bridge: unreadable reply to ${op}: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`UI bridge: ${op} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

export const viewTitles = () => call<string[]>('viewTitles');

export const treeRows = (viewTitle: string) => call<TreeRow[]>('treeRows', viewTitle);

export const allTreeRows = (viewTitle: string) => call<TreeRow[]>('allTreeRows', viewTitle);

export async function treeRowLabels(viewTitle: string): Promise<string[]> {
  return (await treeRows(viewTitle)).map((row) => row.label);
}

export const webviewText = (title?: string) => call<string>('webviewText', title);

export const webviewQuery = (selector: string, title?: string) =>
  call<string[]>('webviewQuery', selector, title);

export const webviewTitles = () => call<string[]>('webviewTitles');

export const elementTexts = (selector: string) => call<string[]>('elementTexts', selector);

export const elementAttributes = (selector: string, name: string) =>
  call<string[]>('elementAttributes', selector, name);

export const click = (selector: string) => call<boolean>('click', selector);

export const pressKey = (keys: string) => call<boolean>('pressKey', keys);

export const typeText = (text: string) => call<boolean>('typeText', text);

/** Saves a screenshot under test-results/ and returns its path. */
export const screenshot = (name: string) => call<string>('screenshot', name);

/** Retries `fn` every 200 ms until it resolves without throwing; rethrows the last error. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Switches the colour theme, e.g. 'Default Dark Modern', 'Default High Contrast'. */
export async function setTheme(name: string): Promise<void> {
  const settings = vscode.workspace.getConfiguration('workbench');
  await settings.update('colorTheme', name, vscode.ConfigurationTarget.Global);
  // The workbench repaints after the setting has been applied; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 500));
}
