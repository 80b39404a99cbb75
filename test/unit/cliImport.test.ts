import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import {
  type ClickFields,
  formatClick,
  formatTrackerFile,
  ROOT_END_TAG,
  trackerFileStart,
} from '../../src/tracker/trackerWriter';
import { canMountDisk, onSmallDisk } from './scratchFolder';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const click = (contactId: string, time: string, overrides: Partial<ClickFields> = {}) => ({
  template: 'Spring Newsletter',
  contactId,
  linkName: 'Book a review',
  date: '2026-03-14',
  time,
  ...overrides,
});

describe('link-tracking import and clicks (CLI)', function () {
  this.timeout(60_000);
  let folder: string;
  let db: string;

  before(() => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root });
  });

  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'tracking-cli-'));
    db = path.join(folder, 'tracking.sqlite');
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  function write(name: string, content: string): string {
    const file = path.join(folder, name);
    writeFileSync(file, content);
    return file;
  }

  it('refuses a pipe or a folder instead of reading it as an empty file', () => {
    const file = write('Tracker_ABC Ltd.xml', formatTrackerFile('ABC Ltd', [click('1', '10:00')]));
    // A shell pipe (Node's own child stdio is a socket, which cannot be opened at all).
    const shell = `cat "$0" | "${process.execPath}" "${cli}" import /dev/stdin --db "$1" --json`;
    const result = spawnSync('sh', ['-c', shell, file, db], { encoding: 'utf8' });
    const piped = { code: result.status, stdout: result.stdout, stderr: result.stderr };
    assert.equal(piped.code, 1, piped.stderr);
    const answer = JSON.parse(piped.stdout) as { added: number; problems: { message: string }[] };
    assert.equal(answer.added, 0);
    assert.match(answer.problems[0].message, /not a regular file/);

    const folderImport = run('import', folder, '--db', db);
    assert.equal(folderImport.code, 1);
    assert.match(folderImport.stderr, /:1:1 error It is not a regular file/);
  });

  it('imports with --json, then lists the clicks ordered by date, time and contact', () => {
    const file = write(
      'Tracker_ABC Ltd.xml',
      formatTrackerFile('ABC Ltd', [
        click('2002', '10:00:00'),
        click('1001', '10:00:00', { linkName: 'Read & more' }),
        click('3003', '09:00:00', { date: '2026-03-15' }),
        click('1001', '10:00:00', { linkName: 'Other link' }),
      ]),
    );

    const imported = run('import', file, '--db', db, '--json');
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(JSON.parse(imported.stdout), {
      added: 3,
      duplicates: 1,
      invalid: 0,
      problems: [],
    });

    const listed = run('clicks', '--db', db, '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [
      {
        contactId: '1001',
        template: 'Spring Newsletter',
        linkName: 'Read & more',
        date: '2026-03-14',
        time: '10:00:00',
      },
      {
        contactId: '2002',
        template: 'Spring Newsletter',
        linkName: 'Book a review',
        date: '2026-03-14',
        time: '10:00:00',
      },
      {
        contactId: '3003',
        template: 'Spring Newsletter',
        linkName: 'Book a review',
        date: '2026-03-15',
        time: '09:00:00',
      },
    ]);

    const one = run('clicks', '--db', db, '--contact', '2002', '--json');
    assert.deepEqual(
      (JSON.parse(one.stdout) as { contactId: string }[]).map((c) => c.contactId),
      ['2002'],
    );

    const again = run('import', file, '--db', db, '--json');
    assert.equal(again.code, 0);
    assert.equal((JSON.parse(again.stdout) as { added: number }).added, 0);
  });

  it('prints a summary line and problems as file:line:column without --json', () => {
    const file = write(
      'Tracker_A.xml',
      formatTrackerFile('A', [
        click('1', '08:00:00'),
        click('2', '08:00:00', { date: '2026-02-30' }),
        click('3', '08:00:00'),
      ]),
    );
    const result = run('import', file, '--db', db);
    assert.equal(result.code, 0, result.stderr);
    const [summary, ...problems] = result.stdout.trim().split('\n');
    assert.equal(
      summary,
      'Imported 2 tracked emails from Tracker_A.xml; 1 entry was skipped (invalid)',
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0], new RegExp(`^${escapeRegExp(file)}:\\d+:\\d+ error .+`));
    assert.equal(result.stderr, '', 'no progress on a stderr that is not a terminal');
  });

  it('exits 0 with a warning for a cut-off last entry, importing the complete ones', () => {
    const whole = formatTrackerFile('A', [click('1', '08:00:00'), click('2', '08:00:01')]);
    const file = write('Tracker_A.xml', whole.slice(0, whole.lastIndexOf('<Date>')));
    const result = run('import', file, '--db', db, '--json');
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as {
      added: number;
      problems: { line: number; column: number; severity: string; message: string }[];
    };
    assert.equal(output.added, 1);
    assert.ok(output.problems.length >= 1);
    assert.deepEqual(Object.keys(output.problems[0]).sort(), [
      'column',
      'line',
      'message',
      'severity',
    ]);
  });

  it('exits 1 and imports nothing when the file is refused', () => {
    const good = write('Tracker_good.xml', formatTrackerFile('A', [click('1', '08:00:00')]));
    assert.equal(run('import', good, '--db', db, '--json').code, 0);
    const savedBefore = readFileSync(db);

    const broken = write(
      'broken.xml',
      trackerFileStart('A') +
        formatClick(click('2', '08:00:00')) +
        formatClick(click('4', '08:00:00', { date: '2026-13-45' })) +
        '  <Click><ContactID>3</Click>\n' +
        ROOT_END_TAG,
    );
    const refused = run('import', broken, '--db', db, '--json');
    assert.equal(refused.code, 1);
    const output = JSON.parse(refused.stdout) as {
      added: number;
      invalid: number;
      problems: { line: number; column: number; severity: string }[];
    };
    assert.equal(output.added, 0);
    // The bad entry before the fault is neither counted nor listed: only the refusal is.
    assert.equal(output.invalid, 0);
    assert.equal(output.problems.length, 1);
    assert.equal(output.problems[0].severity, 'error');
    assert.ok(output.problems[0].line >= 3);
    assert.deepEqual(readFileSync(db), savedBefore);

    const doctype = write(
      'doctype.xml',
      '<?xml version="1.0"?>\n<!DOCTYPE Tracker [<!ENTITY x "boom">]>\n<Tracker>&x;</Tracker>\n',
    );
    assert.equal(run('import', doctype, '--db', db, '--json').code, 1);

    const missing = run('import', path.join(folder, 'nope.xml'), '--db', db);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.xml/);
  });

  it('keeps an unreadable database aside, says where, and imports into a new one', () => {
    writeFileSync(db, 'not a database '.repeat(200));
    const file = write('Tracker_A.xml', formatTrackerFile('A', [click('1', '08:00:00')]));
    const result = run('import', file, '--db', db, '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { added: number }).added, 1);
    const aside = /it was kept as (.+\.corrupt-\S+) and/.exec(result.stderr)?.[1];
    assert.ok(aside, result.stderr);
    assert.equal(readFileSync(aside, 'utf8'), 'not a database '.repeat(200));
  });

  it('answers one JSON object, exit 1, when the database cannot be used at all', () => {
    const file = write('Tracker_A.xml', formatTrackerFile('A', [click('1', '08:00:00')]));
    const result = run('import', file, '--db', folder, '--json');
    assert.equal(result.code, 1, result.stderr);
    const output = JSON.parse(result.stdout) as {
      added: number;
      problems: { line: number; severity: string; message: string }[];
    };
    assert.equal(output.added, 0);
    assert.equal(output.problems.length, 1);
    assert.equal(output.problems[0].severity, 'error');
    assert.match(output.problems[0].message, /not a regular file/);
    assert.equal(output.problems[0].line, 0, 'not a place in the tracker file');

    // Without --json: the database is named as the problem, not the tracker file.
    const text = run('import', file, '--db', folder);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /database file .* cannot be used .*nothing was imported/);
    assert.doesNotMatch(text.stderr, /Tracker_A\.xml/);
  });

  it("refuses another program's SQLite database, names it, and neither moves nor changes it", async () => {
    const SQL = await initSqlJs();
    const other = new SQL.Database();
    other.run('CREATE TABLE imports (x); CREATE TABLE orders (id INTEGER PRIMARY KEY)');
    writeFileSync(db, other.export());
    other.close();
    const before = readFileSync(db);
    const file = write('Tracker_A.xml', formatTrackerFile('A', [click('1', '08:00:00')]));

    const json = run('import', file, '--db', db, '--json');
    assert.equal(json.code, 1, json.stderr);
    const problem = (JSON.parse(json.stdout) as { problems: { line: number; message: string }[] })
      .problems[0];
    assert.equal(problem.line, 0);
    assert.match(problem.message, /tracking\.sqlite cannot be used/);
    assert.match(problem.message, /other tables \(imports, orders\), not an email tracking/);
    const text = run('import', file, '--db', db);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /not an email tracking database.*nothing was imported/);
    const listed = run('clicks', '--db', db);
    assert.equal(listed.code, 1);
    assert.match(listed.stderr, /not an email tracking database/);

    assert.deepEqual(readFileSync(db), before);
    assert.deepEqual(readdirSync(folder).sort(), ['Tracker_A.xml', 'tracking.sqlite']);
  });

  (canMountDisk ? it : it.skip)(
    'blames the database, not the tracker file, when the database cannot be saved',
    () =>
      onSmallDisk('1m', async (disk) => {
        const full = path.join(disk, 'tracking.sqlite');
        const first = write('Tracker_A.xml', formatTrackerFile('A', [click('1', '08:00:00')]));
        assert.equal(run('import', first, '--db', full).code, 0);
        const before = readFileSync(full);
        // Leave too little room for the new copy of the database that a save writes.
        const free = statfsSync(disk);
        writeFileSync(path.join(disk, 'filler'), Buffer.alloc(free.bavail * free.bsize - 16_384));
        const many = [click('2', '09:00:00'), click('3', '09:00:01')];
        const second = write('Tracker_B.xml', formatTrackerFile('B', many));

        const json = run('import', second, '--db', full, '--json');
        assert.equal(json.code, 1, json.stderr);
        const output = JSON.parse(json.stdout) as {
          added: number;
          problems: { line: number; message: string }[];
        };
        assert.equal(output.added, 0);
        assert.equal(output.problems[0].line, 0, 'not a place in the tracker file');
        assert.match(
          output.problems[0].message,
          /database file .*tracking\.sqlite could not be written/,
        );
        const text = run('import', second, '--db', full);
        assert.equal(text.code, 1);
        assert.doesNotMatch(text.stderr, /Tracker_B\.xml/);
        assert.match(text.stderr, /could not be written.*nothing was imported/);
        assert.deepEqual(readFileSync(full), before, 'the database file is as it was');
      }),
  );

  it('clicks refuses an unreadable database and leaves it where it is (it only reads)', () => {
    writeFileSync(db, 'not a database '.repeat(200));
    const result = run('clicks', '--db', db, '--json');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot be used/);
    assert.equal(readFileSync(db, 'utf8'), 'not a database '.repeat(200));
    assert.deepEqual(
      readdirSync(folder).filter((name) => name.includes('.corrupt-')),
      [],
      'nothing moved aside',
    );
  });

  it('exits 2 for wrong usage', () => {
    assert.equal(run('bogus').code, 2, 'an unknown command');
    assert.equal(run('import').code, 2);
    assert.equal(run('import', 'x.xml').code, 2, '--db is required');
    assert.equal(run('import', 'x.xml', '--db', db, '--date-order', 'ymd').code, 2);
    assert.equal(run('import', 'x.xml', '--db', db, '--bogus').code, 2);
    assert.equal(run('clicks').code, 2);
    const tooMany = run('import', 'a.xml', 'b.xml', '--db', db);
    assert.equal(tooMany.code, 2, 'a second file is not silently left out');
    assert.match(tooMany.stderr, /too many arguments for 'import'/);
    assert.equal(run('clicks', 'extra', '--db', db).code, 2);
    assert.equal(existsSync(db), false, 'wrong usage touches nothing');
    assert.equal(run('import', '--help').code, 0);
  });

  it('reads month-first dates with --date-order mdy', () => {
    const file = write(
      'Tracker_A.xml',
      '<Tracker>\n  <Click><EmailTemplate>T</EmailTemplate><ContactID>1</ContactID>' +
        '<LinkName>L</LinkName><Date>03/04/2026</Date><Time>08:00:00</Time></Click>\n' +
        '</Tracker>\n',
    );
    assert.equal(run('import', file, '--db', db, '--date-order', 'mdy', '--json').code, 0);
    const [stored] = JSON.parse(run('clicks', '--db', db, '--json').stdout) as { date: string }[];
    assert.equal(stored.date, '2026-03-04');
  });
  it('stops quietly when the reader of its output goes away (clicks | head)', async () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const many = Array.from({ length: 5_000 }, (_, i) =>
      click(`C${i}`, `${two(Math.floor(i / 3600))}:${two(Math.floor(i / 60) % 60)}:${two(i % 60)}`),
    );
    const file = write('Tracker_many.xml', formatTrackerFile('ABC Ltd', many));
    assert.equal(run('import', file, '--db', db, '--json').code, 0);
    const child = spawn(process.execPath, [cli, 'clicks', '--db', db]);
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    // Like head: read the first piece of the output, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('lets two imports into one database run one after the other; both land', async () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const many = Array.from({ length: 40_000 }, (_, i) =>
      click(
        `A${i % 997}`,
        `${two(Math.floor(i / 3600))}:${two(Math.floor(i / 60) % 60)}:${two(i % 60)}`,
      ),
    );
    const big = write('Tracker_big.xml', formatTrackerFile('ABC Ltd', many));
    const small = write(
      'Tracker_small.xml',
      formatTrackerFile('ABC Ltd', [click('B1', '10:00:00')]),
    );
    const start = (file: string) => {
      const child = spawn(process.execPath, [cli, 'import', file, '--db', db, '--json']);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (data) => (stdout += data));
      child.stderr.on('data', (data) => (stderr += data));
      return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        child.on('close', (code) => resolve({ code, stdout, stderr })),
      );
    };
    const first = start(big);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [a, b] = await Promise.all([first, start(small)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(a.stdout).added + JSON.parse(b.stdout).added, 40_001);
    const clicks = spawnSync(process.execPath, [cli, 'clicks', '--db', db, '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const listed = JSON.parse(clicks.stdout) as unknown[];
    assert.equal(listed.length, 40_001, 'neither import undid the other');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
