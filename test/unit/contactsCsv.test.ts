import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { importContactsFile } from '../../src/store/contacts';
import { decodeContactsFile, detectDelimiter, readContactsCsv } from '../../src/store/contactsCsv';
import { TrackingDatabase } from '../../src/store/database';

const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

function contactsTable(database: TrackingDatabase) {
  const result = database.db.exec(
    'SELECT contact_id, name, email, client FROM contacts ORDER BY contact_id',
  );
  return result.length === 0 ? [] : result[0].values;
}

describe('readContactsCsv', () => {
  it('matches header names loosely', () => {
    const headers = [
      'ContactID,Name,Email,Client',
      'Contact ID,Full Name,Email Address,Company',
      'id,full_name,E-mail,Organisation',
      ' CONTACT-ID ,contact name,email address,organization',
    ];
    for (const header of headers) {
      const result = readContactsCsv(`${header}\n1042,Ann Lee,ann@example.com,ACME\n`);
      assert.deepEqual(result.problems, [], header);
      assert.deepEqual(
        result.contacts.map(({ line: _line, ...rest }) => rest),
        [{ contactId: '1042', name: 'Ann Lee', email: 'ann@example.com', client: 'ACME' }],
        header,
      );
    }
  });

  it('does not take a column named just "Contact" for the contact ID', () => {
    const result = readContactsCsv('Contact,Email\nAnn Lee,ann@example.com\n');
    assert.equal(result.refused, true);
    assert.match(result.problems[0].message, /No contact ID column/);
  });

  it('joins first and last name when there is no full name column', () => {
    const result = readContactsCsv('Id,First Name,Last Name\n7,Ann,Lee\n8,,Solo\n9,,\n');
    assert.deepEqual(
      result.contacts.map((c) => c.name),
      ['Ann Lee', 'Solo', ''],
    );
  });

  it('leaves fields the file has no column for undefined', () => {
    const [contact] = readContactsCsv('Contact ID;Email\n5;e@x.org\n').contacts;
    assert.equal(contact.name, undefined);
    assert.equal(contact.client, undefined);
    assert.equal(contact.email, 'e@x.org');
  });

  it('detects comma, semicolon and tab separators from the header line', () => {
    assert.equal(detectDelimiter('a,b,c\n1;2;3;4;5\n'), ',');
    assert.equal(detectDelimiter('"x,y";b;c\n'), ';');
    assert.equal(detectDelimiter('a\tb\tc\n'), '\t');
    assert.equal(detectDelimiter('single\n1\n'), ',');
    const result = readContactsCsv('Id;Name;Client\n1;"Lee, Ann";"A; B"\n');
    assert.equal(result.delimiter, ';');
    assert.equal(result.contacts[0].name, 'Lee, Ann');
    assert.equal(result.contacts[0].client, 'A; B');
  });

  it('reads quoted fields holding delimiters, quotes and (CR)LF newlines, with their lines', () => {
    const text =
      'Id,Name,Client\r\n1,"Ann ""Nan"" Lee","ACME,\r\nNorth"\r\n2,Bob,\r\n\r\n3,Cy,Zed\r\n';
    const result = readContactsCsv(text);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(
      result.contacts.map((c) => [c.contactId, c.name, c.client, c.line]),
      [
        ['1', 'Ann "Nan" Lee', 'ACME,\nNorth', 2],
        ['2', 'Bob', '', 4],
        ['3', 'Cy', 'Zed', 6],
      ],
    );
  });

  it('decodes UTF-8 with and without BOM, UTF-16 with BOM, and falls back to Windows-1252', () => {
    const text = 'Id,Name\n1,Zoë Ørsted\n';
    const utf8 = Buffer.from(text, 'utf8');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    for (const bytes of [utf8, withBom, utf16]) {
      const decoded = decodeContactsFile(bytes);
      const result = readContactsCsv(decoded.text);
      assert.equal(result.contacts[0].contactId, '1');
      assert.equal(result.contacts[0].name, 'Zoë Ørsted');
    }
    const ansi = decodeContactsFile(Buffer.from('Id,Name\n1,Zo\xeb\n', 'latin1'));
    assert.equal(ansi.encoding, 'windows-1252');
    assert.equal(readContactsCsv(ansi.text).contacts[0].name, 'Zoë');
  });

  it('strips a BOM left in the text so the first header still matches', () => {
    const result = readContactsCsv('\ufeffContactID,Name\n1,A\n');
    assert.equal(result.refused, false);
    assert.equal(result.contacts.length, 1);
  });

  it('reports a row without an ID at its line and column, and keeps the good rows', () => {
    const result = readContactsCsv('Name,Id,Email\nAnn,1,a@x\nBob, ,b@x\nCy,3,c@x\n');
    assert.deepEqual(
      result.contacts.map((c) => c.contactId),
      ['1', '3'],
    );
    assert.equal(result.invalid, 1);
    assert.deepEqual(result.problems, [
      {
        line: 3,
        column: 5,
        severity: 'error',
        message: 'Missing contact ID. Row not imported.',
      },
    ]);
  });

  it('reports rows with too many or too few fields, pointing at the field', () => {
    const result = readContactsCsv('Id,Name,Email\n1,Lee, Ann,a@x\n2,Bob\n3,Cy,c@x,\n');
    assert.deepEqual(
      result.contacts.map((c) => c.contactId),
      ['3'],
      'a trailing empty field is harmless',
    );
    assert.equal(result.invalid, 2);
    assert.deepEqual(
      result.problems.map((p) => [p.line, p.column, p.severity]),
      [
        [2, 12, 'error'],
        [3, 6, 'error'],
      ],
    );
    assert.match(result.problems[0].message, /4 fields where the header has 3/);
  });

  it('reports a broken quote with every line it swallowed, and keeps the rows before it', () => {
    const text = 'Id,Name\n1,Ann\n2,"Bob"x\n3,Cy\n4,"Di\n';
    const result = readContactsCsv(text);
    assert.deepEqual(
      result.contacts.map((c) => c.contactId),
      ['1'],
    );
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0].line, 3);
    assert.match(result.problems[0].message, /lines 3-5 not imported/);
  });

  it('refuses a file without a contact ID column, naming what it found', () => {
    const result = readContactsCsv('Name,Email\nAnn,a@x\n');
    assert.equal(result.refused, true);
    assert.equal(result.contacts.length, 0);
    assert.equal(result.invalid, 1);
    assert.equal(result.problems[0].line, 1);
    assert.match(result.problems[0].message, /No contact ID column.*Name, Email/);
  });

  it('refuses an empty file', () => {
    const result = readContactsCsv('');
    assert.equal(result.refused, true);
    assert.match(result.problems[0].message, /no header row/);
  });
});

