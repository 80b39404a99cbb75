// What the packaged .vsix may hold: the bundles, the wasm, media/, the manifest, README,
// CHANGELOG and LICENSE, and vsce's own metadata; never sources, tests, maps or node_modules.
import * as yauzl from 'yauzl';

const REQUIRED = [
  '[Content_Types].xml',
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/sql-wasm.wasm',
  'extension/dist/trackerValidationWorker.js',
  'extension/dist/trackerReadWorker.js',
];

const ALLOWED: RegExp[] = [
  // Bundled entry points built from src/ (the extension and any worker it starts).
  /^extension\/dist\/[\w-]+\.js$/,
  /^extension\/media\/.+/,
];

const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /(^|\/)node_modules\//, why: 'node_modules (everything is bundled)' },
  { pattern: /(^|\/)(test|out|samples)\//, why: 'test, build output or sample file' },
  { pattern: /(^|\/)src\//, why: 'source file' },
  { pattern: /\.map$/, why: 'source map' },
  { pattern: /\.ts$/, why: 'TypeScript file' },
  { pattern: /^extension\/dist\/cli\.js$/, why: 'the CLI bundle (shipped through npm)' },
];

/** The problems with a .vsix's entry list; empty when it holds exactly what it should. */
export function vsixProblems(entries: string[]): string[] {
  const problems: string[] = [];
  const present = new Set(entries);
  for (const name of REQUIRED) {
    if (!present.has(name)) {
      problems.push(`missing: ${name}`);
    }
  }
  for (const name of entries) {
    const forbidden = FORBIDDEN.find((f) => f.pattern.test(name));
    if (forbidden) {
      problems.push(`must not be packaged (${forbidden.why}): ${name}`);
    } else if (!REQUIRED.includes(name) && !ALLOWED.some((p) => p.test(name))) {
      problems.push(`unexpected file: ${name}`);
    }
  }
  return problems;
}

/** The names of the files in a .vsix (a zip), directories left out. */
export function listVsix(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) {
        reject(error ?? new Error(`cannot open ${file}`));
        return;
      }
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) {
          names.push(entry.fileName);
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
