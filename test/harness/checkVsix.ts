// Checks the packaged .vsix: its file list, then that it installs into code-server with
// --install-extension and that the installed copy really activates there.
// Usage: node -r esbuild-register test/harness/checkVsix.ts [contents|install] <file.vsix>
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import {
  ENTRY,
  REPO_ROOT,
  copyFolder,
  ensureCodeServer,
  installExitHandlers,
  startCodeServer,
  type RunningCodeServer,
} from './codeServer';
import { RESULTS_DIR } from './fixtureWorkspace';
import { listVsix, vsixProblems } from './vsixContents';

const EXTENSION_ID = 'email-link-tracking.email-link-tracking';

async function checkContents(vsix: string): Promise<void> {
  const entries = await listVsix(vsix);
  const problems = vsixProblems(entries);
  console.log(`${path.basename(vsix)} holds ${entries.length} files:`);
  for (const name of entries) {
    console.log(`  ${name}`);
  }
  if (problems.length > 0) {
    throw new Error(`the .vsix does not hold what it should:\n  ${problems.join('\n  ')}`);
  }
  console.log('contents: as expected');
}

function codeServerCli(args: string[], temp: string): string {
  const config = path.join(temp, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  const common = ['--config', config, '--user-data-dir', path.join(temp, 'cli-user-data')];
  return execFileSync(process.execPath, [ENTRY, ...common, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Files under `dir` whose path matches, searched recursively. */
function findFiles(dir: string, match: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => match(file) && fs.statSync(file).isFile());
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

async function checkInstall(vsix: string): Promise<void> {
  await ensureCodeServer();
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'elt-vsix-'));
  const extensionsDir = path.join(temp, 'extensions');
  const workspace = path.join(temp, 'samples');
  copyFolder(path.join(REPO_ROOT, 'samples'), workspace);

  let browser: Browser | undefined;
  let server: RunningCodeServer | undefined;
  const cleanup = async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(temp, { recursive: true, force: true });
  };
  installExitHandlers(cleanup);

  try {
    const installed = codeServerCli(
      ['--extensions-dir', extensionsDir, '--install-extension', vsix],
      temp,
    );
    console.log(installed.trim());
    const listed = codeServerCli(
      ['--extensions-dir', extensionsDir, '--list-extensions', '--show-versions'],
      temp,
    );
    console.log(`installed extensions: ${listed.trim() || 'none'}`);
    if (!listed.includes(`${EXTENSION_ID}@`)) {
      throw new Error(`${EXTENSION_ID} is not listed after --install-extension`);
    }

    // No development path and no tests: the workbench loads only what is installed.
    server = await startCodeServer({ workspace, extensionsDir });
    const userDataDir = server.userDataDir;
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);

    // samples/ holds a Tracker_*.xml, so the installed extension activates on its own; its log
    // channel writes a line from activate() into the extension host's log folder.
    const logFile = await waitFor('the extension to log its activation', 90_000, async () => {
      const logs = findFiles(path.join(userDataDir, 'logs'), (file) =>
        file.includes(`${path.sep}${EXTENSION_ID}${path.sep}`),
      );
      return logs.find((file) => /activated/.test(fs.readFileSync(file, 'utf8')));
    });
    const line = fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => /activated/.test(l));
    console.log(`activation logged in ${path.relative(userDataDir, logFile)}:\n  ${line}`);

    const entry = page.locator('.activitybar .action-label[aria-label^="Email Tracking"]');
    await entry.first().click({ timeout: 30_000 });
    const contacts = page.locator('.pane-header h3.title', { hasText: /^\s*Contacts\s*$/i });
    await contacts.first().waitFor({ timeout: 30_000 });
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'vsix-installed.png') });
    console.log('install: the installed .vsix activates and shows the Email Tracking views');
  } finally {
    await cleanup();
  }
}

async function main(): Promise<void> {
  const [mode, vsixArgument] = process.argv.slice(2);
  if (!['contents', 'install'].includes(mode) || !vsixArgument) {
    throw new Error('usage: checkVsix.ts contents|install <file.vsix>');
  }
  const vsix = path.resolve(vsixArgument);
  if (!fs.existsSync(vsix)) {
    throw new Error(`${vsix} does not exist (run npm run package first)`);
  }
  await (mode === 'contents' ? checkContents(vsix) : checkInstall(vsix));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[vsix check] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