describe('importContactsFile', () => {
  let folder: string;
  let database: TrackingDatabase;

  beforeEach(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'contacts-csv-'));
    database = await TrackingDatabase.open(path.join(folder, 'tracking.sqlite'), wasmPath);
  });

  afterEach(() => {
    database.close();
    rmSync(folder, { recursive: true, force: true });
  });

  function csv(name: string, text: string): string {
    const file = path.join(folder, name);
    writeFileSync(file, text);
    return file;
  }

  it('adds contacts, then updates by ID and adds new ones without deleting any', async () => {
    const first = await importContactsFile(
      database,
      csv('a.csv', 'Id,Name,Email,Client\n1,Ann,a@x,ACME\n2,Bob,b@x,\n'),
    );
    assert.deepEqual([first.added, first.updated, first.invalid], [2, 0, 0]);

    // No Client column, an empty email: both keep what the directory had.
    const second = await importContactsFile(
      database,
      csv('b.csv', 'Id,Name,Email\n1,Ann Lee,\n3,Cy,c@x\n2,Bob,b@x\n'),
    );
    assert.deepEqual([second.added, second.updated, second.unchanged], [1, 1, 1]);
    assert.deepEqual(contactsTable(database), [
      ['1', 'Ann Lee', 'a@x', 'ACME'],
      ['2', 'Bob', 'b@x', ''],
      ['3', 'Cy', 'c@x', ''],
    ]);
  });

  it('saves the database to its file', async () => {
    await importContactsFile(database, csv('a.csv', 'Id,Name\n1,Ann\n'));
    const reopened = await TrackingDatabase.open(database.file!, wasmPath);
    assert.deepEqual(contactsTable(reopened), [['1', 'Ann', '', '']]);
    reopened.close();
  });

  it('lets the later of two rows with one ID win, with a warning at its line', async () => {
    const result = await importContactsFile(
      database,
      csv('dup.csv', 'Id,Name\n1,Old\n2,Bob\n1,New\n'),
    );
    assert.equal(result.added, 2);
    assert.deepEqual(
      result.problems.map((p) => [p.line, p.severity]),
      [[4, 'warning']],
    );
    assert.match(result.problems[0].message, /also on line 2/);
    assert.equal(contactsTable(database)[0][1], 'New');
  });

  it('imports nothing from a refused file', async () => {
    const result = await importContactsFile(database, csv('bad.csv', 'Name\nAnn\n'));
    assert.equal(result.refused, true);
    assert.deepEqual(contactsTable(database), []);
  });
});

