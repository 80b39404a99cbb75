// Bundles test/integration/*.ts into out/test/integration/run-*/ for the extension host.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './codeServer';

export const INTEGRATION_SOURCE_DIR = path.join(REPO_ROOT, 'test', 'integration');
const INTEGRATION_OUT_ROOT = path.join(REPO_ROOT, 'out', 'test', 'integration');

export interface BuiltTests {
  /** The compiled test entry (exports run()). */
  entry: string;
  /** The names of the test files built. */
  tests: string[];
  /** Removes this run's build. */
  remove(): void;
}

/**
 * Builds the test entry and the test files; `grep` (a regular expression on file names) keeps
 * only some *.test.ts files. Each run gets a folder of its own, so that runs started at the
 * same time in one working tree do not delete each other's files. It must be inside the
 * extension's folder: the extension host gives tests the `vscode` API by their file's path.
 */
export async function buildIntegrationTests(grep?: string): Promise<BuiltTests> {
  const filter = grep ? new RegExp(grep, 'i') : undefined;
  const sources = fs.readdirSync(INTEGRATION_SOURCE_DIR).filter((name) => name.endsWith('.ts'));
  const tests = sources.filter((name) => name.endsWith('.test.ts'));
  const selected = tests.filter((name) => !filter || filter.test(name));
  if (selected.length === 0) {
    throw new Error(`No integration test file matches '${grep}' (files: ${tests.join(', ')})`);
  }
  const helpers = sources.filter((name) => !name.endsWith('.test.ts'));

  fs.mkdirSync(INTEGRATION_OUT_ROOT, { recursive: true });
  const outdir = fs.mkdtempSync(path.join(INTEGRATION_OUT_ROOT, 'run-'));
  await esbuild.build({
    entryPoints: [...helpers, ...selected].map((name) => path.join(INTEGRATION_SOURCE_DIR, name)),
    outdir,
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
  return {
    entry: path.join(outdir, 'index.js'),
    tests: selected,
    remove: () => fs.rmSync(outdir, { recursive: true, force: true }),
  };
}
