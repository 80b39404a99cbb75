// `npm start`: builds the extension, then serves VS Code (code-server) on 127.0.0.1 with the
// extension loaded from this working tree and samples/ open, and prints the URL to open.
// PORT=<n> picks the port (default: a free one). Ctrl-C stops everything it started.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);

const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], {
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('npm start: the build failed; nothing started.');
  process.exit(build.status ?? 1);
}

// The code-server helpers are TypeScript shared with the test harness.
require('esbuild-register/dist/node').register();
const codeServer = require('../test/harness/codeServer.ts');
const { workbenchUrl } = require('../test/harness/browser.ts');

const samples = path.join(root, 'samples');
// Before anything starts, so that a Ctrl-C at any moment takes code-server down with us.
codeServer.installExitHandlers();
await codeServer.ensureCodeServer();
const server = await codeServer.startCodeServer({
  workspace: samples,
  port: process.env.PORT ? Number(process.env.PORT) : undefined,
  verbose: Boolean(process.env.CODE_SERVER_VERBOSE),
});

console.log('\nEmail Link Tracking is running in VS Code (code-server) on sample data.');
console.log('Open this URL in a browser (the extension loads from this working tree):\n');
console.log(`  ${workbenchUrl(server.url, samples, root)}\n`);
console.log('After changing the code: stop with Ctrl-C and run `npm start` again.');
console.log('Press Ctrl-C to stop.');

server.process.once('exit', (code, signal) => {
  console.error(`code-server stopped (code ${code}, signal ${signal}).`);
  process.exit(1);
});
