// Debian's Chromium, headless, driven by playwright-core (which downloads no browser of its own).
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_PATH, checkBrowser } from './codeServer';

export async function launchChromium(): Promise<Browser> {
  checkBrowser();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The workbench URL that loads an extension from `extensionPath` and, optionally, its tests. */
export function workbenchUrl(
  serverUrl: string,
  workspace: string,
  extensionPath: string,
  testsEntry?: string,
): string {
  // VS Code's browser test mechanism: paths are given as URIs on the server's remote authority.
  const remote = (file: string) => `vscode-remote://${new URL(serverUrl).host}${file}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', remote(extensionPath)]];
  if (testsEntry) {
    payload.push(['extensionTestsPath', remote(testsEntry)]);
  }
  const query = new URLSearchParams({ folder: workspace, payload: JSON.stringify(payload) });
  return `${serverUrl}/?${query.toString()}`;
}
