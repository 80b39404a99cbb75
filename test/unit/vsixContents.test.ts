import * as assert from 'node:assert/strict';
import { vsixProblems } from '../../test/harness/vsixContents';

const GOOD = [
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
  'extension/media/tracking.svg',
  'extension/media/trackedEmails.js',
];

describe('vsix contents rule', () => {
  it('accepts the bundles, the wasm, media, manifest and documents', () => {
    assert.deepEqual(vsixProblems(GOOD), []);
  });

  it('names each required file that is missing', () => {
    const problems = vsixProblems(
      GOOD.filter((n) => !n.endsWith('.wasm') && n !== 'extension/readme.md'),
    );
    assert.deepEqual(problems.sort(), [
      'missing: extension/dist/sql-wasm.wasm',
      'missing: extension/readme.md',
    ]);
  });

  for (const [name, why] of [
    ['extension/src/extension.ts', 'source file'],
    ['extension/node_modules/sql.js/package.json', 'node_modules'],
    ['extension/test/unit/x.test.ts', 'test'],
    ['extension/out/src/extension.js', 'build output'],
    ['extension/samples/contacts.csv', 'sample'],
    ['extension/dist/extension.js.map', 'source map'],
    ['extension/dist/cli.js', 'CLI bundle'],
  ]) {
    it(`refuses ${name}`, () => {
      const problems = vsixProblems([...GOOD, name]);
      assert.equal(problems.length, 1);
      assert.match(problems[0], new RegExp(`${why}.*${name.replace(/\./g, '\\.')}$`));
    });
  }

  it('refuses a file nobody listed', () => {
    assert.deepEqual(vsixProblems([...GOOD, 'extension/tsconfig.json']), [
      'unexpected file: extension/tsconfig.json',
    ]);
  });
});
