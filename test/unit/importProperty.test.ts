import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { listClicks } from '../../src/store/clickQueries';
import { TrackingDatabase } from '../../src/store/database';
import { importTrackerFile } from '../../src/store/importer';
import { dedupKey } from '../../src/tracker/dedupKey';
import { type ClickFields, formatTrackerFile } from '../../src/tracker/trackerWriter';

const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

// Small alphabets so that random clicks often share a key; characters that need escaping and
// non-ASCII text are in on purpose. Values have no surrounding space: the reader trims it.
const text = (chars: string[]) =>
  fc
    .array(fc.constantFrom(...chars), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join(''))
    .filter((value) => value.trim() === value);

const clickArbitrary: fc.Arbitrary<ClickFields> = fc.record({
  template: text(['Spring', 'News', ' ', '&', '<', '"', "'", 'é', '日本', 'w', 'W']),
  contactId: text(['1', '2', '0', 'A']),
  linkName: text(['Book', 'Read', ' ', '>', '&amp;']),
  date: fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10)),
  time: fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom(0, 59))
    .map((parts) => parts.map((n) => String(n).padStart(2, '0')).join(':')),
});

describe('import property: written, shuffled, duplicated and re-read clicks', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'tracking-property-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('import to exactly the set of distinct keys, whatever the order and repetition', async () => {
    // Every click at least once, some repeated, then shuffled and split over two files.
    const writtenArbitrary = fc
      .array(clickArbitrary, { minLength: 1, maxLength: 40 })
      .chain((distinctish) =>
        fc
          .array(fc.nat({ max: distinctish.length - 1 }), { maxLength: 40 })
          .map((repeats) => [...distinctish, ...repeats.map((r) => distinctish[r])]),
      )
      .chain((written) =>
        fc.tuple(
          fc.shuffledSubarray(written, { minLength: written.length }),
          fc.nat({ max: written.length }),
        ),
      );

    await fc.assert(
      fc.asyncProperty(writtenArbitrary, async ([written, cut]) => {
        const first = path.join(folder, 'Tracker_one.xml');
        const second = path.join(folder, 'Tracker_two.xml');
        writeFileSync(first, formatTrackerFile('Reg & Co', written.slice(0, cut)));
        writeFileSync(second, formatTrackerFile('Reg & Co', written.slice(cut)));

        const database = await TrackingDatabase.openInMemory(wasmPath);
        try {
          const a = await importTrackerFile(database, first, { dateOrder: 'dmy' });
          const b = await importTrackerFile(database, second, { dateOrder: 'dmy' });

          const expected = new Set(written.map(dedupKey));
          const stored = listClicks(database.db).map(dedupKey);
          assert.equal(stored.length, expected.size);
          assert.deepEqual(new Set(stored), expected);
          assert.equal(a.added + b.added, expected.size);
          assert.equal(a.added + a.duplicates + b.added + b.duplicates, written.length);
          assert.equal(a.invalid + b.invalid, 0);
        } finally {
          database.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
