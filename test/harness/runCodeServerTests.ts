// `npm run test:integration`: runs test/integration inside VS Code served by code-server, with
// Debian's Chromium showing the workbench. Exits with the suite's exit code.
//
// Environment: INTEGRATION_GREP=<regexp> runs only matching test files;
// INTEGRATION_TIMEOUT_MS (default 600000) bounds the whole run; CODE_SERVER_VERBOSE=1 echoes
// code-server's own log; KEEP_CODE_SERVER_TEMP=1 keeps its user data folder (logs) afterwards.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium, workbenchUrl } from './browser';
import { buildIntegrationTests } from './buildIntegrationTests';
import {
  REPO_ROOT,
  checkBrowser,
  copyFolder,
  ensureCodeServer,
  installExitHandlers,
  startCodeServer,
  type RunningCodeServer,
} from './codeServer';
import { FIXTURE_WORKSPACE, RESULTS_DIR } from './fixtureWorkspace';
import { UI_BRIDGE_ENV, UiBridge } from './uiBridge';

async function main(): Promise<number> {
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const timeoutMs = Number(process.env.INTEGRATION_TIMEOUT_MS ?? 600_000);

  checkBrowser();
  await ensureCodeServer();
  const built = await buildIntegrationTests(process.env.INTEGRATION_GREP);
  console.log(`[harness] built ${built.tests.length} test file(s): ${built.tests.join(', ')}`);

  const workspaceParent = fs.mkdtempSync(path.join(os.tmpdir(), 'elt-workspace-'));
  const workspace = path.join(workspaceParent, 'workspace');
  copyFolder(FIXTURE_WORKSPACE, workspace);

  let browser: Browser | undefined;
  let server: RunningCodeServer | undefined;
  let bridge: UiBridge | undefined;
  const cleanup = async () => {
    await bridge?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(workspaceParent, { recursive: true, force: true });
    built.remove();
  };
  installExitHandlers(cleanup);

  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    bridge = new UiBridge(page, RESULTS_DIR);
    const bridgeUrl = await bridge.listen();

    server = await startCodeServer({
      workspace,
      env: { [UI_BRIDGE_ENV]: bridgeUrl },
      verbose: Boolean(process.env.CODE_SERVER_VERBOSE),
    });
    console.log(`[harness] code-server ${server.url} up after ${seconds()}`);

    let finish: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => (finish = resolve));
    // VS Code's browser workbench calls these with the extension host's log and its exit code.
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const line = util.format(...(Array.isArray(args) ? args : [args]));
      // code-server looks up its extension gallery, which cannot be reached offline: harmless.
      if (!/ENOTFOUND open-vsx\.org/.test(line)) {
        (type === 'error' ? console.error : console.log)(line);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => finish(code));
    page.on('pageerror', (error) => console.error(`[browser] page error: ${error.message}`));
    // Neither a dead server nor a crashed page would ever report an exit code: stop waiting.
    page.on('crash', () => {
      console.error('[harness] the browser page crashed');
      finish(1);
    });
    const onServerExit = (code: number | null, signal: string | null) => {
      console.error(`[harness] code-server exited during the run (code ${code}, ${signal})`);
      finish(1);
    };
    server.process.once('exit', onServerExit);

    await page.goto(workbenchUrl(server.url, workspace, REPO_ROOT, built.entry));

    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => resolve(-1), timeoutMs).unref(),
    );
    const code = await Promise.race([exitCode, timeout]);
    server.process.off('exit', onServerExit);
    if (code === -1) {
      const file = path.join(RESULTS_DIR, 'integration-timeout.png');
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: file }).catch(() => undefined);
      console.error(`[harness] the suite did not finish within ${timeoutMs} ms (see ${file})`);
      keepLogs(server.userDataDir);
      return 1;
    }
    console.log(`[harness] integration tests exited with code ${code} after ${seconds()}`);
    if (code !== 0) {
      keepLogs(server.userDataDir);
    }
    return code;
  } finally {
    await cleanup();
  }
}

/** Keeps VS Code's logs of a failed run (they go with its temporary folder otherwise). */
function keepLogs(userDataDir: string): void {
  const target = path.join(RESULTS_DIR, 'vscode-logs');
  fs.rmSync(target, { recursive: true, force: true });
  if (fs.existsSync(path.join(userDataDir, 'logs'))) {
    fs.cpSync(path.join(userDataDir, 'logs'), target, { recursive: true });
    console.log(`[harness] VS Code's logs of this run: ${target}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[harness] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
