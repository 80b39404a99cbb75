import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import {
  TrackerScanner,
  type ScanOptions,
  type ScanSummary,
} from '../../src/tracker/trackerScanner';
import { formatClick, formatTrackerFile } from '../../src/tracker/trackerWriter';
import { click } from './clickFixture';

/** Everything the scanner reports for a text pushed in pieces of the given sizes (cycled). */
function scan(
  text: string,
  sizes: number[] = [],
  options: Partial<ScanOptions> = {},
): { found: unknown[]; summary: ScanSummary } {
  const found: unknown[] = [];
  const scanner = new TrackerScanner(
    { dateOrder: 'dmy', spans: true, byteLength: (t) => Buffer.byteLength(t), ...options },
    {
      entry: (entry, span) => found.push({ entry, span }),
      badEntry: (issues, span) => found.push({ issues, span }),
    },
  );
  if (sizes.length === 0) {
    scanner.push(text, true);
  } else {
    for (let k = 0, n = 0; k < text.length; n++) {
      const size = sizes[n % sizes.length];
      scanner.push(text.slice(k, k + size));
      k += size;
    }
  }
  return { found, summary: scanner.finish() };
}

function refusal(text: string): [number, number, string] | undefined {
  const { refused } = scan(text).summary;
  return refused && [refused.start.line, refused.start.column, refused.message];
}

describe('trackerScanner: the same result whatever the pieces the text comes in (property)', () => {
  const base = formatTrackerFile('ABC Ltd', [
    click(),
    click({ contactId: '1043', template: 'Q&A <b>', linkName: 'x"y 😀' }),
    click({ date: '31/02/2026' }),
  ]).replace('<Click>', '<Click kind="a" Date="x">');
  const pieces = ['<', '>', '&', '"', '\0', '\0\0\n', '\r', '\r\n', '😀', '&amp;', '&#0;', ']]>'];
  const markup = ['<!--', '-->', '</', '</Click>', '<Click>', '</Tracker>', '<![CDATA[', '<?x ?>'];
  const edits = fc.array(
    fc.record({
      at: fc.nat({ max: base.length }),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.constantFrom('', ...pieces, ...markup, '<!DOCTYPE x>', '&nbsp;'),
    }),
    { maxLength: 3 },
  );

  it('entries, spans, problems, refusals and the resume point do not depend on chunk edges', () => {
    fc.assert(
      fc.property(
        edits,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.nat({ max: base.length + 20 }),
        fc.boolean(),
        fc.boolean(),
        (changes, sizes, keep, crlf, tail) => {
          let text = base;
          for (const { at, remove, insert } of changes) {
            const k = Math.min(at, text.length);
            text = text.slice(0, k) + insert + text.slice(k + remove);
          }
          text = text.slice(0, keep);
          if (crlf) {
            text = text.replace(/\n/g, '\r\n');
          }
          const options = tail ? { tail: true, firstLine: 40 } : {};
          assert.deepEqual(scan(text, sizes, options), scan(text, [], options));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('trackerScanner: what saxes reports, located where the fault is', () => {
  it("a bare '&' is named at the '&', though saxes reads on to the next ';'", () => {
    const text = `<T>\n  <C>Q & A</C>\n${formatClick(click({ template: 'a&b' }))}</T>`;
    assert.deepEqual(refusal(text), [2, 8, "'&' must be written as &amp;"]);
  });

  it("a bare '&' is named before a character that is not allowed after it", () => {
    assert.deepEqual(refusal('<T>\n<C>Q & A\u0001</C>;</T>'), [
      2,
      6,
      "'&' must be written as &amp;",
    ]);
  });

  it("a bare '&' at the very end of the text is refused, not taken for a cut-off", () => {
    assert.deepEqual(refusal('<T>\n<C>Q & A'), [2, 6, "'&' must be written as &amp;"]);
  });

  it('an escaped value cut off inside its reference is a cut-off entry, not a refusal', () => {
    const text = `<Tracker>\n${formatClick(click())}  <Click>\n    <EmailTemplate>Q&am`;
    const { found, summary } = scan(text);
    assert.equal(summary.refused, undefined);
    assert.equal(found.length, 1);
    assert.deepEqual(summary.cutOff, {
      name: 'Click',
      start: { line: 9, column: 3 },
      zeroBytes: false,
    });
  });

  it('a comment cut off before its closing > is unfinished markup at its start', () => {
    const { summary } = scan(`<Tracker>\n${formatClick(click())}</Tracker>\n<!-- x --`);
    assert.equal(summary.refused, undefined);
    assert.deepEqual(summary.cutOff, {
      name: '',
      start: { line: 10, column: 1 },
      zeroBytes: false,
    });
  });

  it('text after a comment outside any element is located after the comment', () => {
    assert.deepEqual(refusal('<T/>\n<!-- c -->x\n'), [2, 11, 'Text outside any element']);
  });

  it('a repeated attribute is named at its second occurrence, even after a field attribute', () => {
    assert.deepEqual(refusal('<T>\n<C a="1" Date="2026-03-14"\n   a="2"/></T>'), [
      3,
      4,
      'Attribute a is repeated',
    ]);
  });

  it('an end tag that does not match says which start tag is open, at the end tag', () => {
    assert.deepEqual(refusal('<T>\n  <A>x</Ab>\n</T>'), [
      2,
      7,
      'End tag </Ab> does not match the start tag <A> on line 2',
    ]);
  });

  it('an XML declaration is accepted only at the very start, and checked there', () => {
    assert.equal(refusal('<?xml version="1.0" encoding="utf-8"?>\n<T/>'), undefined);
    assert.deepEqual(refusal('<?xml version="2.0"?>\n<T/>')?.slice(0, 2), [1, 19]);
    assert.deepEqual(refusal('<T/>\n<?xml version="1.0"?>')?.slice(0, 2), [2, 1]);
  });

  it('refuses a DOCTYPE before its internal subset is read', () => {
    const text = '<!DOCTYPE T [<!ENTITY e "x">]>\n<T>&e;</T>';
    const { found, summary } = scan(text, [11]);
    assert.deepEqual(found, []);
    assert.equal(summary.refused?.code, 'doctype');
    assert.deepEqual(summary.refused?.start, { line: 1, column: 1 });
  });
});
