// `npm run bench:trees`: how fast the Contacts and Clients trees and the Tracked Emails table
// read their data from a database of 20,000 contacts and (by default) 1,000,000 clicks, one
// contact holding 10,000 of them. A benchmark, not a test: it prints timings.
//
// BENCH_CLICKS (e.g. `BENCH_CLICKS=200000`) sets the number of clicks for a quicker run.
import { performance } from 'node:perf_hooks';
import { TrackingDatabase } from '../src/store/database';
import {
  clickCounts,
  clientsOf,
  contactsWithClicks,
  trackedEmailsOfContact,
  trackedEmailsTable,
} from '../src/store/treeQueries';

const CONTACTS = 20_000;
const BIG_CONTACT_CLICKS = 10_000;
const TARGET_MS = 50;
const PAGE = 500;
const clicks = Number(process.env.BENCH_CLICKS ?? 1_000_000);

function time<T>(work: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = work();
  return { ms: performance.now() - start, result };
}

/** Runs `work` once cold, then `runs` more times; returns the cold time and the median. */
function measure(runs: number, work: () => unknown) {
  const cold = time(work).ms;
  const warm = Array.from({ length: runs }, () => time(work).ms).sort((a, b) => a - b);
  return { cold, median: warm[Math.floor(runs / 2)], max: warm[runs - 1] };
}

function generate(database: TrackingDatabase): void {
  const others = clicks - BIG_CONTACT_CLICKS;
  // Generated inside SQLite: far faster than a million prepared-statement calls from JS.
  database.db.exec(`
    INSERT INTO imports (id, file_path, imported_at, added, duplicates, invalid)
      VALUES (1, 'generated', '', ${clicks}, 0, 0);
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${others - 1})
    INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) SELECT 'C' || (i % ${CONTACTS}), 'Template ' || (i % 37),
      date('2026-01-01', '+' || (i % 300) || ' days'),
      printf('%02d:%02d:%02d', (i / 3600) % 24, (i / 60) % 60, i % 60), 'Link ' || (i % 5), 1
    FROM n;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
      WHERE i < ${BIG_CONTACT_CLICKS - 1})
    INSERT INTO clicks (contact_id, template, date, time, link_name, import_id) SELECT 'C42', 'Big Template ' || (i % 37),
      date('2025-01-01', '+' || (i % 700) || ' days'),
      printf('%02d:%02d:%02d', (i / 3600) % 24, (i / 60) % 60, i % 60), 'Link ' || (i % 5), 1
    FROM n;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${CONTACTS - 1})
    INSERT INTO contacts SELECT 'C' || i, 'Name ' || i, 'e' || i || '@example.com',
      'Client ' || (i % 300)
    FROM n;
  `);
}

async function main(): Promise<void> {
  const database = await TrackingDatabase.openInMemory(
    require.resolve('sql.js/dist/sql-wasm.wasm'),
  );
  const generated = time(() => generate(database));
  const total = Number(database.db.exec('SELECT count(*) FROM clicks')[0].values[0][0]);
  const big = Number(clickCounts(database, ['C42']).get('C42'));
  console.log(
    `Generated ${total} clicks for ${CONTACTS} contacts (C42 has ${big}) ` +
      `in ${(generated.ms / 1000).toFixed(1)} s`,
  );

  const firstPage = measure(20, () => trackedEmailsOfContact(database, 'C42', 0, PAGE + 1));
  const lastPage = measure(5, () => trackedEmailsOfContact(database, 'C42', 9_500, PAGE + 1));
  const listing = measure(3, () => contactsWithClicks(database));
  const contacts = contactsWithClicks(database);
  const counts = measure(5, () =>
    clickCounts(
      database,
      contacts.slice(0, PAGE).map((c) => c.contactId),
    ),
  );
  const clients = clientsOf(contacts);
  const members = clients[0].contacts.map((c) => c.contactId);
  const query = { sort: 'date' as const, descending: true, filter: '', offset: 0, limit: PAGE };
  const contactTable = measure(5, () =>
    trackedEmailsTable(database, { kind: 'contact', contactId: 'C42' }, query),
  );
  const filteredTable = measure(5, () =>
    trackedEmailsTable(
      database,
      { kind: 'contact', contactId: 'C42' },
      { ...query, sort: 'template', filter: 'Template 3' },
    ),
  );
  const clientTable = measure(3, () =>
    trackedEmailsTable(
      database,
      { kind: 'client', client: clients[0].client, contactIds: members },
      query,
    ),
  );

  const rows: [string, ReturnType<typeof measure>][] = [
    [`first page (${PAGE + 1} rows) of a contact with ${big} clicks`, firstPage],
    [`last page (offset 9,500) of that contact`, lastPage],
    [`all ${contacts.length} contacts with clicks, sorted by name`, listing],
    [`click counts for a page of ${PAGE} contacts`, counts],
    [`Tracked Emails table, that contact, newest first`, contactTable],
    [`Tracked Emails table, that contact, filtered, by template`, filteredTable],
    [`Tracked Emails table, client of ${members.length} contacts`, clientTable],
  ];
  const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(10);
  console.log(`${'query'.padEnd(62)}${'cold'.padStart(10)}${'median'.padStart(10)}`);
  for (const [name, result] of rows) {
    console.log(`${name.padEnd(62)}${ms(result.cold)}${ms(result.median)}`);
  }
  const met = firstPage.cold < TARGET_MS && firstPage.median < TARGET_MS;
  console.log(
    `Target: first page of a ${big}-click contact under ${TARGET_MS} ms: ` +
      `${met ? 'met' : 'NOT met'} (cold ${firstPage.cold.toFixed(1)} ms, ` +
      `median ${firstPage.median.toFixed(1)} ms)`,
  );
  database.close();
  process.exitCode = met ? 0 : 1;
}

void main();
