import * as assert from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TrackerAppender, trackerFileName } from '../../src/server/trackerAppender';
import { formatClick, formatTrackerFile, type ClickFields } from '../../src/tracker/trackerWriter';
import { decodeTrackerFile, parseTrackerFile } from './serverTestSupport';

function click(n: number, extra: Partial<ClickFields> = {}): ClickFields {
  return {
    template: 'Spring Newsletter',
    contactId: String(n),
    linkName: 'Book a review',
    date: '2026-03-14',
    time: '09:26:53',
    ...extra,
  };
}

describe('tracker appender', () => {
  let folder: string;
  let file: string;

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'appender-'));
    file = path.join(folder, trackerFileName('ABC Ltd'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  function sideFiles(): string[] {
    return readdirSync(folder).filter((name) => name.includes('.damaged-'));
  }

  it('starts a new file with the declaration and the root, and appends canonical entries', async () => {
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    assert.strictEqual(
      readFileSync(file, 'utf8'),
      '<?xml version="1.0" encoding="utf-8"?>\n<Tracker regName="ABC Ltd">\n</Tracker>\n',
    );
    await appender.append(click(1));
    await appender.append(click(2));
    await appender.close();
    assert.strictEqual(
      readFileSync(file, 'utf8'),
      formatTrackerFile('ABC Ltd', [click(1), click(2)]),
    );
    assert.ok(!existsSync(`${file}.lock`), 'lock file left behind');
  });

  it('serves every click waiting at the same moment with one write', async () => {
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await Promise.all(Array.from({ length: 300 }, (_, i) => appender.append(click(i))));
    assert.strictEqual(appender.recorded, 300);
    assert.ok(appender.batches <= 2, `${appender.batches} batches for 300 waiting clicks`);
    await appender.close();
    const ids = parseTrackerFile(file).map((c) => c.ContactID);
    assert.deepStrictEqual(
      ids,
      Array.from({ length: 300 }, (_, i) => String(i)),
    );
  });

  it('writes the same file when each write is followed by a flush (no O_DSYNC, as on Windows)', async () => {
    const appender = await TrackerAppender.open({
      file,
      regName: 'ABC Ltd',
      flushAfterWrite: true,
    });
    await Promise.all([1, 2, 3].map((n) => appender.append(click(n))));
    await appender.append(click(4));
    assert.strictEqual(appender.recorded, 4);
    await appender.close();
    assert.strictEqual(
      readFileSync(file, 'utf8'),
      formatTrackerFile(
        'ABC Ltd',
        [1, 2, 3, 4].map((n) => click(n)),
      ),
    );
  });

  it('escapes hostile values so the file stays well-formed', async () => {
    const hostile = click(1, {
      template: '</Tracker><Click>&amp; "x" \'y\'',
      contactId: ']]><!-- 1 -->',
      linkName: '<?xml version="1.0"?><![CDATA[x]]>',
    });
    const appender = await TrackerAppender.open({ file, regName: 'A "&" <B>' });
    await appender.append(hostile);
    await appender.close();
    const [parsed] = parseTrackerFile(file);
    assert.strictEqual(parsed.EmailTemplate, hostile.template);
    assert.strictEqual(parsed.ContactID, hostile.contactId);
    assert.strictEqual(parsed.LinkName, hostile.linkName);
  });

  it('moves a cut-off entry to a side file and keeps every complete entry', async () => {
    const whole = formatTrackerFile('ABC Ltd', [click(1), click(2)]);
    const cut = formatClick(click(3)).slice(0, 60);
    const damaged = whole.slice(0, whole.lastIndexOf('</Tracker>')) + cut;
    writeFileSync(file, damaged);
    const lines: string[] = [];
    const appender = await TrackerAppender.open({
      file,
      regName: 'ABC Ltd',
      log: (l) => lines.push(l),
    });
    assert.deepStrictEqual(
      parseTrackerFile(file).map((c) => c.ContactID),
      ['1', '2'],
    );
    const [side] = sideFiles();
    assert.ok(side, 'no side file');
    assert.strictEqual(readFileSync(path.join(folder, side), 'utf8'), cut);
    assert.match(lines.join('\n'), /moved 60 bytes to .*damaged-/);
    await appender.append(click(4));
    await appender.close();
    assert.deepStrictEqual(
      parseTrackerFile(file).map((c) => c.ContactID),
      ['1', '2', '4'],
    );
  });

  it('cuts a broken multi-byte character without shifting anything', async () => {
    const whole = formatTrackerFile('ABC Ltd', [click(1, { template: 'Café' })]);
    const entry = Buffer.from(formatClick(click(2, { template: 'Été ☀' })));
    const cutAt = entry.indexOf(Buffer.from('☀')) + 1; // inside the 3-byte character
    const bytes = Buffer.concat([
      Buffer.from(whole.slice(0, whole.lastIndexOf('</Tracker>'))),
      entry.subarray(0, cutAt),
    ]);
    writeFileSync(file, bytes);
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(3, { template: 'Ünïcödé' }));
    await appender.close();
    assert.deepStrictEqual(
      parseTrackerFile(file).map((c) => c.EmailTemplate),
      ['Café', 'Ünïcödé'],
    );
    assert.deepStrictEqual(
      readFileSync(path.join(folder, sideFiles()[0])),
      entry.subarray(0, cutAt),
    );
  });

  it('restores a missing root end tag without a side file when nothing was cut off', async () => {
    const whole = formatTrackerFile('ABC Ltd', [click(1)]);
    writeFileSync(file, whole.slice(0, whole.lastIndexOf('</Tracker>')));
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), whole);
    assert.deepStrictEqual(sideFiles(), []);
  });

  it('appends after another writer’s root, BOM, CRLF and long trailing white space', async () => {
    const text =
      '\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n<!-- exported -->\r\n<NewDataSet>\r\n' +
      '  <Click><EmailTemplate>T</EmailTemplate><ContactID>9</ContactID>' +
      '<LinkName>L</LinkName><Date>2026-01-02</Date><Time>03:04:05</Time></Click>\r\n' +
      '</NewDataSet>' +
      ' \r\n'.repeat(200);
    writeFileSync(file, text);
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(1));
    await appender.close();
    const ids = parseTrackerFile(file, 'NewDataSet').map((c) => c.ContactID);
    assert.deepStrictEqual(ids, ['9', '1']);
    assert.ok(readFileSync(file, 'utf8').startsWith(text.slice(0, text.indexOf('</NewDataSet>'))));
  });

  for (const encoding of ['utf-16le', 'utf-16be'] as const) {
    it(`appends to a ${encoding} file in ${encoding}`, async () => {
      const text = formatTrackerFile('ABC Ltd', [click(1)]).replace('utf-8', 'utf-16');
      let bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      if (encoding === 'utf-16be') {
        bytes = Buffer.from(bytes).swap16();
      }
      writeFileSync(file, bytes);
      const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
      await appender.append(click(2, { template: 'Ünï ☀' }));
      await appender.close();
      const after = readFileSync(file);
      assert.deepStrictEqual(after.subarray(0, bytes.length - 22), bytes.subarray(0, -22));
      assert.deepStrictEqual(
        parseTrackerFile(file).map((c) => c.EmailTemplate),
        ['Spring Newsletter', 'Ünï ☀'],
      );
      assert.ok(decodeTrackerFile(after).endsWith('</Tracker>\n'));
    });
  }

  it('repairs a cut-off UTF-16 file, odd byte included', async () => {
    const text = formatTrackerFile('ABC Ltd', [click(1)]);
    const good = text.slice(0, text.lastIndexOf('</Tracker>'));
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(good + formatClick(click(2)).slice(0, 40), 'utf16le'),
      Buffer.from([0x3c]),
    ]);
    writeFileSync(file, bytes);
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.close();
    assert.deepStrictEqual(
      parseTrackerFile(file).map((c) => c.ContactID),
      ['1'],
    );
    assert.strictEqual(readFileSync(path.join(folder, sideFiles()[0])).length, 81);
  });

  it('refuses, with file and line, a file with text after the root end tag', async () => {
    writeFileSync(file, formatTrackerFile('ABC Ltd', [click(1)]) + '<Click>stray</Click>\n');
    await assert.rejects(TrackerAppender.open({ file, regName: 'ABC Ltd' }), (error: Error) =>
      error.message.startsWith(`${file}:11: text after the root end tag`),
    );
  });

  it('refuses a file that is not a tracker file at all, and leaves it alone', async () => {
    writeFileSync(file, 'just some text\n');
    await assert.rejects(TrackerAppender.open({ file, regName: 'x' }), /not a tracker file/);
    assert.strictEqual(readFileSync(file, 'utf8'), 'just some text\n');
  });

  it('lets two appenders on one file take turns without losing or doubling', async () => {
    const a = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    const b = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      pending.push((i % 2 === 0 ? a : b).append(click(i)));
      if (i % 17 === 0) {
        await pending[pending.length - 1];
      }
    }
    await Promise.all(pending);
    await a.close();
    await b.close();
    const ids = parseTrackerFile(file).map((c) => Number(c.ContactID));
    assert.deepStrictEqual(
      ids.sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('lets go of the lock soon after the last batch, while it stays open', async () => {
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(!existsSync(`${file}.lock`), 'the lock is still held by an idle appender');
    await appender.append(click(2));
    await appender.close();
    assert.strictEqual(parseTrackerFile(file).length, 2);
  });

  it('answers batches in the order they were written', async () => {
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    const answered: number[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      pending.push(appender.append(click(i)).then(() => void answered.push(i)));
      // Let some batches start before the next clicks arrive.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    await appender.close();
    assert.deepStrictEqual(
      answered,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(appender.batches > 1, 'expected several batches');
    const ids = parseTrackerFile(file).map((c) => Number(c.ContactID));
    assert.deepStrictEqual(
      ids,
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it('refuses a Reg Name that cannot be a file name', () => {
    assert.strictEqual(trackerFileName('ABC Ltd.'), 'Tracker_ABC Ltd..xml');
    assert.throws(() => trackerFileName('../etc'), /Reg Name/);
    assert.throws(() => trackerFileName('  '), /Reg Name/);
  });
});
