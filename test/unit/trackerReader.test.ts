import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { SaxesParser } from 'saxes';
import { dedupKey } from '../../src/tracker/dedupKey';
import type { DateOrder, TrackerEntry } from '../../src/tracker/trackerEntry';
import {
  decodeTracker,
  readTracker,
  readTrackerFile,
  type ReadOptions,
  type ReadResult,
} from '../../src/tracker/trackerReader';
import {
  formatClick,
  formatTrackerFile,
  ROOT_END_TAG,
  trackerFileStart,
} from '../../src/tracker/trackerWriter';
import { click } from './clickFixture';

const CORPUS = join(__dirname, '..', 'fixtures', 'tracker');

interface Expectation {
  file?: string;
  dateOrder?: DateOrder;
  firstLine?: number;
  encoding: string;
  completeBytes: number;
  completeLines: number;
  invalid?: number;
  entries: [number, number, string, string, string, string, string][];
  problems?: [string, number, number, string][];
  refused?: [number, number, string];
}

const manifest = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<
  string,
  Expectation | string
>;

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tracker-reader-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Reads a file through the streaming path, collecting what it hands out. */
async function readStreamed(
  path: string,
  options: ReadOptions & { chunkSize?: number; startOffset?: number },
): Promise<ReadResult & { batches: number }> {
  const entries: TrackerEntry[] = [];
  let batches = 0;
  const result = await readTrackerFile(path, {
    ...options,
    onEntries: (batch) => {
      batches++;
      entries.push(...batch);
    },
  });
  assert.deepEqual(result.entries, [], 'entries go to onEntries only');
  return { ...result, entries: result.refused ? [] : entries, batches };
}

function withoutBatches(result: ReadResult & { batches?: number }): ReadResult {
  const rest = { ...result };
  delete rest.batches;
  return rest;
}

function readBytes(text: string, options: Partial<ReadOptions> = {}): ReadResult {
  return readTracker(Buffer.from(text, 'utf8'), { dateOrder: 'dmy', ...options });
}

describe('trackerReader: the shared corpus, through every path', () => {
  const names = Object.keys(manifest).filter((name) => !name.startsWith('_'));

  it('covers every file in the corpus folder', () => {
    const files = readdirSync(CORPUS).filter((name) => name.endsWith('.xml'));
    const covered = new Set(names.map((name) => (manifest[name] as Expectation).file ?? name));
    assert.deepEqual(
      files.filter((file) => !covered.has(file)),
      [],
    );
  });

  for (const name of names) {
    const expected = manifest[name] as Expectation;
    const file = join(CORPUS, expected.file ?? name);
    const options: ReadOptions = {
      dateOrder: expected.dateOrder ?? 'dmy',
      firstLine: expected.firstLine,
    };

    it(`${name}: reads as expected in memory`, () => {
      const result = readTracker(readFileSync(file), options);
      assert.deepEqual(
        result.entries.map((e) => [
          e.line,
          e.column,
          e.template,
          e.contactId,
          e.linkName,
          e.date,
          e.time,
        ]),
        expected.entries,
      );
      const problems = result.problems.map((p) => [p.severity, p.line, p.column, p.message]);
      assert.equal(problems.length, (expected.problems ?? []).length, JSON.stringify(problems));
      (expected.problems ?? []).forEach(([severity, line, column, text], k) => {
        assert.deepEqual(problems[k].slice(0, 3), [severity, line, column]);
        assert.ok(String(problems[k][3]).includes(text), `${problems[k][3]} ~ ${text}`);
      });
      if (expected.refused) {
        const [line, column, text] = expected.refused;
        assert.ok(result.refused, 'refused');
        assert.deepEqual([result.refused.line, result.refused.column], [line, column]);
        assert.ok(result.refused.message.includes(text), result.refused.message);
      } else {
        assert.equal(result.refused, undefined, result.refused?.message);
      }
      assert.equal(result.invalid, expected.invalid ?? 0);
      assert.equal(result.encoding, expected.encoding);
      assert.equal(result.completeBytes, expected.completeBytes);
      assert.equal(result.completeLines, expected.completeLines);
    });

    for (const chunkSize of [undefined, 1, 7, 64]) {
      it(`${name}: streaming in ${chunkSize ?? 'default'}-byte chunks gives the same`, async () => {
        const inMemory = readTracker(readFileSync(file), options);
        const streamed = await readStreamed(file, { ...options, chunkSize });
        assert.deepEqual(withoutBatches(streamed), inMemory);
      });
    }
  }

  it('files read as complete documents are well-formed to fast-xml-parser too', () => {
    for (const name of names) {
      const expected = manifest[name] as Expectation;
      const file = join(CORPUS, expected.file ?? name);
      const text = readTracker(readFileSync(file), {
        dateOrder: 'dmy',
      });
      const complete =
        !text.refused &&
        text.problems.every((p) => p.severity === 'error') &&
        !['fragments.xml', 'tail-fragment.xml'].includes(name);
      if (
        complete &&
        !name.startsWith('utf16') &&
        !name.includes('1252') &&
        !name.includes('8859')
      ) {
        const xml = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
        assert.equal(XMLValidator.validate(xml), true, name);
      }
    }
    const refused = XMLValidator.validate(
      readFileSync(join(CORPUS, 'not-well-formed.xml'), 'utf8'),
    );
    assert.notEqual(refused, true);
    assert.equal(refused !== true && refused.err.line, 12);
  });
});

