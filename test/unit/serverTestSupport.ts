// Helpers shared by the server tests: read a tracker file back with an independent XML parser.
import * as assert from 'node:assert';
import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface ParsedClick {
  EmailTemplate: string;
  ContactID: string;
  LinkName: string;
  Date: string;
  Time: string;
}

/** Decodes a tracker file (UTF-8 or UTF-16 with BOM) to text. */
export function decodeTrackerFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return bytes.subarray(2).toString('utf16le');
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  }
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** The clicks of a tracker file; fails the test unless the file is a well-formed document. */
export function parseTrackerFile(file: string, rootName = 'Tracker'): ParsedClick[] {
  const text = decodeTrackerFile(readFileSync(file));
  const valid = XMLValidator.validate(text);
  assert.strictEqual(valid, true, `${file} is not well-formed: ${JSON.stringify(valid)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    trimValues: false,
    isArray: (name) => name === 'Click',
  });
  const document = parser.parse(text);
  assert.ok(document[rootName] !== undefined, `${file} has no <${rootName}> root`);
  return (document[rootName].Click ?? []) as ParsedClick[];
}
