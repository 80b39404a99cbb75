import * as assert from 'node:assert';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  findEnd,
  TrackerAppender,
  TrackerFileError,
  trackerFileName,
} from '../../src/server/trackerAppender';
import { formatClick, formatTrackerFile, type ClickFields } from '../../src/tracker/trackerWriter';
import { decodeTrackerFile, parseTrackerFile } from './serverTestSupport';
import { canMountDisk, onSmallDisk } from './scratchFolder';

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

  /** Opens the appender on `file`, keeping the lines it logs. */
  async function openLogging() {
    const logged: string[] = [];
    const appender = await TrackerAppender.open({
      file,
      regName: 'ABC Ltd',
      log: (line) => logged.push(line),
    });
    return { appender, logged };
  }

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

  it('appends to the new file when the path is given another one or the file is removed', async () => {
    const { appender, logged } = await openLogging();
    await appender.append(click(1));
    // An edit saved atomically: another file renamed over the path.
    const edited = path.join(folder, 'edited.xml');
    writeFileSync(edited, formatTrackerFile('ABC Ltd', [click(9)]));
    renameSync(edited, file);
    await appender.append(click(2));
    assert.deepStrictEqual(
      parseTrackerFile(file).map((c) => c.ContactID),
      ['9', '2'],
    );
    rmSync(file);
    await appender.append(click(3));
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), formatTrackerFile('ABC Ltd', [click(3)]));
    assert.strictEqual(logged.filter((line) => /replaced or removed/.test(line)).length, 2);
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

  it('refuses, naming the file, top-level entries with no single root, and leaves them alone', async () => {
    // Enough fragments that the first one ends well inside the head the appender reads first.
    const fragment = (n: number, linkName = 'L') =>
      `<Click><EmailTemplate>A</EmailTemplate><ContactID>${n}</ContactID>` +
      `<LinkName>${linkName}</LinkName><Date>2026-05-01</Date><Time>10:00:00</Time></Click>\n`;
    for (const text of [
      fragment(1) + fragment(2),
      Array.from({ length: 200 }, (_, n) => fragment(n)).join(''),
      // A first entry longer than that head (link names go up to about 8 KB).
      fragment(1, 'x'.repeat(5000)) + fragment(2),
    ]) {
      writeFileSync(file, text);
      await assert.rejects(TrackerAppender.open({ file, regName: 'ABC Ltd' }), (error: Error) =>
        error.message.startsWith(
          `${file}:2: no single root element around the entries (another top-level <Click> ` +
            'starts here)',
        ),
      );
      assert.strictEqual(readFileSync(file, 'utf8'), text);
      assert.deepStrictEqual(sideFiles(), []);
    }
  });

  it('refuses at a batch a file changed into top-level entries, and leaves it alone', async () => {
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(1));
    const text = formatClick(click(1)) + formatClick(click(2));
    writeFileSync(file, text); // in place: the same file, now without a root
    await assert.rejects(appender.append(click(3)), /no single root element around the entries/);
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), text);
  });

  it('starts afresh a file emptied in place while open, and records the click', async () => {
    // Emptied, or left with only a line break (`echo > file`) or zero bytes: nothing to keep.
    for (const emptied of ['', '\n', ' \r\n\t\0\0']) {
      const { appender, logged } = await openLogging();
      await appender.append(click(1));
      writeFileSync(file, emptied);
      await appender.append(click(2));
      await appender.append(click(3));
      await appender.close();
      assert.strictEqual(
        readFileSync(file, 'utf8'),
        formatTrackerFile('ABC Ltd', [click(2), click(3)]),
      );
      assert.ok(
        logged.some((line) => line === `${file}: the file was emptied; starting it afresh`),
        logged.join('\n'),
      );
      rmSync(file);
    }
  });

  it('starts afresh on open a file holding only white space', async () => {
    writeFileSync(file, '\n\n  \n');
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(1));
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), formatTrackerFile('ABC Ltd', [click(1)]));
  });

  it('refuses, naming file and encoding, a file declared in an encoding it cannot write', async () => {
    for (const declared of ['ISO-8859-1', 'windows-1252', 'us-ascii']) {
      const text = formatTrackerFile('ABC Ltd', [click(1)]).replace('utf-8', declared);
      writeFileSync(file, text);
      await assert.rejects(
        TrackerAppender.open({ file, regName: 'ABC Ltd' }),
        new TrackerFileError(
          `${file}: the XML declaration says encoding="${declared}", but the server writes ` +
            'UTF-8; it will not append to this file until it is saved as UTF-8',
        ),
      );
      assert.strictEqual(readFileSync(file, 'utf8'), text);
    }
    // Other names for UTF-8, and a UTF-16 declaration in a file of single bytes, which the
    // importer reads as UTF-8 too.
    for (const declared of ['UTF8', 'utf-16']) {
      writeFileSync(file, formatTrackerFile('ABC Ltd', [click(1)]).replace('utf-8', declared));
      const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
      await appender.append(click(2, { template: 'Ünï ☀' }));
      await appender.close();
      assert.deepStrictEqual(
        parseTrackerFile(file).map((c) => c.EmailTemplate),
        ['Spring Newsletter', 'Ünï ☀'],
      );
    }
  });

  for (const encoding of ['utf-16le', 'utf-16be'] as const) {
    it(`appends to a ${encoding} file without a BOM in ${encoding}`, async () => {
      const encode = (text: string) => {
        const bytes = Buffer.from(text, 'utf16le');
        return encoding === 'utf-16be' ? bytes.swap16() : bytes;
      };
      const first = click(1, { template: 'Café' });
      const second = click(2, { template: 'Ünï ☀' });
      const text = (clicks: ClickFields[]) =>
        formatTrackerFile('ABC Ltd', clicks).replace('utf-8', 'utf-16');
      writeFileSync(file, encode(text([first])));
      const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
      await appender.append(second);
      await appender.close();
      assert.deepStrictEqual(readFileSync(file), encode(text([first, second])));
    });
  }

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

  it('repairs a cut-off CRLF file to the exact bytes, keeping the last line break', async () => {
    const good =
      '<?xml version="1.0" encoding="utf-8"?>\r\n<Tracker regName="ABC Ltd">\r\n' +
      formatClick(click(1)).replace(/\n/g, '\r\n');
    const cut = formatClick(click(2)).replace(/\n/g, '\r\n').slice(0, 50);
    writeFileSync(file, good + cut);
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), `${good}</Tracker>\n`);
    assert.strictEqual(readFileSync(path.join(folder, sideFiles()[0]), 'utf8'), cut);
  });

  it('moves zero bytes left by a crash to the side file', async () => {
    const whole = formatTrackerFile('ABC Ltd', [click(1)]);
    const good = whole.slice(0, whole.lastIndexOf('</Tracker>'));
    const zeros = Buffer.alloc(70_000);
    writeFileSync(file, Buffer.concat([Buffer.from(good), zeros]));
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), whole);
    assert.deepStrictEqual(readFileSync(path.join(folder, sideFiles()[0])), zeros);
  });

  it('moves zero bytes after a complete document (a power cut) aside and appends again', async () => {
    const whole = formatTrackerFile('ABC Ltd', [click(1)]);
    writeFileSync(file, Buffer.concat([Buffer.from(whole), Buffer.alloc(100)]));
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(2));
    await appender.close();
    assert.strictEqual(
      readFileSync(file, 'utf8'),
      formatTrackerFile('ABC Ltd', [click(1), click(2)]),
    );
    assert.deepStrictEqual(readFileSync(path.join(folder, sideFiles()[0])), Buffer.alloc(100));
  });

  (canMountDisk ? it : it.skip)(
    'leaves no side file and no change when a full disk stops a repair, and repairs later (needs root)',
    () =>
      onSmallDisk('512k', async (disk) => {
        const tracker = path.join(disk, trackerFileName('ABC Ltd'));
        const whole = formatTrackerFile('ABC Ltd', [click(1)]);
        const cut = `  <Click><EmailTemplate>${'x'.repeat(200_000)}`;
        const text = whole.slice(0, whole.lastIndexOf('</Tracker>')) + cut;
        writeFileSync(tracker, text);
        const filler = path.join(disk, 'filler');
        writeFileSync(filler, Buffer.alloc(512 * 1024 - 200_000 - 8192 * 4));

        await assert.rejects(TrackerAppender.open({ file: tracker, regName: 'ABC Ltd' }), /ENOSPC/);
        assert.deepStrictEqual(readdirSync(disk).sort(), [path.basename(tracker), 'filler']);
        assert.strictEqual(readFileSync(tracker, 'utf8'), text);

        rmSync(filler);
        const appender = await TrackerAppender.open({ file: tracker, regName: 'ABC Ltd' });
        await appender.close();
        assert.strictEqual(readFileSync(tracker, 'utf8'), whole);
        const side = readdirSync(disk).filter((name) => name.includes('.damaged-'));
        assert.strictEqual(readFileSync(path.join(disk, side[0]), 'utf8'), cut);
      }),
  );

  it('repairs a UTF-8 file whose element names are not ASCII, and ends it with its own root', async () => {
    const good =
      '<?xml version="1.0" encoding="utf-8"?>\n<Données>\n' +
      '  <Clic><Modèle>Été</Modèle><Contact>1</Contact></Clic>\n';
    const cut = '  <Clic><Modèle>Ünï ☀</Mo';
    writeFileSync(file, good + cut);
    const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await appender.append(click(2));
    await appender.close();
    assert.strictEqual(readFileSync(file, 'utf8'), `${good}${formatClick(click(2))}</Données>\n`);
    assert.strictEqual(readFileSync(path.join(folder, sideFiles()[0]), 'utf8'), cut);

    // Opened again, the clean end is found from the head and the tail alone.
    const again = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    await again.append(click(3));
    await again.close();
    assert.strictEqual(
      readFileSync(file, 'utf8'),
      `${good}${formatClick(click(2))}${formatClick(click(3))}</Données>\n`,
    );
    assert.strictEqual(sideFiles().length, 1);
  });

  it('refuses, with file and line, an end tag that does not close the open element', async () => {
    const whole = formatTrackerFile('ABC Ltd', [click(1), click(2)]);
    const text = whole.replace('</LinkName>', '</Link>');
    writeFileSync(file, text.slice(0, -12));
    await assert.rejects(TrackerAppender.open({ file, regName: 'ABC Ltd' }), (error: Error) =>
      error.message.startsWith(
        `${file}:6: end tag </Link> does not close the open element <LinkName>`,
      ),
    );
    assert.strictEqual(readFileSync(file, 'utf8'), text.slice(0, -12));
    assert.deepStrictEqual(sideFiles(), []);
  });

  for (const encoding of ['utf-16le', 'utf-16be'] as const) {
    it(`repairs a ${encoding} file cut inside a surrogate pair to the exact bytes`, async () => {
      const encode = (text: string) => {
        const bytes = Buffer.from(text, 'utf16le');
        return encoding === 'utf-16be' ? bytes.swap16() : bytes;
      };
      const bom = encode('\uFEFF');
      const text = formatTrackerFile('ABC Ltd', [click(1, { template: 'Smile 😀 Ünï' })]);
      const good = text.slice(0, text.lastIndexOf('</Tracker>'));
      const entry = encode(formatClick(click(2, { template: 'Grin 😁' })));
      const cut = entry.subarray(0, entry.indexOf(encode('😁')) + 3); // high surrogate and a byte
      writeFileSync(file, Buffer.concat([bom, encode(good), cut]));
      const appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
      await appender.close();
      assert.deepStrictEqual(
        readFileSync(file),
        Buffer.concat([bom, encode(`${good}</Tracker>\n`)]),
      );
      assert.deepStrictEqual(readFileSync(path.join(folder, sideFiles()[0])), cut);
    });
  }

  it('refuses, with file and line, a root element that is self-closing', async () => {
    const text = '<?xml version="1.0" encoding="utf-8"?>\n<Tracker regName="ABC Ltd"/>\n';
    writeFileSync(file, text);
    await assert.rejects(TrackerAppender.open({ file, regName: 'ABC Ltd' }), (error: Error) =>
      error.message.startsWith(`${file}:2: the root element <Tracker> has no room for entries`),
    );
    assert.strictEqual(readFileSync(file, 'utf8'), text);
  });

  it('refuses a Reg Name that cannot be a file name', () => {
    assert.strictEqual(trackerFileName('ABC Ltd.'), 'Tracker_ABC Ltd..xml');
    assert.throws(() => trackerFileName('../etc'), /Reg Name/);
    assert.throws(() => trackerFileName('  '), /Reg Name/);
  });
});

