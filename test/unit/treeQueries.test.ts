import assert from 'node:assert/strict';
import { upsertContacts } from '../../src/store/contacts';
import { TrackingDatabase } from '../../src/store/database';
import {
  clickCounts,
  clientsOf,
  contactsWithClicks,
  isOpenableLink,
  isWebLink,
  trackedEmailsOfContact,
  trackedEmailsTable,
  type TrackedEmailsQuery,
} from '../../src/store/treeQueries';

const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');

function addClicks(database: TrackingDatabase, clicks: [string, string, string, string, string][]) {
  database.db.exec(
    "INSERT OR IGNORE INTO imports (id, file_path, imported_at, added, duplicates, invalid) VALUES (1, 'test', '', 0, 0, 0)",
  );
  const insert = database.db.prepare(
    'INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) VALUES (?, ?, ?, ?, ?, 1)',
  );
  for (const click of clicks) {
    insert.run(click);
  }
  insert.free();
}

const contact = (contactId: string, name: string, email: string, client: string) => ({
  contactId,
  name,
  email,
  client,
  line: 1,
});

const allRows: TrackedEmailsQuery = {
  sort: 'date',
  descending: true,
  filter: '',
  offset: 0,
  limit: 100,
};

describe('tree queries', () => {
  let database: TrackingDatabase;

  beforeEach(async () => {
    database = await TrackingDatabase.openInMemory(wasmPath);
    addClicks(database, [
      ['1042', 'Spring Newsletter', '2026-03-14', '09:26:53', 'Book a review'],
      ['1042', 'Welcome', '2026-03-15', '08:00:00', 'https://example.com/a?b=1'],
      ['1042', 'Welcome', '2026-03-14', '10:00:00', 'Home'],
      ['7', 'Welcome', '2026-01-02', '07:00:00', 'Home'],
      ['8', '<img src=x onerror=alert(1)>', '2026-02-01', '12:00:00', '100% off_now'],
      ['9', 'Autumn', '2025-10-01', '23:59:59', 'javascript:alert(1)'],
    ]);
    upsertContacts(database, [
      contact('7', 'Zoë Adams', 'zoe@example.com', 'Beta Ltd'),
      contact('8', 'ann Lee', 'ann@example.com', 'Acme'),
      contact('9', 'Bob Brown', 'bob@example.com', ''),
      contact('55', 'No Clicks', 'nc@example.com', 'Acme'),
    ]);
  });

  afterEach(() => database.close());

  it('lists every contact with clicks by name, unknown ones as "Contact <ID>"', () => {
    assert.deepEqual(
      contactsWithClicks(database).map((c) => [c.contactId, c.label, c.email, c.client]),
      [
        ['8', 'ann Lee', 'ann@example.com', 'Acme'],
        ['9', 'Bob Brown', 'bob@example.com', ''],
        ['1042', 'Contact 1042', '', ''],
        ['7', 'Zoë Adams', 'zoe@example.com', 'Beta Ltd'],
      ],
    );
  });

  it('gives an unknown contact its name once the directory has it', () => {
    upsertContacts(database, [contact('1042', 'Carla Diaz', 'carla@example.com', 'Acme')]);
    const listed = contactsWithClicks(database).find((c) => c.contactId === '1042');
    assert.deepEqual(listed, {
      contactId: '1042',
      label: 'Carla Diaz',
      email: 'carla@example.com',
      client: 'Acme',
    });
  });

  it('groups contacts by client, sorted, with "No client" last', () => {
    const clients = clientsOf(contactsWithClicks(database));
    assert.deepEqual(
      clients.map((c) => [c.label, c.contacts.map((k) => k.contactId)]),
      [
        ['Acme', ['8']],
        ['Beta Ltd', ['7']],
        ['No client', ['9', '1042']],
      ],
    );
    assert.equal(clients[2].client, '');
  });

  it('counts clicks per contact', () => {
    assert.deepEqual(
      [...clickCounts(database, ['1042', '7', 'missing'])],
      [
        ['1042', 3],
        ['7', 1],
        ['missing', 0],
      ],
    );
  });

  it("pages a contact's tracked emails newest first", () => {
    const page = (offset: number) =>
      trackedEmailsOfContact(database, '1042', offset, 2).map((e) => `${e.date} ${e.time}`);
    assert.deepEqual(page(0), ['2026-03-15 08:00:00', '2026-03-14 10:00:00']);
    assert.deepEqual(page(2), ['2026-03-14 09:26:53']);
    assert.deepEqual(page(4), []);
  });

  it('sorts the table by each column both ways', () => {
    const scope = { kind: 'contact' as const, contactId: '1042' };
    const column = (sort: TrackedEmailsQuery['sort'], descending: boolean) =>
      trackedEmailsTable(database, scope, { ...allRows, sort, descending }).rows.map((r) =>
        sort === 'link' ? r.linkName : sort === 'template' ? r.template : r.time,
      );
    assert.deepEqual(column('date', true), ['08:00:00', '10:00:00', '09:26:53']);
    assert.deepEqual(column('date', false), ['09:26:53', '10:00:00', '08:00:00']);
    assert.deepEqual(column('template', false), ['Spring Newsletter', 'Welcome', 'Welcome']);
    assert.deepEqual(column('link', true), ['https://example.com/a?b=1', 'Home', 'Book a review']);
  });

  it('filters the table on any column, wildcards taken literally, and counts the matches', () => {
    const clientScope = {
      kind: 'client' as const,
      client: 'Acme',
      contactIds: ['8', '7', '9'],
    };
    const matches = (filter: string) => {
      const table = trackedEmailsTable(database, clientScope, { ...allRows, filter });
      return [table.total, table.rows.map((r) => r.contactId)];
    };
    assert.deepEqual(matches(''), [3, ['8', '7', '9']]);
    assert.deepEqual(matches('ZOE@'), [1, ['7']], 'email, any case');
    assert.deepEqual(matches('100%'), [1, ['8']]);
    assert.deepEqual(matches('0%'), [1, ['8']]);
    assert.deepEqual(matches('f_n'), [1, ['8']], '_ is literal');
    assert.deepEqual(matches('x_y'), [0, []]);
    assert.deepEqual(matches('2025-10-01 23'), [1, ['9']], 'date and time');
    assert.deepEqual(matches('bob brown'), [1, ['9']], 'contact name');
    const limited = trackedEmailsTable(database, clientScope, { ...allRows, limit: 1, offset: 1 });
    assert.equal(limited.total, 3);
    assert.deepEqual(
      limited.rows.map((r) => [r.contactId, r.email, r.name]),
      [['7', 'zoe@example.com', 'Zoë Adams']],
    );
  });

  it('opens only http(s) links that belong to the scope', () => {
    const scope = { kind: 'contact' as const, contactId: '1042' };
    assert.equal(isOpenableLink(database, scope, 'https://example.com/a?b=1'), true);
    assert.equal(isOpenableLink(database, scope, 'https://evil.example/'), false, 'not in data');
    assert.equal(isOpenableLink(database, scope, 'Home'), false, 'not a URL');
    const other = { kind: 'contact' as const, contactId: '9' };
    assert.equal(isOpenableLink(database, other, 'javascript:alert(1)'), false, 'in data');
    for (const link of [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'file:///etc/passwd',
      'command:workbench.action.terminal.new',
      'vscode://settings',
      'data:text/html,<b>x</b>',
      ' https://example.com/',
      'https//example.com',
      '',
    ]) {
      assert.equal(isWebLink(link), link === ' https://example.com/', link);
    }
    assert.equal(isWebLink('HTTP://EXAMPLE.COM/x'), true);
  });
});

