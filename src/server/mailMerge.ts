// The mail-merge file: one tracked link per contact, as CSV that Word and Excel open correctly.
import { stringify } from 'csv-stringify/sync';
import { makeTrackedLink, TargetError } from './trackedLink';

export interface MailMergeContact {
  contactId: string;
  name: string;
  email: string;
}

export interface MailMergeLink {
  template: string;
  linkName: string;
  /** Already prepared with prepareTarget(). */
  target: string;
}

export const MAIL_MERGE_COLUMNS = ['ContactID', 'Name', 'Email', 'TrackedLink'];

/** CSV with a header row and one row per contact; UTF-8 with BOM, CRLF line ends. */
export function mailMergeCsv(
  baseUrl: string,
  key: Buffer,
  link: MailMergeLink,
  contacts: readonly MailMergeContact[],
): string {
  const rows = contacts.map((contact) => [
    contact.contactId,
    contact.name,
    contact.email,
    linkFor(baseUrl, key, link, contact.contactId),
  ]);
  // The BOM makes spreadsheet programs read the names as UTF-8 rather than a local code page.
  return stringify([MAIL_MERGE_COLUMNS, ...rows], { bom: true, record_delimiter: 'windows' });
}

/** One contact's link; a refusal names the contact, since one long or odd ID can cause it. */
function linkFor(baseUrl: string, key: Buffer, link: MailMergeLink, contactId: string): string {
  try {
    return makeTrackedLink(baseUrl, { ...link, contactId }, key);
  } catch (error) {
    const shown = contactId.length > 40 ? `${contactId.slice(0, 37)}...` : contactId;
    throw new TargetError(`Contact ${JSON.stringify(shown)}: ${(error as Error).message}`);
  }
}
