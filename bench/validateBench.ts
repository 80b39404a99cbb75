// `npm run bench:validate`: how long validating a 10 MB tracker file takes, and how long the
// main thread is blocked while it happens through the editor's runner (worker thread).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import path from 'node:path';
import type { ValidationResult } from '../src/tracker/trackerValidator';
import { validateTracker } from '../src/tracker/trackerValidator';
import { formatClick, formatTrackerFile, type ClickFields } from '../src/tracker/trackerWriter';
import { EntryTable } from '../src/vscode/trackerEntryTable';
import { packResult, TrackerValidationRunner } from '../src/vscode/trackerValidationRunner';

const TARGET_BYTES = 10 * 1024 * 1024;
const WORKER_SCRIPT = path.resolve(__dirname, '..', 'dist', 'trackerValidationWorker.js');

/** A canonical tracker text of about `bytes` characters with a few problems sprinkled in. */
function trackerText(bytes: number): { text: string; clicks: number } {
  const clicks: ClickFields[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const second = i % 86_400;
    const click: ClickFields = {
      template: `Newsletter ${i % 12}`,
      contactId: String(1000 + (i % 5000)),
      linkName: `Link ${i % 7}`,
      date: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
      time: [second / 3600, (second / 60) % 60, second % 60]
        .map((n) => String(Math.floor(n)).padStart(2, '0'))
        .join(':'),
    };
    // Every 1000th click repeats the one before (a duplicate) or has an impossible date.
    let entry = click;
    if (i % 1000 === 999) {
      entry = { ...clicks[clicks.length - 1], linkName: 'again' };
    } else if (i % 1000 === 500) {
      entry = { ...click, date: '31/02/2026' };
    }
    clicks.push(entry);
    size += formatClick(entry).length;
  }
  return { text: formatTrackerFile('Bench Ltd', clicks), clicks: clicks.length };
}

function mb(chars: number): string {
  return `${(chars / 1024 / 1024).toFixed(1)} MB`;
}

/** Runs `work` while sampling how long the event loop is held up (the main-thread block). */
async function withLoopMonitor<T>(
  work: () => Promise<T>,
): Promise<{ value: T; ms: number; maxBlockMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // A ticking timer: gaps between ticks beyond the 1 ms period are time the loop was busy.
  let last = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  const value = await work();
  const ms = performance.now() - start;
  clearInterval(ticker);
  histogram.disable();
  const maxBlockMs = Math.max(maxGap, histogram.max / 1e6);
  return { value, ms, maxBlockMs };
}

function describe(result: ValidationResult): string {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  return `${result.entries.length} entries, ${errors} errors, ${
    result.diagnostics.length - errors
  } warnings`;
}

async function main(): Promise<void> {
  const { text, clicks } = trackerText(TARGET_BYTES);
  console.log(`Tracker text: ${mb(text.length)}, ${clicks} clicks`);

  // Warm up the validator (JIT) on a small slice, then measure inline twice.
  validateTracker(trackerText(200_000).text, { dateOrder: 'dmy' });
  const inline: number[] = [];
  let result: ValidationResult | undefined;
  for (let run = 0; run < 2; run++) {
    const start = performance.now();
    result = validateTracker(text, { dateOrder: 'dmy' });
    inline.push(performance.now() - start);
  }
  console.log(`Inline validateTracker: ${inline.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  console.log(`  result: ${describe(result as ValidationResult)}`);
  console.log(`  (inline, the whole time is one main-thread block)`);

  const runner = new TrackerValidationRunner({ workerScript: WORKER_SCRIPT });
  try {
    // First request pays for starting the worker.
    const cold = await withLoopMonitor(() =>
      runner.validate({ key: 'bench', text, dateOrder: 'dmy' }),
    );
    console.log(
      `Worker (cold): ${cold.ms.toFixed(0)} ms until the result, ` +
        `longest main-thread block ${cold.maxBlockMs.toFixed(1)} ms`,
    );
    const warm = await withLoopMonitor(() =>
      runner.validate({ key: 'bench', text, dateOrder: 'dmy' }),
    );
    console.log(
      `Worker (warm): ${warm.ms.toFixed(0)} ms until the result, ` +
        `longest main-thread block ${warm.maxBlockMs.toFixed(1)} ms`,
    );
    if (!warm.value || warm.value.entries.length !== result?.entries.length) {
      throw new Error('the worker and the inline validation disagree');
    }

    // Typing: five edits in a row while one validation runs; only the newest must be validated.
    const edits = [0, 1, 2, 3, 4].map((n) => text.replace('Newsletter 0', `Newsletter 0 ${n}`));
    const typing = await withLoopMonitor(() =>
      Promise.all(
        edits.map((edited) => runner.validate({ key: 'bench', text: edited, dateOrder: 'dmy' })),
      ),
    );
    const validated = typing.value.filter((r) => r !== undefined).length;
    console.log(
      `Typing burst (5 edits): ${typing.ms.toFixed(0)} ms, ${validated} validated, ` +
        `${5 - validated} skipped as stale, longest main-thread block ` +
        `${typing.maxBlockMs.toFixed(1)} ms`,
    );
  } finally {
    runner.dispose();
  }

  // The loop gaps above also count time the OS did not schedule this thread (other processes
  // on the machine). These are the main thread's own synchronous steps, timed directly.
  const resultObjects = result as ValidationResult;
  // Median of three runs; `work` may return the time of the part that counts.
  const median = (work: () => unknown) => {
    const times = [0, 1, 2].map(() => {
      const start = performance.now();
      const timed = work();
      return typeof timed === 'number' ? timed : performance.now() - start;
    });
    return times.sort((a, b) => a - b)[1];
  };
  const send = median(() => structuredClone(text));
  const receivePacked = median(() => {
    const packed = packResult(resultObjects);
    const buffers = [packed.entries.positions.buffer, packed.entries.lengths.buffer];
    const start = performance.now();
    const moved = structuredClone(packed, { transfer: buffers as ArrayBuffer[] });
    new EntryTable(moved.entries);
    return performance.now() - start;
  });
  const receiveObjects = median(() => structuredClone(resultObjects));
  console.log(
    `Main thread per validation: send the text ${send.toFixed(1)} ms; receive the packed ` +
      `result ${receivePacked.toFixed(1)} ms (as plain objects it would be ` +
      `${receiveObjects.toFixed(0)} ms)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
