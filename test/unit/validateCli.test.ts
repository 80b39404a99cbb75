// `link-tracking validate` as a user runs it: the built CLI in a child process.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function validate(...args: string[]): Run {
  const run = spawnSync(process.execPath, [CLI, 'validate', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function click(fields: Record<string, string>): string {
  const lines = Object.entries(fields).map(([name, value]) => `    <${name}>${value}</${name}>`);
  return ['  <Click>', ...lines, '  </Click>'].join('\n');
}

const GOOD = {
  EmailTemplate: 'Spring Newsletter',
  ContactID: '1042',
  LinkName: 'Book a review',
  Date: '2026-03-14',
  Time: '09:26:53',
};

/** Lines: 1 declaration, 2 root, entries of 7 lines each from line 3. */
function tracker(entries: Record<string, string>[], rootEnd = true): string {
  const body = entries.map(click).join('\n');
  const head = '<?xml version="1.0" encoding="utf-8"?>\n<Tracker regName="ABC Ltd">\n';
  return `${head}${body}\n${rootEnd ? '</Tracker>\n' : ''}`;
}

describe('link-tracking validate (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  const file = (name: string, content: string | Buffer) => {
    const target = path.join(dir, name);
    writeFileSync(target, content);
    return target;
  };

  before(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT });
    dir = mkdtempSync(path.join(tmpdir(), 'validate-cli-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints nothing and exits 0 for a clean file; --json counts the entries', () => {
    const clean = file('Tracker_Clean.xml', tracker([GOOD, { ...GOOD, ContactID: '1043' }]));

    const text = validate(clean);
    assert.equal(text.status, 0, text.stderr);
    assert.equal(text.stdout, '');
    assert.match(text.stderr, /2 entries, 0 errors, 0 warnings/);

    const json = validate(clean, '--json');
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { problems: [], entries: 2 });
  });

  it('reports an unreadable date at its value as file:line:column and exits 1', () => {
    const bad = file('Tracker_BadDate.xml', tracker([GOOD, { ...GOOD, Date: '31/02/2026' }]));

    const run = validate(bad);
    assert.equal(run.status, 1);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, run.stdout);
    // Second entry starts on line 10; its <Date> value on line 14, after `    <Date>`.
    assert.match(lines[0], new RegExp(`^${escape(bad)}:14:11 error .*31/02/2026`));

    const json = JSON.parse(validate(bad, '--json').stdout);
    assert.equal(json.entries, 2);
    assert.equal(json.problems.length, 1);
    assert.deepEqual(
      { ...json.problems[0], message: undefined },
      { line: 14, column: 11, severity: 'error', message: undefined, code: 'bad-date' },
    );
  });

  it('exits 0 when there are only warnings (a missing root end tag)', () => {
    const crashed = file('Tracker_Crashed.xml', tracker([GOOD], false));

    const run = validate(crashed, '--json');
    assert.equal(run.status, 0, run.stderr);
    const { problems, entries } = JSON.parse(run.stdout);
    assert.equal(entries, 1);
    assert.deepEqual(
      problems.map((p: { severity: string; code: string }) => [p.severity, p.code]),
      [['warning', 'missing-root-end']],
    );
  });

  it('flags a later duplicate of an earlier entry as a warning on the later one', () => {
    const dup = file('Tracker_Dup.xml', tracker([GOOD, { ...GOOD, LinkName: 'Other link' }]));

    const run = validate(dup);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${escape(dup)}:10:3 warning .*line 3`, 'm'));
  });

  it('reads UTF-16 files with a BOM at the same lines and columns as UTF-8', () => {
    const text = tracker([GOOD, { ...GOOD, Time: '25:61:00' }]).replace('utf-8', 'utf-16');
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const utf16be = Buffer.from(utf16le);
    utf16be.swap16();
    const utf8bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);

    for (const [name, bytes] of [
      ['Tracker_LE.xml', utf16le],
      ['Tracker_BE.xml', utf16be],
      ['Tracker_BOM.xml', utf8bom],
    ] as const) {
      const run = validate(file(name, bytes), '--json');
      assert.equal(run.status, 1, `${name}: ${run.stderr}`);
      const { problems, entries } = JSON.parse(run.stdout);
      assert.equal(entries, 2, name);
      assert.deepEqual(
        problems.map((p: { line: number; column: number; code: string }) => [
          p.line,
          p.column,
          p.code,
        ]),
        [[15, 11, 'bad-time']],
        name,
      );
    }
  });

  it('reports bytes that are not text in the file encoding as an encoding error', () => {
    const [head, tail] = tracker([GOOD]).split('Spring');
    const bytes = Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from(tail)]);
    const run = validate(file('Tracker_Bytes.xml', bytes), '--json');
    assert.equal(run.status, 1);
    const { problems } = JSON.parse(run.stdout);
    assert.equal(problems.length, 1);
    assert.deepEqual([problems[0].line, problems[0].column, problems[0].code], [4, 20, 'encoding']);
  });

  it('reads numeric dates in the order --date-order gives', () => {
    const us = file('Tracker_US.xml', tracker([{ ...GOOD, Date: '12/31/2026' }]));
    assert.equal(validate(us).status, 1, 'day 12 of month 31 is no date');
    const run = validate(us, '--date-order', 'mdy', '--json');
    assert.equal(run.status, 0, run.stdout);
  });

  it('refuses a DOCTYPE and a file that is not well-formed, with their line and column', () => {
    const doctype = file(
      'Tracker_Doctype.xml',
      tracker([GOOD]).replace('\n<Tracker', '\n<!DOCTYPE Tracker [<!ENTITY x "y">]>\n<Tracker'),
    );
    const run = validate(doctype, '--json');
    assert.equal(run.status, 1);
    const codes = JSON.parse(run.stdout).problems.map((p: { code: string }) => p.code);
    assert.ok(codes.includes('doctype'), codes.join(', '));

    // The second entry's template (line 11) closes with the wrong end tag.
    const twoEntries = tracker([GOOD, GOOD]);
    const second = twoEntries.lastIndexOf('</EmailTemplate>');
    const garbled = file(
      'Tracker_Garbled.xml',
      `${twoEntries.slice(0, second)}</Template>${twoEntries.slice(second + 16)}`,
    );
    const broken = validate(garbled);
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, new RegExp(`^${escape(garbled)}:11:\\d+ error `, 'm'));
  });

  it('exits 1 with a clear message for a file that cannot be read', () => {
    const run = validate(path.join(dir, 'Tracker_Missing.xml'));
    assert.equal(run.status, 1);
    assert.match(run.stderr, /cannot read .*Tracker_Missing\.xml/);
    assert.equal(run.stdout, '');
  });

  it('exits 2 for wrong usage', () => {
    assert.equal(validate().status, 2);
    const run = validate(path.join(dir, 'x.xml'), '--date-order', 'ymd');
    assert.equal(run.status, 2);
    assert.match(run.stderr, /date-order/);
    assert.equal(validate('a.xml', '--nonsense').status, 2);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
