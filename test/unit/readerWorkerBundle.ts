// Unit tests run from the TypeScript sources; a worker thread needs JavaScript. This bundles the
// reading thread once per test run, the way scripts/build.mjs does for dist/.
import { buildSync } from 'esbuild';
import path from 'node:path';
import { scratchFolder } from './scratchFolder';

let script: string | undefined;

export function readerWorkerScript(): string {
  if (!script) {
    const outfile = path.join(scratchFolder('reader-worker-'), 'worker.js');
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
