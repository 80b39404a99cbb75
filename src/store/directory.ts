// Read-only queries over the contacts directory, for choosing who gets tracked links.
import type { TrackingDatabase } from './database';

export interface DirectoryContact {
  contactId: string;
  name: string;
  email: string;
  client: string;
}

/** Every contact in the directory, or only those of `client`, ordered by name then ID. */
export function directoryContacts(database: TrackingDatabase, client?: string): DirectoryContact[] {
  const statement = database.db.prepare(
    'SELECT contact_id, name, email, client FROM contacts' +
      (client === undefined ? '' : ' WHERE client = ?') +
      ' ORDER BY name COLLATE NOCASE, contact_id',
  );
  try {
    statement.bind(client === undefined ? [] : [client]);
    const contacts: DirectoryContact[] = [];
    while (statement.step()) {
      const [contactId, name, email, clientName] = statement.get().map((v) => String(v ?? ''));
      contacts.push({ contactId, name, email, client: clientName });
    }
    return contacts;
  } finally {
    statement.free();
  }
}

/** The clients named in the directory, with how many contacts each has. */
export function directoryClients(database: TrackingDatabase): { client: string; count: number }[] {
  const result = database.db.exec(
    "SELECT client, COUNT(*) FROM contacts WHERE client <> '' GROUP BY client " +
      'ORDER BY client COLLATE NOCASE',
  );
  return (result[0]?.values ?? []).map(([client, count]) => ({
    client: String(client),
    count: Number(count),
  }));
}
