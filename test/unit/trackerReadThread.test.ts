import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TrackerEntry } from '../../src/tracker/trackerEntry';
import {
  packTrackerEntries,
  readTrackerFileInThread,
  unpackTrackerEntries,
} from '../../src/tracker/trackerReadThread';
import {
  readTrackerFile,
  type ReadFileOptions,
  type ReadResult,
} from '../../src/tracker/trackerReader';
import { type ClickFields, formatTrackerFile } from '../../src/tracker/trackerWriter';
import { readerWorkerScript } from './readerWorkerBundle';

function click(i: number): ClickFields {
  return {
    template: i % 3 === 0 ? 'Früh­jahr 🌸 <News>' : 'Spring Newsletter',
    contactId: String(1000 + i),
    linkName: i % 5 === 0 ? '' : 'Book a review',
    date: '2026-03-14',
    time: [Math.floor(i / 3600) % 24, Math.floor(i / 60) % 60, i % 60]
      .map((n) => String(n).padStart(2, '0'))
      .join(':'),
  };
}

/** Reads `path` in the bundled reading thread, however small it is. */
function readInThread(
  path: string,
  options: Pick<ReadFileOptions, 'onEntries' | 'onProgress' | 'signal'>,
): Promise<ReadResult> {
  return readTrackerFileInThread(path, {
    dateOrder: 'dmy',
    workerScript: readerWorkerScript(),
    inlineBelow: 0,
    ...options,
  });
}

describe('reading a tracker file in a worker thread', () => {
  let folder: string;
  let file: string;
  const count = 45_000; // more than two of the reader's batches of 20,000

  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'read-thread-'));
    file = path.join(folder, 'Tracker_ABC Ltd.xml');
    writeFileSync(
      file,
      formatTrackerFile(
        'ABC Ltd',
        Array.from({ length: count }, (_, i) => click(i)),
      ),
    );
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  async function readInline(): Promise<TrackerEntry[]> {
    const entries: TrackerEntry[] = [];
    await readTrackerFile(file, {
      dateOrder: 'dmy',
      onEntries: (batch) => void entries.push(...batch),
    });
    return entries;
  }

  it('packs and unpacks entries exactly, empty and non-BMP text included', () => {
    const entries: TrackerEntry[] = [
      { ...click(0), line: 3, column: 3 },
      { ...click(5), line: 10, column: 1 },
      {
        template: '',
        contactId: '𝒳',
        linkName: 'a\u2028b',
        date: 'd',
        time: 't',
        line: 1,
        column: 9,
      },
    ];
    assert.deepEqual(unpackTrackerEntries(packTrackerEntries(entries)), entries);
    assert.deepEqual(unpackTrackerEntries(packTrackerEntries([])), []);
  });

  it('hands over the same entries, in file order and in batches, as reading inline', async () => {
    const batches: number[] = [];
    const entries: TrackerEntry[] = [];
    let lastProgress = 0;
    const result = await readInThread(file, {
      onEntries(batch) {
        batches.push(batch.length);
        entries.push(...batch);
      },
      onProgress(bytesRead) {
        assert.ok(bytesRead >= lastProgress, 'progress never goes back');
        lastProgress = bytesRead;
      },
    });
    assert.ok(batches.length >= 3, `${batches.length} batches`);
    assert.equal(result.problems.length, 0);
    assert.ok(result.completeBytes > 0);
    assert.deepEqual(entries, await readInline());
    assert.equal(entries.length, count);
  });

  it('ends the read with the error of a consumer that throws, and stops the thread', async () => {
    let calls = 0;
    await assert.rejects(
      readInThread(file, {
        onEntries() {
          calls++;
          throw new Error('database or disk is full');
        },
      }),
      /database or disk is full/,
    );
    assert.equal(calls, 1, 'no entries are handed over after the error');
  });

  it('ends the read with the rejection of a consumer that returns a promise', async () => {
    let calls = 0;
    await assert.rejects(
      readInThread(file, {
        async onEntries() {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('the disk is full');
        },
      }),
      /the disk is full/,
    );
    assert.ok(calls >= 1);
  });

  it('rejects with the reason of a cancellation', async () => {
    const abort = new AbortController();
    const reason = new Error('cancelled by the user');
    await assert.rejects(
      readInThread(file, {
        signal: abort.signal,
        onEntries: () => abort.abort(reason),
      }),
      (error) => error === reason,
    );
  });

  it('fails with the error reading inline gives when the thread cannot read the file', async () => {
    // A socket passes the size check, but opening it fails (ENXIO).
    const socket = path.join(folder, 'tracker.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const inline = await readTrackerFile(socket, { dateOrder: 'dmy', onEntries() {} }).then(
        () => assert.fail('reading a socket succeeded'),
        (error: Error) => error.message,
      );
      await assert.rejects(
        readInThread(socket, { onEntries() {} }),
        (error: Error) => error.message === inline,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a folder as reading inline does', async () => {
    const inline = await readTrackerFile(folder, { dateOrder: 'dmy', onEntries() {} });
    const threaded = await readInThread(folder, { onEntries() {} });
    assert.match(inline.refused?.message ?? '', /not a regular file/);
    assert.deepEqual(threaded.refused, inline.refused);
  });

  it('reads inline when the worker script is missing', async () => {
    const entries: TrackerEntry[] = [];
    await readTrackerFileInThread(file, {
      dateOrder: 'dmy',
      workerScript: path.join(folder, 'no-such-worker.js'),
      inlineBelow: 0,
      onEntries: (batch) => void entries.push(...batch),
    });
    assert.equal(entries.length, count);
  });
});
