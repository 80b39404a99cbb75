// The extension host's test entry: runs every *.test.js bundled beside this file with mocha.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { hasUiBridge, screenshot } from './ui';

export async function run(): Promise<void> {
  console.log(`Integration tests in VS Code ${vscode.version}, Node ${process.version}`);

  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  if (files.length === 0) {
    throw new Error(`No integration test files (*.test.js) in ${__dirname}`);
  }
  for (const file of files) {
    mocha.addFile(path.join(__dirname, file));
  }

  // A picture of the window at the moment a test failed says more than its stack trace.
  mocha.suite.afterEach(async function () {
    const test = this.currentTest;
    if (test?.state === 'failed' && hasUiBridge()) {
      const name = test
        .fullTitle()
        .replace(/[^\w-]+/g, '-')
        .slice(0, 80);
      const file = await screenshot(`failed-${name}`).catch(() => undefined);
      console.log(file ? `    screenshot of the failure: ${file}` : '    (no screenshot)');
    }
  });

  const failures = await new Promise<number>((resolve, reject) => {
    try {
      mocha.run(resolve);
    } catch (error) {
      reject(error);
    }
  });
  if (failures > 0) {
    throw new Error(`${failures} integration test(s) failed`);
  }
}
