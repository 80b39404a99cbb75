// Signed tracked links: making them, checking them, and turning the target into a Location value.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { trimXmlSpace } from '../tracker/dateTime';
import { unwritableCharacter } from '../tracker/trackerWriter';

/** What a tracked link carries besides its signature. */
export interface TrackedLinkFields {
  template: string;
  contactId: string;
  linkName: string;
  /** The real target, byte-for-byte as it will be sent back in `Location`. */
  target: string;
}

/** Query parameter names, in the order they appear in a link. */
export const LINK_PARAMS = { template: 't', contactId: 'c', linkName: 'n', target: 'u' } as const;
export const SIGNATURE_PARAM = 's';

/** The longest request target (path and query, in bytes) the server accepts; links must fit. */
export const MAX_URL_BYTES = 8 * 1024;

type LinkField = keyof TrackedLinkFields | 'signature';

/** Which field each query parameter carries, in the order of a link. */
const FIELD_OF_PARAM = new Map<string, LinkField>(
  (Object.entries({ ...LINK_PARAMS, signature: SIGNATURE_PARAM }) as [LinkField, string][]).map(
    ([field, param]) => [param, field],
  ),
);

// A version tag inside the signed text lets a future link format never verify as this one.
const SIGNATURE_VERSION = 'elt1';
const SIGNATURE_BYTES = 32;

/** Why a request does not carry a usable link. */
export type LinkRejection =
  { kind: 'garbled'; reason: string } | { kind: 'signature'; reason: string };

export type LinkCheck = { ok: true; fields: TrackedLinkFields } | ({ ok: false } & LinkRejection);

export class TargetError extends Error {}

/**
 * Prepares a target pasted by the user: surrounding white space is dropped and an HTML-escaped
 * `&amp;` is decoded once (hrefs copied out of HTML carry it); everything else is kept as given.
 * Throws a TargetError for anything that is not an http(s) URL a browser can be sent to.
 */
export function prepareTarget(raw: string): string {
  const target = raw.trim().replace(/&amp;/g, '&');
  checkTarget(target);
  return target;
}

/** Throws a TargetError unless `target` is an absolute http(s) URL usable in a Location header. */
export function checkTarget(target: string): void {
  if (!/^https?:\/\//i.test(target)) {
    throw new TargetError(`Only http and https links can be tracked: "${shorten(target)}"`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001F\u007F]/.test(target)) {
    throw new TargetError('The link contains control characters (line breaks, tabs).');
  }
  if (/\s/.test(target)) {
    throw new TargetError('The link contains spaces; encode them as %20.');
  }
  if (hasLoneSurrogate(target)) {
    throw new TargetError('The link contains text that is not valid Unicode.');
  }
  try {
    new URL(target);
  } catch {
    throw new TargetError(`Not a valid URL: "${shorten(target)}"`);
  }
}

/** The signature of the fields with `key`, base64url. */
export function signFields(fields: TrackedLinkFields, key: Buffer): string {
  return computeSignature(fields, key).toString('base64url');
}

/**
 * A tracked link on `baseUrl` (the server's public address, e.g. https://host/LinkTracking).
 * Throws a TargetError for a link the server could not record as given.
 */
export function makeTrackedLink(baseUrl: string, given: TrackedLinkFields, key: Buffer): string {
  // The import trims the white space at the ends of names (" C " is contact "C"): the link
  // carries them trimmed, so that what it records is what it was made with.
  const fields: TrackedLinkFields = {
    ...given,
    template: trimXmlSpace(given.template),
    contactId: trimXmlSpace(given.contactId),
    linkName: trimXmlSpace(given.linkName),
  };
  checkTarget(fields.target);
  for (const [name, value] of [
    ['template', fields.template],
    ['contact ID', fields.contactId],
    ['link name', fields.linkName],
  ]) {
    // The server would write the value changed (or not at all) into the tracker file.
    const unwritable = unwritableCharacter(value);
    if (unwritable) {
      throw new TargetError(
        `The ${name} contains ${unwritable.code} (character ${unwritable.position}), ` +
          'which a tracker file cannot hold.',
      );
    }
  }
  const blank = blankRequiredField(fields);
  if (blank) {
    throw new TargetError(`The ${blank} must not be empty: the import would skip the click.`);
  }
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new TargetError(
      `The tracking URL is not a URL: "${baseUrl}" (it looks like https://track.example.com/LinkTracking)`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TargetError(`The tracking URL must be http or https: "${baseUrl}"`);
  }
  if (base.search || base.hash) {
    throw new TargetError(`The tracking URL must not have a query or fragment: "${baseUrl}"`);
  }
  const query = new URLSearchParams();
  query.set(LINK_PARAMS.template, fields.template);
  query.set(LINK_PARAMS.contactId, fields.contactId);
  query.set(LINK_PARAMS.linkName, fields.linkName);
  query.set(LINK_PARAMS.target, fields.target);
  query.set(SIGNATURE_PARAM, signFields(fields, key));
  const requestTarget = `${base.pathname}?${query.toString()}`;
  checkLength(`${base.origin}${requestTarget}`, requestTarget, fields);
  return `${base.origin}${requestTarget}`;
}

