// The entries of a validated tracker file, packed into two typed arrays and one string.
// A 10 MB file has some 50,000 entries: as objects, copying them from the worker thread blocks
// the extension host for hundreds of milliseconds; packed, the arrays move without a copy and
// objects are made only for the entries that are asked for.
import type { EntryInfo } from '../tracker/trackerValidator';

/** What crosses the thread boundary; `positions` and `lengths` buffers are transferred. */
export interface PackedEntries {
  /** startLine, startColumn, endLine, endColumn per entry (1-based). */
  positions: Int32Array;
  /** The length in `texts` of each text field per entry, -1 when the field is absent. */
  lengths: Int32Array;
  /** Every present text field, concatenated in entry and field order. */
  texts: string;
}

const TEXT_FIELDS = [
  'contactId',
  'template',
  'linkName',
  'date',
  'time',
  'rawDate',
  'rawTime',
] as const;
const FIELDS = TEXT_FIELDS.length;

export function packEntries(entries: readonly EntryInfo[]): PackedEntries {
  const positions = new Int32Array(entries.length * 4);
  const lengths = new Int32Array(entries.length * FIELDS);
  const texts: string[] = [];
  entries.forEach((entry, i) => {
    positions.set([entry.start.line, entry.start.column, entry.end.line, entry.end.column], i * 4);
    TEXT_FIELDS.forEach((field, f) => {
      const value = entry[field];
      lengths[i * FIELDS + f] = value === undefined ? -1 : value.length;
      if (value !== undefined) {
        texts.push(value);
      }
    });
  });
  return { positions, lengths, texts: texts.join('') };
}

export class EntryTable {
  /** Where each entry's first field starts in `texts`. */
  private readonly offsets: Float64Array;

  constructor(private readonly packed: PackedEntries) {
    const count = packed.positions.length / 4;
    this.offsets = new Float64Array(count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      this.offsets[i] = offset;
      for (let f = 0; f < FIELDS; f++) {
        offset += Math.max(packed.lengths[i * FIELDS + f], 0);
      }
    }
  }

  static of(entries: readonly EntryInfo[]): EntryTable {
    return new EntryTable(packEntries(entries));
  }

  get length(): number {
    return this.offsets.length;
  }

  at(index: number): EntryInfo {
    const p = this.packed.positions;
    const entry: EntryInfo = {
      start: { line: p[index * 4], column: p[index * 4 + 1] },
      end: { line: p[index * 4 + 2], column: p[index * 4 + 3] },
    };
    let offset = this.offsets[index];
    TEXT_FIELDS.forEach((field, f) => {
      const length = this.packed.lengths[index * FIELDS + f];
      if (length >= 0) {
        entry[field] = this.packed.texts.slice(offset, offset + length);
        offset += length;
      }
    });
    return entry;
  }

  all(): EntryInfo[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i));
  }

  /** The entry whose range holds the 1-based position (entries are in file order). */
  find(line: number, column: number): EntryInfo | undefined {
    const p = this.packed.positions;
    const before = (l1: number, c1: number, l2: number, c2: number) =>
      l1 < l2 || (l1 === l2 && c1 < c2);
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const at = middle * 4;
      if (before(line, column, p[at], p[at + 1])) {
        high = middle - 1;
      } else if (before(p[at + 2], p[at + 3], line, column)) {
        low = middle + 1;
      } else {
        return this.at(middle);
      }
    }
    return undefined;
  }
}