describe('trackerReader: well-formedness, refused with line and column', () => {
  const cases: [string, string, number, number, string][] = [
    ['unknown entity', '<T>\n<C>&nbsp;</C></T>', 2, 4, 'Unknown entity &nbsp;'],
    ['bare ampersand', '<T>\n  <C>Q & A</C></T>', 2, 8, "'&' must be written as &amp;"],
    ['< in an attribute', '<T>\n<C a="x<y"/></T>', 2, 8, "'<' is not allowed"],
    ['repeated attribute', '<T>\n<C a="1" a="2"/></T>', 2, 10, 'Attribute a is repeated'],
    ['unquoted attribute', '<T>\n<C a=1/></T>', 2, 6, 'must be in quotes'],
    ['control character', '<T>\n<C>x\u0001</C></T>', 2, 5, 'U+0001'],
    ['text outside any element', '<T/>\nstray text\n', 2, 1, 'Text outside any element'],
    [']]> in text', '<T>a]]>b</T>', 1, 5, "']]>'"],
    ['-- in a comment', '<T><!-- a -- b --></T>', 1, 11, "'--'"],
    ['declaration not at the start', ' <?xml version="1.0"?><T/>', 1, 2, 'very start'],
    ['mismatched end tag', '<T>\n  <A>\n  </B>\n</T>', 3, 3, 'does not match'],
    ['bad character reference', '<T>&#0;</T>', 1, 4, 'not a character XML allows'],
    ['lone <', '<T>\n a < b</T>', 2, 5, "'<' must start a tag"],
    ['end tag with no start, then more', '<C/></T>\n<C/>', 1, 5, 'has no start tag'],
    ['DOCTYPE without entities', '<!DOCTYPE T>\n<T/>', 1, 1, 'DOCTYPE'],
  ];
  for (const [title, text, line, column, message] of cases) {
    it(`${title}: nothing imported, error at ${line}:${column}`, async () => {
      const good = formatClick(click());
      const result = readBytes(text.replace('<T>', `<T>\n${good}`));
      const plain = readBytes(text);
      assert.ok(plain.refused, `refused: ${JSON.stringify(plain)}`);
      assert.deepEqual([plain.refused.line, plain.refused.column], [line, column]);
      assert.ok(plain.refused.message.includes(message), plain.refused.message);
      assert.deepEqual(plain.entries, []);
      assert.ok(result.refused, 'a good entry before the error is not imported either');
      assert.deepEqual(result.entries, []);

      const path = join(tmp, 'refused.xml');
      writeFileSync(path, text);
      for (const chunkSize of [1, 3, undefined]) {
        const streamed = await readStreamed(path, { dateOrder: 'dmy', chunkSize });
        assert.deepEqual(withoutBatches(streamed), plain);
      }
    });
  }

  it('a cut-off entry followed by more entries is not well-formed', () => {
    const text =
      trackerFileStart('X') + '  <Click>\n    <Date>2026\n' + formatClick(click()) + ROOT_END_TAG;
    const result = readBytes(text);
    assert.ok(result.refused);
    assert.equal(result.refused.line, 12);
    assert.ok(
      result.refused.message.includes('start tag <Date> on line 4'),
      result.refused.message,
    );
  });

  it('an end tag with no start is tolerated at the very end (a file that lost its head)', () => {
    const result = readBytes(formatClick(click()) + '</Tracker>\n<!-- done -->\n');
    assert.equal(result.refused, undefined);
    assert.equal(result.entries.length, 1);
    assert.deepEqual(result.problems, []);
  });

  it('a fragment tail may close elements opened before it, anywhere', () => {
    const tail = `${formatClick(click())}</Batch>\n<Batch>\n${formatClick(click({ contactId: '7' }))}`;
    const result = readBytes(`${tail}</Batch>\n</Tracker>\n`, { firstLine: 30 });
    assert.equal(result.refused, undefined);
    assert.deepEqual(
      result.entries.map((e) => [e.contactId, e.line]),
      [
        ['1042', 30],
        ['7', 39],
      ],
    );
    assert.ok(readBytes(`${tail}</Batch>\n</Tracker>\n`).refused, 'not in a whole file');
  });

  it('refuses an encoding it cannot decode, and an undeclared UTF-16 without BOM is sniffed', () => {
    const unsupported = readBytes('<?xml version="1.0" encoding="x-klingon"?>\n<T/>');
    assert.ok(unsupported.refused?.message.includes('x-klingon'));
    const utf16 = Buffer.from(
      formatTrackerFile('X', [click()]).replace(/ encoding="utf-8"/, ''),
      'utf16le',
    );
    const result = readTracker(utf16, { dateOrder: 'dmy' });
    assert.equal(result.encoding, 'utf-16le');
    assert.equal(result.entries.length, 1);
  });
});

