// The runner that keeps large tracker validations off the editor's main thread.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { validateTracker } from '../../src/tracker/trackerValidator';
import { formatTrackerFile } from '../../src/tracker/trackerWriter';
import {
  TrackerValidationRunner,
  type ValidatedTracker,
} from '../../src/vscode/trackerValidationRunner';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(ROOT, 'dist', 'trackerValidationWorker.js');

const TEXT =
  formatTrackerFile('ABC Ltd', [
    {
      template: 'Spring Newsletter',
      contactId: '1042',
      linkName: 'Book a review',
      date: '2026-03-14',
      time: '09:26:53',
    },
  ]).replace('2026-03-14', '31/02/2026') + '<Click><Date>x</Date></Click>';

/** The runner's result with its entries unpacked, comparable to validateTracker's. */
function plain(result: ValidatedTracker | undefined) {
  return result && json({ ...result, entries: result.entries.all() });
}

/** Drops properties set to undefined, which packing does not keep. */
function json(value: unknown) {
  return JSON.parse(JSON.stringify(value));
}

describe('TrackerValidationRunner', function () {
  this.timeout(60_000);
  let runner: TrackerValidationRunner | undefined;

  before(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT });
  });

  afterEach(() => runner?.dispose());

  it('gives the same result in the worker as inline', async () => {
    runner = new TrackerValidationRunner({ workerScript: WORKER, inlineBelow: 0 });
    const inWorker = await runner.validate({ key: 'a', text: TEXT, dateOrder: 'dmy' });
    assert.deepEqual(plain(inWorker), json(validateTracker(TEXT, { dateOrder: 'dmy' })));
    const mdy = await runner.validate({ key: 'a', text: TEXT, dateOrder: 'mdy' });
    assert.deepEqual(plain(mdy), json(validateTracker(TEXT, { dateOrder: 'mdy' })));
  });

  it('skips requests replaced by a newer one for the same document before they started', async () => {
    runner = new TrackerValidationRunner({ workerScript: WORKER, inlineBelow: 0 });
    const first = runner.validate({ key: 'a', text: TEXT, dateOrder: 'dmy' });
    const stale = runner.validate({ key: 'a', text: `${TEXT} `, dateOrder: 'dmy' });
    const other = runner.validate({ key: 'b', text: TEXT, dateOrder: 'dmy' });
    const newest = runner.validate({ key: 'a', text: `${TEXT}  `, dateOrder: 'dmy' });

    assert.ok(await first, 'the request already running completes');
    assert.equal(await stale, undefined);
    assert.ok(await other, 'another document is not affected');
    assert.ok(await newest);
  });

  it('validates inline when the worker script is missing', async () => {
    runner = new TrackerValidationRunner({
      workerScript: path.join(ROOT, 'dist', 'no-such-worker.js'),
      inlineBelow: 0,
    });
    const result = await runner.validate({ key: 'a', text: TEXT, dateOrder: 'dmy' });
    assert.deepEqual(plain(result), json(validateTracker(TEXT, { dateOrder: 'dmy' })));
  });

  it('answers every waiting request when disposed', async () => {
    runner = new TrackerValidationRunner({ workerScript: WORKER, inlineBelow: 0 });
    const running = runner.validate({ key: 'a', text: TEXT, dateOrder: 'dmy' });
    const waiting = runner.validate({ key: 'b', text: TEXT, dateOrder: 'dmy' });
    runner.dispose();
    assert.equal(await running, undefined);
    assert.equal(await waiting, undefined);
  });
});
