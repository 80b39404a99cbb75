import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Position } from '../../src/tracker/trackerEntry';
import { decodeTracker, readTracker } from '../../src/tracker/trackerReader';
import {
  validateTracker,
  type TextEditSpec,
  type TrackerDiagnostic,
} from '../../src/tracker/trackerValidator';
import { formatClick, formatTrackerFile, trackerFileStart } from '../../src/tracker/trackerWriter';
import { click } from './clickFixture';

const CORPUS = join(__dirname, '..', 'fixtures', 'tracker');

function validate(text: string) {
  return validateTracker(text, { dateOrder: 'dmy' });
}

/** Applies edits the way the editor does: positions refer to the text before any edit. */
function applyEdits(text: string, edits: TextEditSpec[]): string {
  const lines = text.split(/(?<=\n)/);
  const offset = (p: Position) =>
    lines.slice(0, p.line - 1).reduce((sum, line) => sum + line.length, 0) + p.column - 1;
  const sorted = [...edits].sort((a, b) => offset(b.start) - offset(a.start));
  let result = text;
  for (const edit of sorted) {
    result = result.slice(0, offset(edit.start)) + edit.newText + result.slice(offset(edit.end));
  }
  return result;
}

function only(diagnostics: TrackerDiagnostic[], code: string): TrackerDiagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, JSON.stringify(diagnostics, null, 1));
  return found[0];
}

function range(d: { start: Position; end: Position }): string {
  return `${d.start.line}:${d.start.column}-${d.end.line}:${d.end.column}`;
}