describe('finding the end of a tracker file', () => {
  const file = 'Tracker_ABC Ltd.xml';

  /** What the appender reads from a UTF-8 file: one character per byte. */
  function latin1(text: string): string {
    return Buffer.from(text, 'utf8').toString('latin1');
  }

  const prolog =
    '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n' +
    '<!-- <Fake> is not the root, nor is </Tracker> its end -->\n' +
    '<?exporter <Fake> ?>\n' +
    '<!DOCTYPE Tracker [\n  <!ELEMENT Tracker (Click*)>\n' +
    '  <!ATTLIST Tracker note CDATA "a > b">\n]>\n' +
    '<![CDATA[<Fake>]]>\n' +
    '<Tracker regName="ABC Ltd" note="a > b" other=\'<Fake>?\'>\n';
  const firstEntry = formatClick(click(1, { template: 'Café ☀' }));
  const lastEntry =
    '  <Click note="x > y" other=\'/>\'>' +
    '<EmailTemplate><![CDATA[</Click></Tracker>]]></EmailTemplate>' +
    '<!-- </Click></Tracker> --><?pi </Tracker>?>' +
    '<ContactID>2</ContactID><LinkName>Ünï</LinkName><Empty/></Click>\n';

  it('finds the root end tag after comments, CDATA, instructions and a DOCTYPE', () => {
    const text = latin1(prolog + firstEntry + lastEntry + '</Tracker>' + ' \r\n\t'.repeat(5000));
    assert.deepStrictEqual(findEnd(text, file), {
      rootName: 'Tracker',
      endTagOffset: text.lastIndexOf('</Tracker>'),
      needsEndTag: false,
    });
  });

  it('finds the end of the last complete entry wherever the file is cut off', () => {
    const good = latin1(prolog + firstEntry);
    const last = latin1(lastEntry);
    for (let cut = 1; cut < last.length - 1; cut++) {
      const text = good + last.slice(0, cut);
      assert.deepStrictEqual(
        findEnd(text, file),
        {
          rootName: 'Tracker',
          endTagOffset: good.length,
          damagedFrom: cut > 2 ? good.length : undefined,
          needsEndTag: true,
        },
        `cut after ${JSON.stringify(last.slice(0, cut))}`,
      );
    }
    const whole = good + last;
    assert.deepStrictEqual(findEnd(whole, file), {
      rootName: 'Tracker',
      endTagOffset: whole.length,
      damagedFrom: undefined,
      needsEndTag: true,
    });
  });

  it('keeps a CRLF after the last complete entry, and only a missing end tag to restore', () => {
    const text = '<Tracker>\r\n  <Click><ContactID>1</ContactID></Click>\r\n  \r\n';
    assert.deepStrictEqual(findEnd(text, file), {
      rootName: 'Tracker',
      endTagOffset: text.indexOf('  \r\n', 12),
      damagedFrom: undefined,
      needsEndTag: true,
    });
  });

  it('names the line of a self-closing root, or of an end tag before any root', () => {
    assert.throws(
      () => findEnd('<?xml version="1.0"?>\r\n<!-- a -->\r\n<Tracker a="/>"/>\n', file),
      new TrackerFileError(
        `${file}:3: the root element <Tracker> has no room for entries; ` +
          'the server will not append to this file',
      ),
    );
    assert.throws(
      () => findEnd('\n</Tracker>\n<Tracker>\n', file),
      (error: Error) =>
        error instanceof TrackerFileError &&
        error.message.startsWith(`${file}:2: the root element <Tracker> has no room`),
    );
  });

  it('names the line of what follows the root end tag, and calls a comment a comment', () => {
    const text = '<Tracker>\r\n  <Click/>\r\n</Tracker>\r\n\r\n<!-- later -->\r\n';
    assert.throws(
      () => findEnd(text, file),
      new TrackerFileError(
        `${file}:5: a comment after the root end tag </Tracker>; the server appends before ` +
          '</Tracker> and rewrites what follows it, so it will not append to this file until ' +
          'that is moved inside <Tracker> or deleted',
      ),
    );
    assert.throws(
      () => findEnd('<Tracker>\n</Tracker>\n<?pi x?>\n', file),
      /:3: a processing instruction after the root end tag/,
    );
  });

  it('keeps text indexes exact across the pieces saxes is given, a CRLF split included', () => {
    const entry = '  <Click><ContactID>Ünï</ContactID><Date>2026-03-14</Date></Click>\r\n';
    const start = latin1('<Tracker>\r\n<!---->\r\n');
    const count = Math.floor((1 << 20) / entry.length) + 3;
    const entries = latin1(entry.repeat(count));
    // Pad the comment so that the CR of a CRLF is the last character of the first piece.
    const pad =
      (1 << 20) - 1 - (start.length + entries.indexOf('\r', (1 << 20) - 200 - start.length));
    const good = start.replace('<!---->', `<!--${'x'.repeat(pad)}-->`) + entries;
    assert.strictEqual(good.charAt((1 << 20) - 1), '\r');
    const text = good + latin1(entry.slice(0, 30));
    assert.deepStrictEqual(findEnd(text, file), {
      rootName: 'Tracker',
      endTagOffset: good.length,
      damagedFrom: good.length,
      needsEndTag: true,
    });
  });

  it('refuses text without a root element, markup that only looks like one included', () => {
    for (const text of [
      '',
      'just some text\n',
      '<?xml version="1.0"?>\n<!-- <Tracker> -->\n<![CDATA[<Tracker>]]>\n',
      '<?xml version="1.0"?>\n<Tracker regName="cut off',
    ]) {
      assert.throws(
        () => findEnd(text, file),
        new TrackerFileError(
          `${file}: not a tracker file (no root element); move it away or choose another folder`,
        ),
        JSON.stringify(text),
      );
    }
  });
});