/** Throws a TargetError for a link the server would answer with 414 (URI Too Long). */
function checkLength(link: string, requestTarget: string, fields: TrackedLinkFields): void {
  // The server measures what it is sent, the path and query, so the host does not count.
  const bytes = Buffer.byteLength(requestTarget);
  if (bytes <= MAX_URL_BYTES) {
    return;
  }
  const hint =
    fields.linkName === fields.target
      ? ' The link name is the target URL, so the target is in the link twice: ' +
        'a shorter link name (--name on the command line) would help.'
      : '';
  throw new TargetError(
    `The tracked link would be ${link.length} characters long: its path and query ` +
      `(${bytes} bytes) are over the server's limit of ${MAX_URL_BYTES} bytes.${hint}`,
  );
}

/** Reads and verifies the fields of a link from its query string (without the `?`). */
export function verifyTrackedLink(queryString: string, key: Buffer): LinkCheck {
  // One pass over the parameters; unknown ones (added by mail tools, e.g. utm_*) are ignored.
  const values: Partial<Record<LinkField, string>> = {};
  for (const [param, value] of new URLSearchParams(queryString)) {
    const field = FIELD_OF_PARAM.get(param);
    if (field === undefined) {
      continue;
    }
    if (values[field] !== undefined) {
      return { ok: false, kind: 'garbled', reason: `field "${param}" given twice` };
    }
    values[field] = value;
  }
  for (const [param, field] of FIELD_OF_PARAM) {
    if (values[field] === undefined) {
      return { ok: false, kind: 'garbled', reason: `missing field "${param}"` };
    }
  }
  const signature = Buffer.from(values.signature!, 'base64url');
  if (
    signature.length !== SIGNATURE_BYTES ||
    signature.toString('base64url') !== values.signature
  ) {
    return { ok: false, kind: 'garbled', reason: 'signature is not well-formed' };
  }
  const fields: TrackedLinkFields = {
    template: values.template!,
    contactId: values.contactId!,
    linkName: values.linkName!,
    target: values.target!,
  };
  if (!timingSafeEqual(signature, computeSignature(fields, key))) {
    return { ok: false, kind: 'signature', reason: 'signature does not match' };
  }
  const blank = blankRequiredField(fields);
  if (blank) {
    return { ok: false, kind: 'garbled', reason: `the ${blank} is empty` };
  }
  // Only someone holding the key can sign a bad target; refuse rather than send a broken
  // header. (Links made here were fully checked when made; this is the cheap part of it.)
  // eslint-disable-next-line no-control-regex
  if (!/^https?:\/\//i.test(fields.target) || /[\u0000-\u0020\u007F]/.test(fields.target)) {
    return { ok: false, kind: 'garbled', reason: 'the signed target is not an http(s) URL' };
  }
  return { ok: true, fields };
}

/** The import skips a click with no contact or no template, so neither may be blank. */
function blankRequiredField(fields: TrackedLinkFields): string | undefined {
  if (trimXmlSpace(fields.contactId) === '') {
    return 'contact';
  }
  if (trimXmlSpace(fields.template) === '') {
    return 'template';
  }
  return undefined;
}

/**
 * The target as a Location header value: non-ASCII characters are percent-encoded as UTF-8
 * (a header cannot carry them raw); ASCII, including existing `%XX` escapes, is left as is.
 */
export function locationFor(target: string): string {
  // eslint-disable-next-line no-control-regex
  return target.replace(/[^\u0000-\u007F]+/g, (text) => encodeURIComponent(text));
}

function computeSignature(fields: TrackedLinkFields, key: Buffer): Buffer {
  // JSON of an array is an unambiguous encoding: no field can run into the next one.
  const text = JSON.stringify([
    SIGNATURE_VERSION,
    fields.template,
    fields.contactId,
    fields.linkName,
    fields.target,
  ]);
  return createHmac('sha256', keyObject(key)).update(text, 'utf8').digest();
}

// Importing the raw key for every click is measurable under load; keep one KeyObject per key.
const keyObjects = new WeakMap<Buffer, KeyObject>();

function keyObject(key: Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