describe('trackerValidator', () => {
  it('finds nothing wrong with a canonical file, and lists its entries as an import reads them', () => {
    const text = formatTrackerFile('ABC Ltd', [
      click(),
      click({ contactId: '1043', time: '10:00:00' }),
    ]);
    const result = validate(text);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.rootName, 'Tracker');
    assert.ok(result.looksLikeTracker);
    assert.deepEqual(
      result.entries.map((e) => [range(e), e.contactId, e.template, e.linkName, e.date, e.time]),
      [
        ['3:3-9:11', '1042', 'Spring Newsletter', 'Book a review', '2026-03-14', '09:26:53'],
        ['10:3-16:11', '1043', 'Spring Newsletter', 'Book a review', '2026-03-14', '10:00:00'],
      ],
    );
  });

  it('shows raw and normalised date and time for the hover', () => {
    const text = formatTrackerFile('X', [click({ date: '14/03/2026', time: '9:26:53.5 PM' })]);
    const [entry] = validate(text).entries;
    assert.deepEqual(
      [entry.rawDate, entry.rawTime, entry.date, entry.time],
      ['14/03/2026', '9:26:53.5 PM', '2026-03-14', '21:26:54'],
    );
  });

  it('reports not-well-formed XML at its line and column, as an error', () => {
    const text = readFileSync(join(CORPUS, 'not-well-formed.xml'), 'utf8');
    const d = only(validate(text).diagnostics, 'not-well-formed');
    assert.equal(d.severity, 'error');
    assert.equal(range(d), '12:20-12:32');
    assert.ok(d.message.includes('</ContactId> does not match the start tag <ContactID>'));
    assert.equal(d.fix, undefined);
  });

  it('reports a DOCTYPE as an error on the declaration', () => {
    const text = readFileSync(join(CORPUS, 'doctype-entities.xml'), 'utf8');
    const result = validate(text);
    const d = only(result.diagnostics, 'doctype');
    assert.equal(d.severity, 'error');
    assert.equal(range(d), '2:1-2:10');
    assert.equal(result.diagnostics.length, 1);
  });

  it('reports a missing field on the entry opening tag', () => {
    const text = readFileSync(join(CORPUS, 'bad-entries.xml'), 'utf8');
    const d = only(validate(text).diagnostics, 'missing-field');
    assert.equal(d.severity, 'error');
    assert.equal(range(d), '10:3-10:10');
    assert.equal(d.message, '<Click> has no ContactID; an import skips this entry');
  });

  it('reports a bad date and a bad time on the value, with no fix when none is obvious', () => {
    const text = readFileSync(join(CORPUS, 'bad-entries.xml'), 'utf8');
    const diagnostics = validate(text).diagnostics;
    const date = only(diagnostics, 'bad-date');
    assert.equal(range(date), '20:11-20:21');
    assert.equal(
      date.message,
      'Date: "31/02/2026" is not a valid date; an import skips this entry',
    );
    assert.equal(date.fix, undefined);
    const time = only(diagnostics, 'bad-time');
    assert.equal(range(time), '28:11-28:16');
    assert.equal(time.fix, undefined);
  });

  it('rewrites an unambiguous date or time to the canonical form', () => {
    const text = formatTrackerFile('X', [click({ date: '03/14/2026', time: ' 9.26.53 ' })]);
    const diagnostics = validate(text).diagnostics;
    const date = only(diagnostics, 'bad-date');
    assert.ok(date.message.includes('not a valid date in day-month order'));
    assert.deepEqual(date.fix, {
      title: 'Rewrite as 2026-03-14',
      edits: [
        { start: { line: 7, column: 11 }, end: { line: 7, column: 21 }, newText: '2026-03-14' },
      ],
    });
    const time = only(diagnostics, 'bad-time');
    assert.equal(range(time), '8:12-8:19', 'the trimmed value');
    assert.equal(time.fix?.title, 'Rewrite as 09:26:53');

    const fixed = applyEdits(text, [...date.fix!.edits, ...time.fix!.edits]);
    assert.ok(fixed.includes('<Date>2026-03-14</Date>'));
    assert.ok(fixed.includes('<Time> 09:26:53 </Time>'));
    assert.deepEqual(validate(fixed).diagnostics, []);
  });

  it('warns about a duplicate on the later entry, points at the earlier one, and removes it', () => {
    const text = readFileSync(join(CORPUS, 'duplicates.xml'), 'utf8');
    const d = only(validate(text).diagnostics, 'duplicate');
    assert.equal(d.severity, 'warning');
    assert.equal(range(d), '10:3-10:10');
    assert.ok(d.message.startsWith('Duplicate of the entry on line 3'));
    assert.equal(d.related && range(d.related), '3:3-3:10');
    assert.deepEqual(d.fix?.edits, [
      { start: { line: 10, column: 1 }, end: { line: 17, column: 1 }, newText: '' },
    ]);
    const fixed = applyEdits(text, d.fix!.edits);
    assert.equal(fixed.split('\n').length, text.split('\n').length - 7);
    const after = validate(fixed);
    assert.deepEqual(after.diagnostics, []);
    assert.deepEqual(
      after.entries.map((e) => e.contactId),
      ['1042', '1043'],
    );
  });

  it('removes exactly the duplicate when it shares its line with other markup', () => {
    const entry = '<Click Template="T" Contact="1" Link="L" Date="2026-03-14" Time="09:00:00"/>';
    const text = `<Tracker>\n  ${entry}${entry}\n</Tracker>\n`;
    const d = only(validate(text).diagnostics, 'duplicate');
    assert.equal(range(d), `2:${3 + entry.length}-2:${3 + 2 * entry.length}`);
    const fixed = applyEdits(text, d.fix!.edits);
    assert.equal(fixed, `<Tracker>\n  ${entry}\n</Tracker>\n`);
  });

  it('a duplicate at the very end of a file without root takes the line break before it', () => {
    const one = formatClick(click()).trimEnd();
    const text = `${one}\n${one}`;
    const d = only(validate(text).diagnostics, 'duplicate');
    assert.equal(applyEdits(text, d.fix!.edits), one);
  });

  it('warns about a cut-off last entry, from its start to the end of the file', () => {
    const text = readFileSync(join(CORPUS, 'cut-off.xml'), 'utf8');
    const result = validate(text);
    const d = only(result.diagnostics, 'cut-off-entry');
    assert.equal(d.severity, 'warning');
    assert.equal(range(d), '17:3-20:24');
    assert.equal(result.diagnostics.length, 1, 'the missing root end tag is part of the cut-off');
    assert.equal(result.entries.length, 2);
  });

  it('warns about a missing root end tag at the end, and the fix adds it', () => {
    const text = readFileSync(join(CORPUS, 'missing-root-end.xml'), 'utf8');
    const d = only(validate(text).diagnostics, 'missing-root-end');
    assert.equal(d.severity, 'warning');
    assert.equal(range(d), '16:3-16:11');
    assert.deepEqual(d.fix, {
      title: 'Add </Tracker> at the end',
      edits: [
        { start: { line: 17, column: 1 }, end: { line: 17, column: 1 }, newText: '</Tracker>\n' },
      ],
    });
    const fixed = applyEdits(text, d.fix!.edits);
    assert.ok(fixed.endsWith('  </Click>\n</Tracker>\n'));
    assert.deepEqual(validate(fixed).diagnostics, []);

    const noFinalBreak = text.trimEnd();
    const d2 = only(validate(noFinalBreak).diagnostics, 'missing-root-end');
    const fixed2 = applyEdits(noFinalBreak, d2.fix!.edits);
    assert.ok(fixed2.endsWith('  </Click>\n</Tracker>\n'));
    assert.deepEqual(validate(fixed2).diagnostics, []);
  });

  it('closes every open container, innermost first', () => {
    const text = `<Tracker>\n<Batch>\n${formatClick(click())}`;
    const d = only(validate(text).diagnostics, 'missing-root-end');
    assert.equal(d.fix?.edits[0].newText, '</Batch></Tracker>\n');
    assert.deepEqual(validate(applyEdits(text, d.fix!.edits)).diagnostics, []);
  });

  it('counts columns in UTF-16 code units, and CRLF as one line break', () => {
    const text = formatTrackerFile('X', [
      click({ linkName: '😀 link', date: '31/02/2026' }),
    ]).replace(/\n/g, '\r\n');
    const withEmoji = text
      .replace('<Date>', '😀<Date>')
      .replace('<LinkName>😀 link', '<LinkName>x');
    const d = only(validate(withEmoji).diagnostics, 'bad-date');
    assert.equal(range(d), '7:13-7:23');
  });

  it('says when a document does not look like a tracker file', () => {
    const result = validate('<project><item>1</item></project>');
    assert.equal(result.looksLikeTracker, false);
    assert.equal(result.rootName, 'project');
    assert.ok(validate(`${trackerFileStart('X')}</Tracker>`).looksLikeTracker);
  });

  // Its speed is a figure printed by `npm run bench:validate`, not a timed test.
  it('validates a 10 MB tracker file', () => {
    const clicks = Array.from({ length: 52_000 }, (_, k) =>
      click({ contactId: String(k), time: `09:${String(k % 60).padStart(2, '0')}:00` }),
    );
    const text = formatTrackerFile('Big', clicks);
    assert.ok(text.length > 10_000_000, `${text.length}`);
    const result = validate(text);
    assert.equal(result.entries.length, clicks.length);
    assert.deepEqual(result.diagnostics, []);
  });
});

