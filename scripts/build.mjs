// Builds the extension and the CLI bundles with esbuild and ships sql.js's wasm beside them.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const release = process.argv.includes('--release');
const watch = process.argv.includes('--watch');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !release,
  minify: release,
  logLevel: 'warning',
};

const bundles = [
  {
    ...common,
    entryPoints: [path.join(root, 'src/extension.ts')],
    outfile: path.join(root, 'dist/extension.js'),
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile: path.join(root, 'dist/cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // Validates large tracker files off the extension host's main thread.
    ...common,
    entryPoints: [path.join(root, 'src/vscode/trackerValidationWorker.ts')],
    outfile: path.join(root, 'dist/trackerValidationWorker.js'),
  },
  {
    // Reads large tracker files in a thread of their own while the importer inserts.
    ...common,
    entryPoints: [path.join(root, 'src/tracker/trackerReadWorker.ts')],
    outfile: path.join(root, 'dist/trackerReadWorker.js'),
  },
];

mkdirSync(path.join(root, 'dist'), { recursive: true });
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(root, 'dist/sql-wasm.wasm'));

if (watch) {
  for (const options of bundles) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log('esbuild: watching src/ for changes');
} else {
  await Promise.all(bundles.map((options) => esbuild.build(options)));
}
