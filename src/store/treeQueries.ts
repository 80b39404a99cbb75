// The queries behind the Contacts and Clients trees, Find, and the Tracked Emails table.
import type { Database, SqlValue } from 'sql.js';
import { contactDisplayName } from './contacts';
import type { TrackingDatabase } from './database';

/** A contact that has tracked emails, with what the directory knows about it. */
export interface ContactListing {
  contactId: string;
  /** The name to show: the directory's, or "Contact <ID>". */
  label: string;
  email: string;
  /** '' when the directory gives none (or does not know the contact). */
  client: string;
}

export interface ClientListing {
  /** '' stands for "No client". */
  client: string;
  label: string;
  contacts: ContactListing[];
}

export interface TrackedEmail {
  contactId: string;
  template: string;
  date: string;
  time: string;
  linkName: string;
}

export const NO_CLIENT_LABEL = 'No client';

function all(db: Database, sql: string, params: SqlValue[] = []): SqlValue[][] {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    const rows: SqlValue[][] = [];
    while (statement.step()) {
      rows.push(statement.get());
    }
    return rows;
  } finally {
    statement.free();
  }
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * Every contact that has clicks, sorted by name. The distinct IDs are read by jumping along the
 * clicks primary key (one seek per contact) instead of scanning every click. (These two
 * queries read stored_clicks, not the view: they need no template or link name.)
 */
export function contactsWithClicks(database: TrackingDatabase): ContactListing[] {
  const rows = all(
    database.db,
    `WITH RECURSIVE ids(id) AS (
       SELECT (SELECT min(contact_id) FROM stored_clicks)
       UNION ALL
       SELECT (SELECT min(contact_id) FROM stored_clicks WHERE contact_id > ids.id) FROM ids
       WHERE ids.id IS NOT NULL
     )
     SELECT ids.id, c.name, c.email, c.client
     FROM ids LEFT JOIN contacts c ON c.contact_id = ids.id
     WHERE ids.id IS NOT NULL`,
  );
  const listing = rows.map(([id, name, email, client]) => ({
    contactId: String(id),
    label: contactDisplayName(String(id), name as string | null),
    email: (email as string | null) ?? '',
    client: (client as string | null) ?? '',
  }));
  return listing.sort(
    (a, b) => collator.compare(a.label, b.label) || collator.compare(a.contactId, b.contactId),
  );
}

/** Clients of the given contacts, sorted by name, with "No client" last. */
export function clientsOf(contacts: readonly ContactListing[]): ClientListing[] {
  const byClient = new Map<string, ContactListing[]>();
  for (const contact of contacts) {
    const members = byClient.get(contact.client) ?? [];
    members.push(contact);
    byClient.set(contact.client, members);
  }
  return [...byClient.entries()]
    .map(([client, members]) => ({
      client,
      label: client === '' ? NO_CLIENT_LABEL : client,
      contacts: members,
    }))
    .sort(
      (a, b) =>
        Number(a.client === '') - Number(b.client === '') || collator.compare(a.label, b.label),
    );
}

/** Click counts for a page of contacts: one primary-key range count each (no names needed). */
export function clickCounts(database: TrackingDatabase, contactIds: readonly string[]) {
  const counts = new Map<string, number>();
  const statement = database.db.prepare('SELECT count(*) FROM stored_clicks WHERE contact_id = ?');
  try {
    for (const contactId of contactIds) {
      statement.bind([contactId]);
      statement.step();
      counts.set(contactId, Number(statement.get()[0]));
      statement.reset();
    }
  } finally {
    statement.free();
  }
  return counts;
}

/** One page of a contact's tracked emails, newest first. */
export function trackedEmailsOfContact(
  database: TrackingDatabase,
  contactId: string,
  offset: number,
  limit: number,
): TrackedEmail[] {
  const rows = all(
    database.db,
    `SELECT template, date, time, link_name FROM clicks WHERE contact_id = ?
     ORDER BY date_number DESC, time_number DESC, template LIMIT ? OFFSET ?`,
    [contactId, limit, offset],
  );
  return rows.map(([template, date, time, linkName]) => ({
    contactId,
    template: String(template),
    date: String(date),
    time: String(time),
    linkName: String(linkName),
  }));
}

