import * as assert from 'node:assert';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { MAX_URL_BYTES } from '../../src/server/redirectServer';
import {
  decodeSigningKey,
  generateSigningKey,
  readKeyFile,
  writeKeyFile,
} from '../../src/server/signingKey';
import {
  locationFor,
  makeTrackedLink,
  prepareTarget,
  signFields,
  TargetError,
  verifyTrackedLink,
  type TrackedLinkFields,
} from '../../src/server/trackedLink';
import { scratchFolder } from './scratchFolder';

const key = Buffer.alloc(32, 7);
const fields: TrackedLinkFields = {
  template: 'Spring Newsletter',
  contactId: '1042',
  linkName: 'Book a review',
  target: 'https://example.org/a?param2=BLA%20%26%20BLI&x=1',
};

function queryOf(link: string): string {
  return link.slice(link.indexOf('?') + 1);
}

describe('tracked links', () => {
  it('makes a link on the base URL that verifies with the same key', () => {
    const link = makeTrackedLink('https://track.example.com/LinkTracking', fields, key);
    assert.match(link, /^https:\/\/track\.example\.com\/LinkTracking\?t=.*&c=.*&n=.*&u=.*&s=/);
    assert.deepStrictEqual(verifyTrackedLink(queryOf(link), key), { ok: true, fields });
  });

  it('fails when any single byte of the query is changed', () => {
    const query = queryOf(makeTrackedLink('http://127.0.0.1:8787/LinkTracking', fields, key));
    for (let i = 0; i < query.length; i++) {
      const replacement = query[i] === 'x' ? 'y' : 'x';
      const changed = query.slice(0, i) + replacement + query.slice(i + 1);
      const check = verifyTrackedLink(changed, key);
      assert.strictEqual(check.ok, false, `byte ${i} changed to ${replacement} still verified`);
    }
  });

  it('fails with another key, and says the signature is at fault', () => {
    const query = queryOf(makeTrackedLink('http://h/LinkTracking', fields, key));
    const check = verifyTrackedLink(query, Buffer.alloc(32, 8));
    assert.deepStrictEqual(check, {
      ok: false,
      kind: 'signature',
      reason: 'signature does not match',
    });
  });

  it('cannot be made to sign one field into another (unambiguous encoding)', () => {
    const a = makeTrackedLink('http://h/L', { ...fields, template: 'ab', contactId: 'c' }, key);
    const b = makeTrackedLink('http://h/L', { ...fields, template: 'a', contactId: 'bc' }, key);
    assert.notStrictEqual(a.split('&s=')[1], b.split('&s=')[1]);
  });

  it('calls missing, doubled and malformed fields garbled', () => {
    const query = queryOf(makeTrackedLink('http://h/L', fields, key));
    for (const param of ['t', 'c', 'n', 'u', 's']) {
      const without = query
        .split('&')
        .filter((part) => !part.startsWith(`${param}=`))
        .join('&');
      assert.strictEqual(
        (verifyTrackedLink(without, key) as { kind: string }).kind,
        'garbled',
        `without ${param}`,
      );
    }
    assert.strictEqual(
      (verifyTrackedLink(`${query}&c=1`, key) as { kind: string }).kind,
      'garbled',
    );
    const badSignature = query.replace(/s=[^&]*/, 's=not*base64');
    assert.strictEqual((verifyTrackedLink(badSignature, key) as { kind: string }).kind, 'garbled');
    assert.strictEqual((verifyTrackedLink('', key) as { kind: string }).kind, 'garbled');
  });

  it('ignores parameters a mail tool adds, such as utm_source', () => {
    const query = queryOf(makeTrackedLink('http://h/L', fields, key));
    const check = verifyTrackedLink(`utm_source=newsletter&${query}&utm_medium=email`, key);
    assert.deepStrictEqual(check, { ok: true, fields });
  });

  it('keeps every target byte-for-byte through making and verifying', () => {
    for (const target of [
      'https://shop.example/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706',
      'https://example.org/a?param2=BLA%20%26%20BLI&x=1',
      'https://example.org/guide#section-2',
      'https://example.org/café?q=über+alles&r=%2B#frag',
      'http://example.org/a+b?x=%zz&y=1;2',
    ]) {
      const link = makeTrackedLink('http://h/L', { ...fields, target }, key);
      const check = verifyTrackedLink(queryOf(link), key);
      assert.ok(check.ok);
      assert.strictEqual(check.fields.target, target);
    }
  });

  it('decodes &amp; once and trims when a target is pasted', () => {
    assert.strictEqual(
      prepareTarget(' https://shop.example/search?fulltext=campus&amp;f[0]=themes:2\n'),
      'https://shop.example/search?fulltext=campus&f[0]=themes:2',
    );
    assert.strictEqual(
      prepareTarget('https://example.org/?a=1&amp;amp;b=2'),
      'https://example.org/?a=1&amp;b=2',
    );
  });

  it('refuses targets that are not http or https', () => {
    for (const target of [
      'ftp://example.org/file',
      'javascript:alert(1)',
      'mailto:a@example.org',
      '/relative/path',
      'example.org',
      'https://exa mple.org/',
      'https://example.org/\r\nSet-Cookie: a=b',
      'http://',
    ]) {
      assert.throws(() => prepareTarget(target), /http|control|spaces|valid/, target);
      assert.throws(() => makeTrackedLink('http://h/L', { ...fields, target }, key));
    }
  });

  it('refuses a blank contact or template, which the import would skip', () => {
    assert.throws(
      () => makeTrackedLink('http://h/L', { ...fields, contactId: ' ' }, key),
      /contact/,
    );
    assert.throws(
      () => makeTrackedLink('http://h/L', { ...fields, template: '' }, key),
      /template/,
    );
    const blank = { ...fields, contactId: '' };
    const query = new URLSearchParams({
      t: blank.template,
      c: blank.contactId,
      n: blank.linkName,
      u: blank.target,
      s: signFields(blank, key),
    });
    const check = verifyTrackedLink(query.toString(), key);
    assert.deepStrictEqual(check, { ok: false, kind: 'garbled', reason: 'the contact is empty' });
  });

  it('carries names trimmed as the import compares them, and keeps inner white space', () => {
    const link = makeTrackedLink(
      'http://h/L',
      {
        ...fields,
        template: ' Spring\tNews ',
        contactId: '\r\n1042 ',
        linkName: 'Book\ra review\r',
      },
      key,
    );
    assert.deepStrictEqual(verifyTrackedLink(queryOf(link), key), {
      ok: true,
      fields: {
        ...fields,
        template: 'Spring\tNews',
        contactId: '1042',
        linkName: 'Book\ra review',
      },
    });
  });

  it('refuses a base URL that is not a URL, not http(s), or carries a query', () => {
    assert.throws(
      () => makeTrackedLink('not a url', fields, key),
      new TargetError(
        'The tracking URL is not a URL: "not a url" ' +
          '(it looks like https://track.example.com/LinkTracking)',
      ),
    );
    assert.throws(() => makeTrackedLink('ftp://h/L', fields, key), /http or https/);
    assert.throws(() => makeTrackedLink('https://h/L?x=1', fields, key), /query/);
  });

  it('refuses a link longer than the server accepts, saying how long it is and the limit', () => {
    // The link name defaults to the target, so a 4.1 KB target is in the link twice.
    const target = `https://example.org/?q=${'x'.repeat(4100)}`;
    assert.throws(
      () =>
        makeTrackedLink(
          'http://127.0.0.1:8787/LinkTracking',
          { ...fields, target, linkName: target },
          key,
        ),
      (error: Error) =>
        /\b8\d{3} characters\b/.test(error.message) &&
        error.message.includes(`limit of ${MAX_URL_BYTES} bytes`) &&
        /shorter link name \(--name/.test(error.message),
    );
    assert.throws(
      () =>
        makeTrackedLink('http://h/L', { ...fields, target: `${target}${target.slice(8)}` }, key),
      (error: Error) => /limit/.test(error.message) && !/link name/.test(error.message),
    );
  });

  it('makes links up to exactly the request length the server accepts', () => {
    const base = 'https://track.example.com/Link%20Tracking';
    const requestBytes = (link: string) => {
      const url = new URL(link);
      return Buffer.byteLength(url.pathname + url.search);
    };
    const withPadding = (size: number) =>
      makeTrackedLink(
        base,
        { ...fields, target: `https://example.org/?q=${'x'.repeat(size)}` },
        key,
      );
    const fits = MAX_URL_BYTES - requestBytes(withPadding(0));
    assert.strictEqual(requestBytes(withPadding(fits)), MAX_URL_BYTES);
    assert.throws(() => withPadding(fits + 1), /limit/);
  });

  it('refuses a template, contact ID or link name a tracker file cannot hold, naming it', () => {
    const unwritable = [...'\u0000\u0001\u0008\u000B\u000C\u001F\uFFFE\uFFFF', '\uD800', '\uDC00'];
    for (const [field, name] of [
      ['template', 'template'],
      ['contactId', 'contact ID'],
      ['linkName', 'link name'],
    ] as const) {
      for (const char of unwritable) {
        assert.throws(
          () => makeTrackedLink('http://h/L', { ...fields, [field]: `a${char}b` }, key),
          (error: Error) => error.message.startsWith(`The ${name} contains`),
          `${field} with U+${char.charCodeAt(0).toString(16)}`,
        );
      }
      for (const value of ['a\tb', 'a\nb', 'a\rb', 'a\r\nb', 'ü😀\u007F\u0085']) {
        const link = makeTrackedLink('http://h/L', { ...fields, [field]: value }, key);
        assert.ok(verifyTrackedLink(queryOf(link), key).ok, JSON.stringify(value));
      }
    }
  });

  it('percent-encodes only non-ASCII characters for the Location header', () => {
    assert.strictEqual(
      locationFor('https://example.org/café/日本?q=ü%20x&y=[1]#ß'),
      'https://example.org/caf%C3%A9/%E6%97%A5%E6%9C%AC?q=%C3%BC%20x&y=[1]#%C3%9F',
    );
    assert.strictEqual(locationFor('https://example.org/😀'), 'https://example.org/%F0%9F%98%80');
    const ascii = 'https://example.org/a?param2=BLA%20%26%20BLI&x=1';
    assert.strictEqual(locationFor(ascii), ascii);
  });
});

describe('signing key files', () => {
  const folder = scratchFolder('link-key-');

  it('writes an owner-only key file and reads the same key back', async () => {
    const file = path.join(folder, 'a.key');
    const written = generateSigningKey();
    await writeKeyFile(file, written);
    assert.strictEqual(statSync(file).mode & 0o777, 0o600);
    assert.deepStrictEqual(await readKeyFile(file), written);
  });

  it('never overwrites a key file unless told to', async () => {
    const file = path.join(folder, 'b.key');
    const first = generateSigningKey();
    await writeKeyFile(file, first);
    await assert.rejects(writeKeyFile(file, generateSigningKey()), /already exists/);
    assert.deepStrictEqual(await readKeyFile(file), first);
    const second = generateSigningKey();
    await writeKeyFile(file, second, true);
    assert.deepStrictEqual(await readKeyFile(file), second);
  });

  it('refuses text that is not a 32-byte key, naming the file', () => {
    assert.throws(() => decodeSigningKey('abc', 'k.key'), /^Error: k\.key: not a link signing key/);
    assert.throws(() => decodeSigningKey(Buffer.alloc(31).toString('base64url'), 'k'), /32 bytes/);
  });

  it('makes a different key every time', () => {
    assert.notDeepStrictEqual(generateSigningKey(), generateSigningKey());
  });
});