describe('trackerReader: entries and fields', () => {
  it('finds entries at any depth, with any root and entry names', () => {
    const text =
      '<Root><Batch id="1"><Hit><Template>T</Template><Contact>1</Contact><Link>L</Link>' +
      '<Date>2026-03-14</Date><Time>09:00</Time></Hit></Batch></Root>';
    assert.deepEqual(
      readBytes(text).entries.map((e) => [e.template, e.contactId, e.linkName, e.time]),
      [['T', '1', 'L', '09:00:00']],
    );
  });

  it('an element holding entries is a container, even with field-like attributes', () => {
    const text = `<Export Date="2026-03-14" Time="10:00">\n${formatClick(click())}</Export>\n`;
    const result = readBytes(text);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(
      result.entries.map((e) => e.line),
      [2],
    );
  });

  it('a single entry may be the whole document', () => {
    const text = formatClick(click()).trim();
    assert.equal(readBytes(text).entries.length, 1);
  });

  it('an entry named like the others is still an entry when nearly all its fields are missing', () => {
    const text = `<Tracker>\n${formatClick(click())}  <Click><Date>2026-03-14</Date></Click>\n</Tracker>`;
    const result = readBytes(text);
    assert.equal(result.invalid, 1);
    assert.equal(result.problems[0].line, 9);
    assert.ok(
      result.problems[0].message.includes('has no EmailTemplate, ContactID, LinkName, Time'),
    );
  });

  it('a field given twice with different values makes the entry bad', () => {
    const text =
      '<T><C><Template>A</Template><Template>B</Template><Contact>1</Contact><Link/>' +
      '<Date>2026-03-14</Date><Time>09:00</Time></C></T>';
    const result = readBytes(text);
    assert.equal(result.invalid, 1);
    assert.ok(result.problems[0].message.includes('two different EmailTemplate values'));
  });

  it('keeps an empty link name but refuses an empty contact or template', () => {
    const ok = readBytes(formatClick(click({ linkName: '' })));
    assert.equal(ok.entries[0].linkName, '');
    const bad = readBytes(formatClick(click({ contactId: '  ' })));
    assert.equal(bad.invalid, 1);
    assert.ok(bad.problems[0].message.includes('empty ContactID'));
  });

  it('reads the time of a DateTime in the Time field, and a DateTime date with no Time', () => {
    const text =
      '<T><C><Template>A</Template><Contact>1</Contact><Link/><Date>2026-03-14</Date>' +
      '<Time>1899-12-30T21:05:09.5</Time></C><C><Template>A</Template><Contact>2</Contact>' +
      '<Link/><Date>2026-03-14T21:05:09+02:00</Date></C></T>';
    assert.deepEqual(
      readBytes(text).entries.map((e) => [e.date, e.time]),
      [
        ['2026-03-14', '21:05:10'],
        ['2026-03-14', '21:05:09'],
      ],
    );
  });

  it('a missing time with a plain date is a missing field', () => {
    const text =
      '<T><C><Template>A</Template><Contact>1</Contact><Link/><Date>2026-03-14</Date></C></T>';
    assert.ok(readBytes(text).problems[0].message.includes('has no Time'));
  });
});

