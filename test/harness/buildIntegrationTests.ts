// Bundles test/integration/*.ts into out/test/integration/*.js for the extension host.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './codeServer';

export const INTEGRATION_SOURCE_DIR = path.join(REPO_ROOT, 'test', 'integration');
export const INTEGRATION_OUT_DIR = path.join(REPO_ROOT, 'out', 'test', 'integration');

/**
 * Builds the test entry and the test files; `grep` (a regular expression on file names) keeps
 * only some *.test.ts files. Returns the names of the test files built.
 */
export async function buildIntegrationTests(grep?: string): Promise<string[]> {
  const filter = grep ? new RegExp(grep, 'i') : undefined;
  const sources = fs.readdirSync(INTEGRATION_SOURCE_DIR).filter((name) => name.endsWith('.ts'));
  const tests = sources.filter((name) => name.endsWith('.test.ts'));
  const selected = tests.filter((name) => !filter || filter.test(name));
  if (selected.length === 0) {
    throw new Error(`No integration test file matches '${grep}' (files: ${tests.join(', ')})`);
  }
  const helpers = sources.filter((name) => !name.endsWith('.test.ts'));

  // Start clean so that a test file deleted or filtered out does not run from an old build.
  fs.rmSync(INTEGRATION_OUT_DIR, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [...helpers, ...selected].map((name) => path.join(INTEGRATION_SOURCE_DIR, name)),
    outdir: INTEGRATION_OUT_DIR,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    // mocha, sinon and friends are loaded from the repository's node_modules at run time.
    packages: 'external',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return selected;
}