/** Whose tracked emails a table shows: one contact, or every contact of a client. */
export type TrackedEmailsScope =
  | { kind: 'contact'; contactId: string }
  | { kind: 'client'; client: string; contactIds: readonly string[] };

export type TrackedEmailsColumn = 'template' | 'date' | 'link' | 'email';

export interface TrackedEmailsQuery {
  sort: TrackedEmailsColumn;
  descending: boolean;
  /** Text that a row must contain in one of its columns (case-insensitive); '' for all rows. */
  filter: string;
  offset: number;
  limit: number;
}

export interface TrackedEmailRow extends TrackedEmail {
  name: string;
  email: string;
}

const SORT_COLUMNS: Record<TrackedEmailsColumn, string> = {
  template: 'k.template',
  date: 'k.date_number * 1000000 + k.time_number',
  link: 'k.link_name',
  email: "coalesce(c.email, '')",
};

function scopeCondition(scope: TrackedEmailsScope): { sql: string; params: SqlValue[] } {
  if (scope.kind === 'contact') {
    return { sql: 'k.contact_id = ?', params: [scope.contactId] };
  }
  // The client's contact IDs come as one JSON parameter: no limit on how many there are.
  return {
    sql: 'k.contact_id IN (SELECT value FROM json_each(?))',
    params: [JSON.stringify(scope.contactIds)],
  };
}

/** Escapes LIKE wildcards so that the filter matches its text literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of the Tracked Emails table, sorted and filtered, and how many rows match in all. */
export function trackedEmailsTable(
  database: TrackingDatabase,
  scope: TrackedEmailsScope,
  query: TrackedEmailsQuery,
): { rows: TrackedEmailRow[]; total: number } {
  const where = scopeCondition(scope);
  let sql = where.sql;
  const params = [...where.params];
  const filter = query.filter.trim();
  if (filter !== '') {
    const columns = [
      'k.template',
      'k.link_name',
      "k.date || ' ' || k.time",
      "coalesce(c.email, '')",
      "coalesce(c.name, '')",
    ];
    sql += ` AND (${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`;
    params.push(...columns.map(() => likePattern(filter)));
  }
  const from = `FROM clicks k LEFT JOIN contacts c ON c.contact_id = k.contact_id`;
  const select = `SELECT k.contact_id, k.template, k.date, k.time, k.link_name,
      coalesce(c.email, ''), coalesce(c.name, '') ${from}`;
  const direction = query.descending ? 'DESC' : 'ASC';
  const rows = all(
    database.db,
    `${select} WHERE ${sql}
     ORDER BY ${SORT_COLUMNS[query.sort]} ${direction}, k.date_number DESC, k.time_number DESC,
       k.template
     LIMIT ? OFFSET ?`,
    [...params, query.limit, query.offset],
  );
  const total = all(database.db, `SELECT count(*) ${from} WHERE ${sql}`, params);
  return {
    total: Number(total[0][0]),
    rows: rows.map(([contactId, template, date, time, linkName, email, name]) => ({
      contactId: String(contactId),
      template: String(template),
      date: String(date),
      time: String(time),
      linkName: String(linkName),
      email: String(email),
      name: contactDisplayName(String(contactId), name as string),
    })),
  };
}

/** Only web links are ever handed to the operating system: never file:, command: or others. */
export function isWebLink(link: string): boolean {
  try {
    const url = new URL(link);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Whether a link that a Tracked Emails page asks to open may be opened: a web link that really
 * is the link of one of the scope's tracked emails (the page is not trusted to say so).
 */
export function isOpenableLink(
  database: TrackingDatabase,
  scope: TrackedEmailsScope,
  link: string,
): boolean {
  if (!isWebLink(link)) {
    return false;
  }
  const where = scopeCondition(scope);
  const rows = all(
    database.db,
    `SELECT 1 FROM clicks k WHERE ${where.sql} AND k.link_name = ? LIMIT 1`,
    [...where.params, link],
  );
  return rows.length > 0;
}