describe('trackerReader: incremental reads of a growing file', () => {
  it('resumes after the last complete entry and reads only what was appended', async () => {
    const path = join(tmp, 'Tracker_Grow.xml');
    const first = formatTrackerFile('Grow', [click(), click({ contactId: '2' })]);
    writeFileSync(path, first);
    const before = await readStreamed(path, { dateOrder: 'dmy' });
    assert.equal(before.entries.length, 2);
    assert.equal(first.slice(before.completeBytes), `${ROOT_END_TAG}\n`);

    // The server appends by rewriting the root end tag after the new entries.
    const grown =
      first.slice(0, before.completeBytes) +
      formatClick(click({ contactId: '3' })) +
      `${ROOT_END_TAG}\n`;
    writeFileSync(path, grown);
    const tail = await readStreamed(path, {
      dateOrder: 'dmy',
      startOffset: before.completeBytes,
      firstLine: before.completeLines,
      encoding: before.encoding,
    });
    assert.deepEqual(tail.problems, []);
    assert.deepEqual(
      tail.entries.map((e) => [e.contactId, e.line]),
      [['3', 17]],
    );
    assert.equal(grown.slice(tail.completeBytes), `${ROOT_END_TAG}\n`);
    const whole = readTracker(Buffer.from(grown), { dateOrder: 'dmy' });
    assert.equal(tail.completeBytes, whole.completeBytes);
    assert.equal(tail.completeLines, whole.completeLines);
    assert.equal(whole.entries[2].line, 17);
  });

  it('resumes in UTF-16 and with multi-byte UTF-8 text, counting bytes exactly', async () => {
    for (const encoding of ['utf16le', 'utf8'] as const) {
      const path = join(tmp, `Tracker_${encoding}.xml`);
      const first = formatTrackerFile('Grow', [click({ template: 'Été — 日本' })]);
      const bom = encoding === 'utf16le' ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0);
      writeFileSync(path, Buffer.concat([bom, Buffer.from(first, encoding)]));
      const before = await readStreamed(path, { dateOrder: 'dmy', chunkSize: 5 });
      const appended = formatClick(click({ template: 'Ünïcode', contactId: '9' }));
      const prefix = readFileSync(path).subarray(0, before.completeBytes);
      writeFileSync(
        path,
        Buffer.concat([prefix, Buffer.from(`${appended}</Tracker>\n`, encoding)]),
      );
      const tail = await readStreamed(path, {
        dateOrder: 'dmy',
        startOffset: before.completeBytes,
        firstLine: before.completeLines,
        encoding: before.encoding,
        chunkSize: 3,
      });
      assert.deepEqual(
        tail.entries.map((e) => [e.template, e.line]),
        [['Ünïcode', 10]],
        encoding,
      );
    }
  });
});

describe('trackerReader: streaming', () => {
  it('hands out entries in file order, in batches, with progress up to the size', async () => {
    const clicks = Array.from({ length: 45_000 }, (_, k) =>
      click({ contactId: String(k), time: `09:${String(k % 60).padStart(2, '0')}:00` }),
    );
    const path = join(tmp, 'large.xml');
    writeFileSync(path, formatTrackerFile('Large', clicks));
    const progress: number[] = [];
    const entries: TrackerEntry[] = [];
    let batches = 0;
    const result = await readTrackerFile(path, {
      dateOrder: 'dmy',
      chunkSize: 1 << 16,
      onEntries: (batch) => {
        batches++;
        entries.push(...batch);
      },
      onProgress: (bytes, total) => progress.push(bytes / total),
    });
    assert.equal(entries.length, clicks.length);
    assert.ok(batches >= 3, `batches: ${batches}`);
    assert.ok(entries.every((e, k) => e.contactId === String(k) && e.line === 3 + 7 * k));
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
    );
    assert.equal(progress[progress.length - 1], 1);
    assert.deepEqual(result.problems, []);
  });

  it('stops when the signal aborts, rejecting with its reason', async () => {
    const path = join(tmp, 'abort.xml');
    writeFileSync(
      path,
      formatTrackerFile(
        'A',
        Array.from({ length: 2000 }, () => click()),
      ),
    );
    const controller = new AbortController();
    let calls = 0;
    await assert.rejects(
      readTrackerFile(path, {
        dateOrder: 'dmy',
        chunkSize: 4096,
        signal: controller.signal,
        onEntries: () => undefined,
        onProgress: () => {
          calls++;
          controller.abort(new Error('cancelled by the user'));
        },
      }),
      /cancelled by the user/,
    );
    assert.equal(calls, 1);
  });
});