describe('tree queries with 20,000 contacts and 210,000 clicks', function () {
  this.timeout(120_000);
  let database: TrackingDatabase;

  before(async () => {
    database = await TrackingDatabase.openInMemory(wasmPath);
    // Generated inside SQLite: 200,000 clicks over 20,000 contacts, and one with 10,000.
    database.db.exec(`
      INSERT INTO imports (id, file_path, imported_at, added, duplicates, invalid)
        VALUES (1, 'generated', '', 0, 0, 0);
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999)
      INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) SELECT 'C' || (i % 20000), 'Template ' || (i % 37),
        date('2026-01-01', '+' || (i % 300) || ' days'),
        printf('%02d:%02d:%02d', (i / 3600) % 24, (i / 60) % 60, i % 60), 'Link ' || (i % 5), 1
      FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
      INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) SELECT 'BIG', 'Template ' || (i % 37),
        date('2026-01-01', '+' || (i % 300) || ' days'),
        printf('%02d:%02d:%02d', (i / 3600) % 24, (i / 60) % 60, i % 60), 'Link ' || (i % 5), 1
      FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
      INSERT INTO contacts SELECT 'C' || i, 'Name ' || i, 'e' || i || '@example.com',
        CASE WHEN i % 10 = 0 THEN '' ELSE 'Client ' || (i % 300) END
      FROM n;
    `);
  });

  after(() => database.close());

  // Speed is measured by `npm run bench:trees`, not asserted here: timings flake on a busy machine.
  it('lists the 20,001 contacts with clicks, sorted by name', () => {
    const contacts = contactsWithClicks(database);
    assert.equal(contacts.length, 20_001);
    assert.equal(contacts[0].label, 'Contact BIG');
    assert.deepEqual(
      contacts.slice(1, 4).map((c) => c.label),
      ['Name 0', 'Name 1', 'Name 2'],
    );
    const clients = clientsOf(contacts);
    assert.equal(clients.length, 271);
    assert.equal(clients[clients.length - 1].contacts.length, 2001);
  });

  it('fetches the first page of a 10,000-click contact, and pages through all of it', () => {
    const first = trackedEmailsOfContact(database, 'BIG', 0, 501);
    assert.equal(first.length, 501);

    const seen = new Set<string>();
    let previous = '9999';
    for (let offset = 0; ; offset += 500) {
      const page = trackedEmailsOfContact(database, 'BIG', offset, 500);
      if (page.length === 0) {
        break;
      }
      for (const email of page) {
        const when = `${email.date} ${email.time}`;
        assert.ok(when <= previous, 'newest first across pages');
        previous = when;
        seen.add(`${email.template}|${when}`);
      }
    }
    assert.equal(seen.size, 10_000);
    assert.equal(clickCounts(database, ['BIG']).get('BIG'), 10_000);
  });

  it("fills a client's table page from thousands of contacts", () => {
    const members = clientsOf(contactsWithClicks(database)).find((c) => c.client === 'Client 7');
    assert.ok(members);
    const scope = {
      kind: 'client' as const,
      client: 'Client 7',
      contactIds: members.contacts.map((c) => c.contactId),
    };
    const table = trackedEmailsTable(database, scope, { ...allRows, limit: 500 });
    assert.equal(table.total, members.contacts.length * 10);
    assert.equal(table.rows.length, 500);
    assert.ok(table.rows.every((r) => r.email.endsWith('@example.com')));
  });
});
