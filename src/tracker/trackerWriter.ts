// The one place that writes tracker XML: the canonical file header, root and <Click> entries.

export interface ClickFields {
  template: string;
  contactId: string;
  linkName: string;
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS` */
  time: string;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
export const ROOT_END_TAG = '</Tracker>';

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A parser turns a raw CR (or CR LF) into LF; only a reference keeps the value as it was.
  '\r': '&#13;',
};

// What escapeXml drops (XML 1.0 cannot carry it, not even as a reference), as a character class.
const ILLEGAL_XML = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF';
const ILLEGAL_XML_CHARS = new RegExp(`[${ILLEGAL_XML}]`, 'g');
const NEEDS_ESCAPING = new RegExp(`[${ILLEGAL_XML}&<>"'\\r]`);
// What no tracker file can hold: those characters, and half of a surrogate pair on its own,
// which neither UTF-8 nor UTF-16 can encode.
const UNWRITABLE = new RegExp(
  `[${ILLEGAL_XML}]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]`,
);

/** Escapes text for element content or attribute values. */
export function escapeXml(text: string): string {
  // Most values need nothing; the server formats one entry per click.
  if (!NEEDS_ESCAPING.test(text)) {
    return text;
  }
  // Characters XML 1.0 cannot carry at all are dropped rather than written as a broken document.
  const legal = text.replace(ILLEGAL_XML_CHARS, '');
  return legal.replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c]);
}

/**
 * The first character of `text` that a tracker file cannot hold, as `U+XXXX` with its 1-based
 * position, or undefined when every character can be written and read back.
 */
export function unwritableCharacter(text: string): { code: string; position: number } | undefined {
  const found = UNWRITABLE.exec(text);
  if (!found) {
    return undefined;
  }
  const code = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return { code: `U+${code}`, position: found.index + 1 };
}

/** The start of a new tracker file, up to and including the root start tag. */
export function trackerFileStart(regName: string): string {
  return `${XML_DECLARATION}\n<Tracker regName="${escapeXml(regName)}">\n`;
}

/** The end tag of a root element named `rootName` (files from other writers use other roots). */
export function rootEndTagOf(rootName: string): string {
  return rootName === 'Tracker' ? ROOT_END_TAG : `</${rootName}>`;
}

/** One canonical <Click> entry, indented two spaces, ending with a newline. */
export function formatClick(click: ClickFields): string {
  return (
    '  <Click>\n' +
    `    <EmailTemplate>${escapeXml(click.template)}</EmailTemplate>\n` +
    `    <ContactID>${escapeXml(click.contactId)}</ContactID>\n` +
    `    <LinkName>${escapeXml(click.linkName)}</LinkName>\n` +
    `    <Date>${click.date}</Date>\n` +
    `    <Time>${click.time}</Time>\n` +
    '  </Click>\n'
  );
}

/** A whole canonical tracker document holding the given clicks. */
export function formatTrackerFile(regName: string, clicks: Iterable<ClickFields>): string {
  const parts = [trackerFileStart(regName)];
  for (const click of clicks) {
    parts.push(formatClick(click));
  }
  parts.push(`${ROOT_END_TAG}\n`);
  return parts.join('');
}