/** A deterministic shuffle, so that a failing case can be replayed from its seed. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed || 1;
  for (let k = items.length - 1; k > 0; k--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (k + 1);
    [items[k], items[j]] = [items[j], items[k]];
  }
  return items;
}

describe('trackerReader: property — written, shuffled, duplicated, re-read', () => {
  // Text XML can carry, without surrounding white space (the reader trims it).
  const xmlText = (minLength: number) =>
    fc
      .string({ minLength, maxLength: 12 })
      .filter((s) => /^[\u0020-\uD7FF\uE000-\uFFFD]*$/.test(s) && s.trim() === s);
  const text = xmlText(1);
  const clickArb = fc.record({
    template: text,
    contactId: text,
    linkName: xmlText(0),
    date: fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z') })
      .filter((d) => !Number.isNaN(d.getTime()))
      .map((d) => d.toISOString().slice(0, 10)),
    time: fc
      .integer({ min: 0, max: 86_399 })
      .map((s) =>
        [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60]
          .map((n) => String(n).padStart(2, '0'))
          .join(':'),
      ),
  });

  it('imports exactly the distinct clicks, through both paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(clickArb, { maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        async (clicks, duplicates, chunkSize, seed) => {
          const copies =
            clicks.length === 0 ? [] : duplicates.map((n) => clicks[n % clicks.length]);
          const shuffled = shuffle([...clicks, ...copies], seed);
          const xml = formatTrackerFile('Property', shuffled);
          const result = readTracker(Buffer.from(xml), { dateOrder: 'dmy' });
          assert.equal(result.entries.length, shuffled.length);
          assert.deepEqual(new Set(result.entries.map(dedupKey)), new Set(clicks.map(dedupKey)));
          const path = join(tmp, 'property.xml');
          writeFileSync(path, xml);
          const streamed = await readStreamed(path, { dateOrder: 'dmy', chunkSize });
          assert.deepEqual(withoutBatches(streamed), result);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('dedupKey', () => {
  it('is the same for the same contact, template, date and time, whatever the link', () => {
    assert.equal(dedupKey(click({ linkName: 'a' })), dedupKey(click({ linkName: 'b' })));
  });

  it('differs when any key field differs, and never collides across field boundaries', () => {
    const base = dedupKey(click());
    for (const change of [
      { contactId: '1043' },
      { template: 'spring newsletter' },
      { date: '2026-03-15' },
      { time: '09:26:54' },
    ]) {
      assert.notEqual(dedupKey(click(change)), base);
    }
    assert.notEqual(
      dedupKey(click({ contactId: 'a', template: 'bc' })),
      dedupKey(click({ contactId: 'ab', template: 'c' })),
    );
  });
});

describe('decodeTracker', () => {
  it('decodes as the reader does: BOM, declared single-byte encodings, and says where it fails', () => {
    const utf16 = decodeTracker(readFileSync(join(CORPUS, 'utf16be-bom.xml')));
    assert.ok(utf16.ok && utf16.text.startsWith('<?xml') && utf16.encoding === 'utf-16be');
    const cp1252 = decodeTracker(readFileSync(join(CORPUS, 'windows-1252.xml')));
    assert.ok(cp1252.ok && cp1252.text.includes('Café € Offers'));
    const bad = decodeTracker(readFileSync(join(CORPUS, 'bad-encoding-utf8.xml')));
    assert.ok(!bad.ok);
    assert.deepEqual([bad.problem.line, bad.problem.column], [11, 23]);
  });
});

describe('trackerReader: odd files', () => {
  it('reads an empty file as no entries, and a start past the end as nothing new', async () => {
    const path = join(tmp, 'empty.xml');
    writeFileSync(path, '');
    const empty = await readStreamed(path, { dateOrder: 'dmy' });
    assert.deepEqual([empty.entries, empty.problems, empty.refused], [[], [], undefined]);
    writeFileSync(path, formatTrackerFile('X', [click()]));
    const past = await readStreamed(path, { dateOrder: 'dmy', startOffset: 10_000, firstLine: 9 });
    assert.deepEqual([past.entries, past.problems, past.refused], [[], [], undefined]);
  });

  it('locates a bad UTF-8 byte far into a streamed file', async () => {
    const path = join(tmp, 'bad-late.xml');
    const clicks = Array.from({ length: 3000 }, () => click());
    const good = Buffer.from(trackerFileStart('X') + clicks.map(formatClick).join(''));
    writeFileSync(path, Buffer.concat([good, Buffer.from('  <Click>\xff', 'latin1')]));
    const result = await readStreamed(path, { dateOrder: 'dmy', chunkSize: 1000 });
    assert.deepEqual([result.refused?.line, result.refused?.column], [3 + 7 * 3000, 10]);
    assert.ok(result.refused?.message.includes(`at byte ${good.length + 9}`));
    assert.deepEqual(result.entries, []);
  });
});

/** `text` with each edit applied in turn: `remove` characters at `at` replaced by `insert`. */
function applyEdits(
  text: string,
  changes: readonly { at: number; remove: number; insert: string }[],
): string {
  let edited = text;
  for (const { at, remove, insert } of changes) {
    const k = Math.min(at, edited.length);
    edited = edited.slice(0, k) + insert + edited.slice(k + remove);
  }
  return edited;
}

