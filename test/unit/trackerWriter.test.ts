import * as assert from 'node:assert';
import { readTracker } from '../../src/tracker/trackerReader';
import { escapeXml, formatTrackerFile } from '../../src/tracker/trackerWriter';

describe('tracker writer', () => {
  it('writes a carriage return as &#13;, which XML would otherwise turn into a line feed', () => {
    assert.strictEqual(escapeXml('a\rb'), 'a&#13;b');
    assert.strictEqual(escapeXml('a\r\nb<'), 'a&#13;\nb&lt;');
    assert.strictEqual(escapeXml('a\tb\nc'), 'a\tb\nc');
  });

  it('writes names that the reader gives back unchanged, line breaks and tabs included', () => {
    const click = {
      template: 'a\rb',
      contactId: 'c\r\nd',
      linkName: 'e\nf\tg & <h>',
      date: '2026-03-04',
      time: '09:26:53',
    };
    const text = formatTrackerFile('ABC Ltd', [click]);
    const { entries, problems, refused } = readTracker(Buffer.from(text), { dateOrder: 'dmy' });
    assert.strictEqual(refused, undefined);
    assert.deepStrictEqual(problems, []);
    const { template, contactId, linkName, date, time } = entries[0];
    assert.deepStrictEqual({ template, contactId, linkName, date, time }, click);
  });

  it('drops the characters XML 1.0 cannot hold at all', () => {
    assert.strictEqual(escapeXml('a\u0001b\u000Bc\uFFFEd&'), 'abcd&amp;');
  });
});
