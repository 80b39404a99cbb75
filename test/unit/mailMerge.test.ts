import * as assert from 'node:assert';
import { parse } from 'csv-parse/sync';
import { mailMergeCsv } from '../../src/server/mailMerge';
import { verifyTrackedLink } from '../../src/server/trackedLink';
import { TrackingDatabase } from '../../src/store/database';
import { directoryClients, directoryContacts } from '../../src/store/directory';

const key = Buffer.alloc(32, 5);

describe('mail-merge CSV', () => {
  it('quotes awkward names and carries one verifiable link per contact', () => {
    const contacts = [
      { contactId: '1', name: 'Ann "Nan" Lee, Jr.', email: 'ann@example.org' },
      { contactId: '2,5', name: 'Bob\r\nSmith', email: '' },
      { contactId: '3', name: 'Zoë Ünal', email: 'z@example.org' },
    ];
    const link = { template: 'Spring', linkName: 'Offer', target: 'https://e.org/?a=1&b=2' };
    const csv = mailMergeCsv('https://track.example.com/LinkTracking', key, link, contacts);
    assert.ok(csv.startsWith('\uFEFFContactID,Name,Email,TrackedLink\r\n'));
    const rows = parse(csv, { bom: true }) as string[][];
    assert.deepStrictEqual(rows[0], ['ContactID', 'Name', 'Email', 'TrackedLink']);
    assert.deepStrictEqual(
      rows.slice(1).map((row) => row.slice(0, 3)),
      contacts.map((c) => [c.contactId, c.name, c.email]),
    );
    for (const [index, row] of rows.slice(1).entries()) {
      const url = new URL(row[3]);
      assert.strictEqual(url.origin + url.pathname, 'https://track.example.com/LinkTracking');
      const check = verifyTrackedLink(url.search.slice(1), key);
      assert.ok(check.ok);
      assert.deepStrictEqual(check.fields, { ...link, contactId: contacts[index].contactId });
    }
  });

  it('refuses contacts whose link could not be used, naming the contact', () => {
    const link = { template: 'Spring', linkName: 'Offer', target: 'https://e.org/' };
    const base = 'https://track.example.com/LinkTracking';
    const ok = { contactId: '1', name: 'Ann', email: '' };
    assert.throws(
      () => mailMergeCsv(base, key, link, [ok, { contactId: 'x\u0001', name: 'B', email: '' }]),
      /^Error: Contact "x\\u0001": The contact ID contains/,
    );
    const long = { contactId: '9'.repeat(9000), name: 'C', email: '' };
    assert.throws(
      () => mailMergeCsv(base, key, link, [ok, long]),
      (error: Error) => error.message.startsWith('Contact "999') && /limit/.test(error.message),
    );
  });
});

describe('directory queries', () => {
  it('lists contacts of the directory or of one client, and the clients', async () => {
    const database = await TrackingDatabase.openInMemory(
      require.resolve('sql.js/dist/sql-wasm.wasm'),
    );
    database.db.exec(
      "INSERT INTO contacts VALUES ('7', 'bea', 'b@e.org', 'ACME'), ('3', 'Al', '', 'ACME')," +
        " ('9', 'Cy', 'c@e.org', '')",
    );
    assert.deepStrictEqual(
      directoryContacts(database).map((c) => c.contactId),
      ['3', '7', '9'],
    );
    assert.deepStrictEqual(directoryContacts(database, 'ACME'), [
      { contactId: '3', name: 'Al', email: '', client: 'ACME' },
      { contactId: '7', name: 'bea', email: 'b@e.org', client: 'ACME' },
    ]);
    assert.deepStrictEqual(directoryClients(database), [{ client: 'ACME', count: 2 }]);
    database.close();
  });
});