describe('trackerValidator agrees with the importer on the whole corpus', () => {
  const manifest = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<
    string,
    { file?: string; dateOrder?: 'dmy' | 'mdy'; firstLine?: number }
  >;
  for (const [name, expected] of Object.entries(manifest)) {
    if (name.startsWith('_') || expected.firstLine) {
      continue;
    }
    it(name, () => {
      const dateOrder = expected.dateOrder ?? 'dmy';
      const bytes = readFileSync(join(CORPUS, expected.file ?? name));
      const read = readTracker(bytes, { dateOrder });
      const decoded = decodeTracker(bytes);
      if (!decoded.ok) {
        assert.ok(read.refused);
        return;
      }
      const result = validateTracker(decoded.text, { dateOrder });
      const refusal = result.diagnostics.find(
        (d) => d.code === 'not-well-formed' || d.code === 'doctype',
      );
      assert.deepEqual(
        refusal && [refusal.start.line, refusal.start.column],
        read.refused && [read.refused.line, read.refused.column],
      );
      if (read.refused) {
        return;
      }
      // One error per reason in the editor; one problem per skipped entry in the import.
      const errorLines = new Set(
        result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.start.line),
      );
      const problemLines = read.problems.filter((p) => p.severity === 'error').map((p) => p.line);
      assert.ok(
        problemLines.every((line) => errorLines.has(line)),
        `${[...errorLines]} / ${problemLines}`,
      );
      assert.equal(
        result.diagnostics.filter(
          (d) => d.code === 'cut-off-entry' || d.code === 'missing-root-end',
        ).length,
        read.problems.filter((p) => p.severity === 'warning').length,
      );
      const good = result.entries.filter((e) => e.date !== undefined);
      assert.deepEqual(
        good.map((e) => [e.start.line, e.contactId, e.date, e.time]),
        read.entries.map((e) => [e.line, e.contactId, e.date, e.time]),
      );
    });
  }
});

describe('trackerValidator: escaped values', () => {
  it('shows values with their references resolved', () => {
    const text = formatTrackerFile('X', [click({ template: 'Q&A <b>', linkName: '"x"' })]);
    const [entry] = validate(text).entries;
    assert.deepEqual([entry.template, entry.linkName], ['Q&A <b>', '"x"']);
  });
});

describe('trackerValidator: declared encoding', () => {
  it('flags an encoding the import cannot decode, on its name', () => {
    const text = `<?xml version="1.0"\n  encoding="x-klingon"?>\n<Tracker>\n</Tracker>\n`;
    const d = only(validate(text).diagnostics, 'encoding');
    assert.equal(d.severity, 'error');
    assert.equal(range(d), '2:13-2:22');
    assert.ok(d.message.includes('"x-klingon" is not supported'));
    assert.ok(readTracker(Buffer.from(text), { dateOrder: 'dmy' }).refused);
    assert.deepEqual(validate(text.replace('x-klingon', 'windows-1252')).diagnostics, []);
  });
});
