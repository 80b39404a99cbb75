import assert from 'node:assert/strict';
import type { EntryInfo } from '../../src/tracker/trackerValidator';
import { EntryTable, packEntries } from '../../src/vscode/trackerEntryTable';

const ENTRIES: EntryInfo[] = [
  {
    start: { line: 3, column: 3 },
    end: { line: 9, column: 11 },
    contactId: '1042',
    template: 'Spring Newsletter',
    linkName: 'Book a review',
    date: '2026-03-14',
    time: '09:26:53',
    rawDate: '14/03/2026',
    rawTime: '9:26:53',
  },
  // A bad entry: fields missing, empty and non-ASCII values must come back exactly.
  {
    start: { line: 10, column: 3 },
    end: { line: 10, column: 40 },
    template: '',
    linkName: 'Café 😀 <b>',
    rawDate: 'x',
  },
  {
    start: { line: 10, column: 41 },
    end: { line: 15, column: 11 },
    contactId: '7',
    rawTime: '25:61',
  },
];

describe('EntryTable', () => {
  it('gives back every entry exactly as packed, absent fields absent', () => {
    const table = EntryTable.of(ENTRIES);
    assert.equal(table.length, 3);
    assert.deepEqual(table.all(), ENTRIES);
    assert.equal('contactId' in table.at(1), false);
    assert.deepEqual(EntryTable.of([]).all(), []);
  });

  it('survives a structured clone with its buffers transferred', () => {
    const packed = packEntries(ENTRIES);
    const buffers = [packed.positions.buffer, packed.lengths.buffer] as ArrayBuffer[];
    const moved = structuredClone(packed, { transfer: buffers });
    assert.equal(packed.positions.length, 0, 'the buffers were moved, not copied');
    assert.deepEqual(new EntryTable(moved).all(), ENTRIES);
  });

  it('finds the entry holding a position, with both ends inclusive', () => {
    const table = EntryTable.of(ENTRIES);
    const contact = (line: number, column: number) => table.find(line, column)?.linkName;
    assert.equal(contact(3, 3), 'Book a review');
    assert.equal(contact(5, 1), 'Book a review');
    assert.equal(contact(9, 11), 'Book a review');
    assert.equal(contact(10, 20), 'Café 😀 <b>');
    assert.equal(table.find(10, 41)?.contactId, '7');
    assert.equal(table.find(3, 2), undefined, 'before the first entry');
    assert.equal(table.find(16, 1), undefined, 'after the last entry');
    assert.equal(EntryTable.of([]).find(1, 1), undefined);
  });
});