describe('trackerReader: never laxer than fast-xml-parser (property)', () => {
  const base = formatTrackerFile('ABC Ltd', [
    click(),
    click({ contactId: '1043', template: 'Q&A <b>', linkName: 'x"y' }),
  ]).replace('<Click>', '<Click kind="a">');
  const edits = fc.array(
    fc.record({
      at: fc.nat({ max: base.length }),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.constantFrom('', '<', '>', '&', '/', '"', '=', ' ', 'a', '<!--', ']]>', '\u0001'),
    }),
    { minLength: 1, maxLength: 3 },
  );

  it('a mutated document read with no problems is well-formed to fast-xml-parser too', () => {
    fc.assert(
      fc.property(edits, (changes) => {
        const text = applyEdits(base, changes);
        const result = readBytes(text);
        const other = XMLValidator.validate(text);
        if (result.refused || result.problems.some((p) => p.severity === 'warning')) {
          return;
        }
        if (other !== true && /Multiple possible root nodes/.test(other.err.msg)) {
          return; // appended fragments: the reader accepts them on purpose
        }
        assert.equal(other, true, `${JSON.stringify(text)} -> ${JSON.stringify(other)}`);
      }),
      { numRuns: 3000 },
    );
  });
});

/** The two complete entries of a crashed file were read, and its end reported as a warning. */
function assertCutOffEnd(result: ReadResult, message: string): void {
  assert.equal(result.refused, undefined, result.refused?.message);
  assert.deepEqual(
    result.entries.map((e) => e.contactId),
    ['1042', '2'],
  );
  assert.equal(result.problems.length, 1);
  assert.equal(result.problems[0].severity, 'warning');
  assert.ok(result.problems[0].message.includes(message), result.problems[0].message);
}

describe('trackerReader: zero bytes left by a crash', () => {
  const entries = formatClick(click()) + formatClick(click({ contactId: '2' }));
  const cases: [string, string, number, string][] = [
    [
      'after the root end tag',
      `<Tracker>\n${entries}</Tracker>\n\0\0\0\0`,
      17,
      'ends in zero bytes from line 17',
    ],
    [
      'inside an entry',
      `<Tracker>\n${entries}  <Click>\n    <Link\0\0\0\n\0`,
      16,
      '<Click> (line 16) is cut off',
    ],
    [
      'inside a value',
      `<Tracker>\n${entries}  <Click>\n    <LinkName>Bo\0\0`,
      16,
      'ends in zero bytes',
    ],
  ];
  for (const [title, text, line, message] of cases) {
    it(`${title}: the complete entries are read, the rest reported with its line`, async () => {
      const result = readBytes(text);
      assertCutOffEnd(result, message);
      assert.equal(result.problems[0].line, line);
      const path = join(tmp, 'zeros.xml');
      writeFileSync(path, text);
      assert.deepEqual(
        withoutBatches(await readStreamed(path, { dateOrder: 'dmy', chunkSize: 3 })),
        result,
      );
    });
  }

  it('zero bytes followed by more markup are not well-formed', () => {
    const result = readBytes(`<Tracker>\n${entries}\0\0</Tracker>\n`);
    assert.ok(result.refused?.message.includes('U+0000'));
  });
});