describe('link-tracking contacts import (CLI)', () => {
  let folder: string;
  let cli: string;

  before(() => {
    // The CLI as shipped: one bundle with the wasm file beside it.
    folder = mkdtempSync(path.join(tmpdir(), 'contacts-cli-'));
    cli = path.join(folder, 'cli.js');
    buildSync({
      entryPoints: [path.join(__dirname, '../../src/cli/main.ts')],
      outfile: cli,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'error',
    });
    copyFileSync(wasmPath, path.join(folder, 'sql-wasm.wasm'));
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  function run(...args: string[]) {
    const result = spawnSync(process.execPath, [cli, ...args], { cwd: folder, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('prints counts and problems as JSON and exits 0 when rows were bad', () => {
    writeFileSync(path.join(folder, 'c.csv'), 'Contact ID;Name\n1;Ann\n;Bob\n2;"Cy; C"\n');
    const result = run('contacts', 'import', 'c.csv', '--db', 'db.sqlite', '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      added: 2,
      updated: 0,
      unchanged: 0,
      invalid: 1,
      problems: [
        {
          line: 3,
          column: 1,
          severity: 'error',
          message: 'Missing contact ID. Row not imported.',
        },
      ],
    });
    const again = run('contacts', 'import', 'c.csv', '--db', 'db.sqlite');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /0 added, 0 updated, 2 unchanged, 1 rows not imported/);
    assert.match(again.stderr, /c\.csv:3:1 error Missing contact ID/);
  });

  it('exits 1 for a file it refuses or cannot read, and 2 for wrong usage', () => {
    writeFileSync(path.join(folder, 'no-id.csv'), 'Name\nAnn\n');
    const refused = run('contacts', 'import', 'no-id.csv', '--db', 'db.sqlite');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no-id\.csv:1:1 error No contact ID column/);
    assert.equal(run('contacts', 'import', 'missing.csv', '--db', 'db.sqlite').code, 1);
    assert.equal(run('contacts', 'import', 'c.csv').code, 2);
    assert.equal(run('contacts', 'frobnicate').code, 2);
  });

  it('answers one JSON object, exit 1, when the database cannot be used at all', () => {
    writeFileSync(path.join(folder, 'one.csv'), 'Contact ID;Name\n1;Ann\n');
    const result = run('contacts', 'import', 'one.csv', '--db', folder, '--json');
    assert.equal(result.code, 1, result.stderr);
    const output = JSON.parse(result.stdout) as { added: number; problems: { line: number }[] };
    assert.equal(output.added, 0);
    assert.equal(output.problems[0].line, 0);
  });
});
