// Unit tests run from the TypeScript sources; a worker thread needs JavaScript. This bundles the
// reading thread once per test run, the way scripts/build.mjs does for dist/.
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let script: string | undefined;

export function readerWorkerScript(): string {
  if (!script) {
    const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'reader-worker-')), 'worker.js');
    buildSync({
      entryPoints: [path.resolve(__dirname, '../../src/tracker/trackerReadWorker.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    });
    script = outfile;
  }
  return script;
}
