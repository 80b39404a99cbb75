// `npm run test:desktop`: the same integration suite in a desktop VS Code (@vscode/test-electron).
// Needs a desktop VS Code: VSCODE_EXECUTABLE=/path/to/code, or a machine that can download one.
// The UI bridge (test/integration/ui.ts) is only served by the code-server harness, so tests that
// ask it about the DOM fail here with a message saying so.
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIntegrationTests } from './buildIntegrationTests';
import { REPO_ROOT, copyFolder } from './codeServer';
import { FIXTURE_WORKSPACE } from './fixtureWorkspace';

async function main(): Promise<number> {
  const built = await buildIntegrationTests(process.env.INTEGRATION_GREP);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'elt-desktop-'));
  const workspace = path.join(temp, 'workspace');
  copyFolder(FIXTURE_WORKSPACE, workspace);
  const executable = process.env.VSCODE_EXECUTABLE;
  if (executable && !fs.existsSync(executable)) {
    throw new Error(`VSCODE_EXECUTABLE is ${executable}, which does not exist`);
  }

  try {
    return await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { version: '1.100.3' }),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: built.entry,
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--user-data-dir',
        path.join(temp, 'user-data'),
        '--extensions-dir',
        path.join(temp, 'extensions'),
      ],
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Could not run the suite in a desktop VS Code: ${reason}\n` +
        (executable
          ? ''
          : 'No desktop VS Code was given and none could be downloaded. Set VSCODE_EXECUTABLE ' +
            'to a local VS Code binary (e.g. /usr/share/code/code), or run the same suite in ' +
            'code-server with `npm run test:integration`.'),
    );
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
    built.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[desktop tests] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