describe('trackerReader: a file cut inside a character', () => {
  const entries = formatClick(click()) + formatClick(click({ contactId: '2' }));
  const text = `<Tracker>\n${entries}  <Click>\n    <LinkName>Café`;
  const cases: [string, Buffer][] = [
    // The last byte of 'é' (C3 A9) is missing.
    ['UTF-8', Buffer.from(text, 'utf8').subarray(0, -1)],
    // An odd last byte.
    ['UTF-16 LE', Buffer.concat([Buffer.from('\uFEFF' + text, 'utf16le'), Buffer.from([0x41])])],
    // A high surrogate with no low one after it.
    ['UTF-16 BE', Buffer.from('\uFEFF' + text + '\uD83D', 'utf16le').swap16()],
  ];
  for (const [encoding, bytes] of cases) {
    it(`${encoding}: the complete entries are read and the cut entry reported`, async () => {
      const result = readTracker(bytes, { dateOrder: 'dmy' });
      assertCutOffEnd(result, 'cut off');
      const path = join(tmp, 'cut-in-character.xml');
      writeFileSync(path, bytes);
      for (const chunkSize of [1, 7, 4096]) {
        assert.deepEqual(
          withoutBatches(await readStreamed(path, { dateOrder: 'dmy', chunkSize })),
          result,
          `chunks of ${chunkSize}`,
        );
      }
    });
  }
});

describe('trackerReader: line breaks', () => {
  it('counts CR LF and a lone CR as one line break each, whatever the chunk edges', async () => {
    const lf = formatTrackerFile('X', [
      click(),
      click({ contactId: '2' }),
      click({ contactId: '3' }),
    ]);
    for (const eol of ['\r\n', '\r']) {
      const text = lf.replace(/\n/g, eol);
      const inMemory = readBytes(text);
      assert.deepEqual(
        inMemory.entries.map((e) => e.line),
        [3, 10, 17],
        JSON.stringify(eol),
      );
      assert.equal(inMemory.completeLines, 24);
      const path = join(tmp, 'eol.xml');
      writeFileSync(path, text);
      for (const chunkSize of [1, 2, 5, 9]) {
        const streamed = await readStreamed(path, { dateOrder: 'dmy', chunkSize });
        assert.deepEqual(withoutBatches(streamed), inMemory, `${JSON.stringify(eol)} ${chunkSize}`);
      }
    }
  });
});

describe('trackerReader: as strict as a conformant XML parser, no stricter (property)', () => {
  const base = formatTrackerFile('ABC Ltd', [
    click(),
    click({ contactId: '1043', template: 'Q&A <b>', linkName: 'x"y' }),
  ]).replace('<Click>', '<Click kind="a"><!-- c --><![CDATA[]]>');
  const pieces = ['', '<', '>', '&', '/', '"', "'", '=', ' ', 'a', '<!--', '-->', ']]>', '\u0001'];
  const more = ['&amp;', '&#0;', '&#65;', '<?x?>', '<?xml?>', '<a>', '</a>', 'é', '\r'];
  const edits = fc.array(
    fc.record({
      at: fc.nat({ max: base.length }),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.constantFrom(...pieces, ...more),
    }),
    { minLength: 1, maxLength: 3 },
  );

  /** saxes' first complaint about the text, or null when it is a well-formed document. */
  function saxesError(text: string): string | null {
    const parser = new SaxesParser();
    let error: string | null = null;
    parser.on('error', (e) => {
      error ??= e.message;
    });
    parser.write(text).close();
    return error;
  }

  it('accepts a mutated document without problems exactly when saxes finds it well-formed', () => {
    fc.assert(
      fc.property(edits, (changes) => {
        const text = applyEdits(base, changes);
        const result = readBytes(text);
        if (result.refused?.message.includes('is not supported')) {
          return; // the declared encoding: saxes reads text, it does not decode bytes
        }
        const clean = !result.refused && !result.problems.some((p) => p.severity === 'warning');
        const error = saxesError(text);
        // The reader's two tolerances: appended fragments, and end tags left at the very end.
        if (clean && error && /only one root|unmatched closing tag/.test(error)) {
          return;
        }
        assert.equal(clean, error === null, `${JSON.stringify(text)}: ${error}`);
      }),
      { numRuns: 3000 },
    );
  });
});
