import * as assert from 'node:assert';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  clickTimestamp,
  MAX_URL_BYTES,
  normaliseBasePath,
  PortInUseError,
  startRedirectServer,
  type RunningServer,
} from '../../src/server/redirectServer';
import { makeTrackedLink, signFields, type TrackedLinkFields } from '../../src/server/trackedLink';
import { TrackerAppender } from '../../src/server/trackerAppender';
import { readTracker } from '../../src/tracker/trackerReader';
import { parseTrackerFile } from './serverTestSupport';
import { scratchFolder } from './scratchFolder';

const key = Buffer.alloc(32, 3);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends raw request bytes, so the test controls exactly what goes over the wire. */
function rawRequest(port: number, text: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const response = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = response.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers: http.IncomingHttpHeaders = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(text.includes('\r\n\r\n') ? text : `${text}\r\nConnection: close\r\n\r\n`);
  });
}

describe('redirect server', () => {
  let folder: string;
  let file: string;
  let appender: TrackerAppender;
  let server: RunningServer;
  let base: string;
  const lines: string[] = [];

  beforeEach(async () => {
    folder = scratchFolder('redirect-');
    file = path.join(folder, 'Tracker_ABC Ltd.xml');
    appender = await TrackerAppender.open({ file, regName: 'ABC Ltd' });
    lines.length = 0;
    server = await startRedirectServer({
      key,
      appender,
      port: 0,
      log: (line) => lines.push(line),
    });
    base = server.url;
  });

  afterEach(async () => {
    await server.close();
    await appender.close();
  });

  function link(fields: Partial<TrackedLinkFields> = {}): string {
    const all = {
      template: 'Spring Newsletter',
      contactId: '1042',
      linkName: 'Book a review',
      target: 'https://example.org/',
      ...fields,
    };
    return makeTrackedLink(base, all, key);
  }

  function get(url: string, method = 'GET'): Promise<Answer> {
    const { pathname, search } = new URL(url);
    return rawRequest(server.port, `${method} ${pathname}${search} HTTP/1.1\r\nHost: x`);
  }

  it('binds 127.0.0.1 and serves the base path', () => {
    assert.strictEqual(server.host, '127.0.0.1');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/LinkTracking$/);
    assert.ok(lines.some((line) => line === `listening on ${server.url}`));
  });

  it('returns every target byte-for-byte in Location, with no-store, and records the click', async () => {
    const targets: [string, string][] = [
      [
        'https://shop.example/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706',
        'https://shop.example/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706',
      ],
      [
        'https://example.org/a?param2=BLA%20%26%20BLI&x=1',
        'https://example.org/a?param2=BLA%20%26%20BLI&x=1',
      ],
      ['https://example.org/guide#section-2', 'https://example.org/guide#section-2'],
      [
        'https://exämple.org/café?q=ü%20x#ß',
        'https://ex%C3%A4mple.org/caf%C3%A9?q=%C3%BC%20x#%C3%9F',
      ],
    ];
    for (const [target, location] of targets) {
      const answer = await get(link({ target }));
      assert.strictEqual(answer.status, 302);
      assert.strictEqual(answer.headers.location, location);
      assert.strictEqual(answer.headers['cache-control'], 'no-store');
    }
    assert.strictEqual(parseTrackerFile(file).length, targets.length);
  });

  it('records template, contact, link name and the arrival time', async () => {
    const before = clickTimestamp(new Date(), false);
    await get(link({ template: 'T1', contactId: 'C 7', linkName: 'Book' }));
    const [click] = parseTrackerFile(file);
    assert.strictEqual(click.EmailTemplate, 'T1');
    assert.strictEqual(click.ContactID, 'C 7');
    assert.strictEqual(click.LinkName, 'Book');
    assert.strictEqual(click.Date, before.date);
    assert.match(click.Time, /^\d\d:\d\d:\d\d$/);
    assert.ok(click.Time >= before.time);
  });

  it('keeps the file well-formed whatever the names carry', async () => {
    const hostile = {
      template: '</Tracker><x a="1">&lt;',
      contactId: ']]>\'"&',
      linkName: '<!-- --><?pi?>',
    };
    assert.strictEqual((await get(link(hostile))).status, 302);
    const [click] = parseTrackerFile(file);
    assert.strictEqual(click.EmailTemplate, hostile.template);
    assert.strictEqual(click.ContactID, hostile.contactId);
    assert.strictEqual(click.LinkName, hostile.linkName);
  });

  it('records line breaks and tabs in names so that the import reads them back unchanged', async () => {
    const names = { template: 'a\rb', contactId: 'c\r\nd', linkName: 'e\nf\tg' };
    assert.strictEqual((await get(link(names))).status, 302);
    const { entries } = readTracker(readFileSync(file), { dateOrder: 'dmy' });
    const { template, contactId, linkName } = entries[0];
    assert.deepStrictEqual({ template, contactId, linkName }, names);
  });

  it('still redirects a link signed elsewhere with characters XML cannot hold, dropping them', async () => {
    // makeTrackedLink refuses such names; a link signed by other software may still carry them.
    const signed = {
      template: 'a\u0001b',
      contactId: '7',
      linkName: 'x\uFFFEy',
      target: 'https://example.org/',
    };
    const query = new URLSearchParams({
      t: signed.template,
      c: signed.contactId,
      n: signed.linkName,
      u: signed.target,
      s: signFields(signed, key),
    });
    assert.strictEqual((await get(`${base}?${query.toString()}`)).status, 302);
    const [click] = parseTrackerFile(file);
    assert.strictEqual(click.EmailTemplate, 'ab');
    assert.strictEqual(click.LinkName, 'xy');
  });

  it('answers HEAD like GET but never records it', async () => {
    const answer = await get(link({ target: 'https://example.org/guide#section-2' }), 'HEAD');
    assert.strictEqual(answer.status, 302);
    assert.strictEqual(answer.headers.location, 'https://example.org/guide#section-2');
    assert.strictEqual(parseTrackerFile(file).length, 0);
  });

  it('answers 403 with a short page for a bad signature, and records nothing', async () => {
    const good = link();
    const forged = good.replace('c=1042', 'c=1043');
    const answer = await get(forged);
    assert.strictEqual(answer.status, 403);
    assert.match(answer.headers['content-type'] as string, /^text\/html/);
    assert.match(answer.body, /<h1>Link not recognised<\/h1>/);
    assert.strictEqual(answer.headers.location, undefined);
    const otherKey = makeTrackedLink(
      base,
      { template: 'a', contactId: 'b', linkName: 'c', target: 'https://e.org/' },
      Buffer.alloc(32, 9),
    );
    assert.strictEqual((await get(otherKey)).status, 403);
    assert.strictEqual(parseTrackerFile(file).length, 0);
    assert.ok(
      lines.every((line) => !line.includes(good.split('&s=')[1])),
      'signature logged',
    );
  });

  it('answers 400 for missing or garbled fields', async () => {
    const good = link();
    for (const url of [
      base,
      `${base}?`,
      good.replace(/&s=[^&]*/, ''),
      good.replace(/&u=[^&]*/, ''),
      `${good}&t=again`,
      good.replace(/s=[^&]*/, 's=%%%'),
      good.replace(/s=([^&]*)/, 's=$1AA'),
    ]) {
      const answer = await get(url);
      assert.strictEqual(answer.status, 400, url);
      assert.strictEqual(answer.headers.location, undefined);
    }
    assert.strictEqual(parseTrackerFile(file).length, 0);
  });

  it('takes the path of a request target in absolute form, as a proxy sends it', async () => {
    const query = link().split('?')[1];
    const origin = `http://127.0.0.1:${server.port}`;
    const answer = await rawRequest(
      server.port,
      `GET ${origin}/LinkTracking?${query} HTTP/1.1\r\nHost: track.example`,
    );
    assert.strictEqual(answer.status, 302);
    const other = await rawRequest(server.port, `GET ${origin}/favicon.ico HTTP/1.1\r\nHost: x`);
    assert.strictEqual(other.status, 404);
    assert.strictEqual(parseTrackerFile(file).length, 1);

    // With the base path `/`, an absolute form with no path at all is that path.
    const atRoot = await startRedirectServer({ key, appender, port: 0, basePath: '/' });
    try {
      const bare = `http://127.0.0.1:${atRoot.port}`;
      const signed = makeTrackedLink(
        bare,
        { template: 'T', contactId: '7', linkName: 'L', target: 'https://example.org/' },
        key,
      );
      const answer = await rawRequest(
        atRoot.port,
        `GET ${bare}?${signed.split('?')[1]} HTTP/1.1\r\nHost: x`,
      );
      assert.strictEqual(answer.status, 302);
    } finally {
      await atRoot.close();
    }
  });

  it('serves a base path with a space or non-ASCII letters, and prints it percent-encoded', async () => {
    for (const [basePath, encoded, alsoAccepted] of [
      ['/Link Tracking', '/Link%20Tracking', '/Link%20Tracking/'],
      ['/Verfolgung/ü', '/Verfolgung/%C3%BC', '/Verfolgung/%c3%bc'],
      // Given as written in a URL, as before: links made on it keep working.
      ['/Link%20Tracking', '/Link%20Tracking', '/Link%20Tracking/'],
      ['/a%2Fb', '/a%2Fb', '/a%2fb'],
      ['/100%', '/100%25', '/100%'],
    ]) {
      const logged: string[] = [];
      const other = await startRedirectServer({
        key,
        appender,
        port: 0,
        basePath,
        log: (line) => logged.push(line),
      });
      try {
        assert.strictEqual(other.url, `http://127.0.0.1:${other.port}${encoded}`);
        assert.ok(logged.includes(`listening on ${other.url}`), logged.join('\n'));
        const signed = makeTrackedLink(
          other.url,
          { template: 'T', contactId: '7', linkName: 'L', target: 'https://example.org/' },
          key,
        );
        const query = signed.split('?')[1];
        for (const pathname of [new URL(signed).pathname, alsoAccepted]) {
          const answer = await rawRequest(
            other.port,
            `GET ${pathname}?${query} HTTP/1.1\r\nHost: x`,
          );
          assert.strictEqual(answer.status, 302, `${basePath}: ${pathname}`);
        }
        for (const pathname of [`${encoded}%zz`, '/Link%2', '/%FF', `${encoded}x`, '/%zz']) {
          const answer = await rawRequest(
            other.port,
            `GET ${pathname}?${query} HTTP/1.1\r\nHost: x`,
          );
          assert.strictEqual(answer.status, 404, `${basePath}: ${pathname}`);
        }
      } finally {
        await other.close();
      }
    }
    assert.strictEqual(parseTrackerFile(file).length, 10);
  });

  it('accepts the longest link makeTrackedLink makes, which is the longest it accepts', async () => {
    const padded = (size: number) => link({ target: `https://example.org/?q=${'x'.repeat(size)}` });
    const requestBytes = (url: string) => {
      const { pathname, search } = new URL(url);
      return Buffer.byteLength(pathname + search);
    };
    const fits = MAX_URL_BYTES - requestBytes(padded(0));
    const longest = padded(fits);
    assert.strictEqual(requestBytes(longest), MAX_URL_BYTES);
    assert.strictEqual((await get(longest)).status, 302);
    assert.throws(() => padded(fits + 1), /limit/);
    assert.strictEqual(parseTrackerFile(file).length, 1);
  });

  it('answers 404 for other paths, 405 with Allow for other methods', async () => {
    for (const pathname of [
      '/',
      '/LinkTrackingX',
      '/LinkTracking/x',
      '/linktracking',
      '/favicon.ico',
    ]) {
      const answer = await rawRequest(
        server.port,
        `GET ${pathname}?${link().split('?')[1]} HTTP/1.1\r\nHost: x`,
      );
      assert.strictEqual(answer.status, 404, pathname);
    }
    assert.strictEqual(
      (await get(link().replace('/LinkTracking?', '/LinkTracking/?'))).status,
      302,
    );
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const answer = await get(link(), method);
      assert.strictEqual(answer.status, 405, method);
      assert.strictEqual(answer.headers.allow, 'GET, HEAD');
    }
    assert.strictEqual(parseTrackerFile(file).length, 1);
  });

  it('answers 414 for a URL over 8 KB, however long', async () => {
    // Around 64 KB the request line ends in the second packet read, after the header limit.
    for (const size of [8 * 1024 + 1, 20_000, 65_600, 66_000, 100_000, 300_000]) {
      const url = `/LinkTracking?t=${'a'.repeat(size)}`;
      const answer = await rawRequest(server.port, `GET ${url} HTTP/1.1\r\nHost: x`);
      assert.strictEqual(answer.status, 414, String(size));
    }
    const bigHeader = `GET /LinkTracking HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(70_000)}`;
    assert.strictEqual((await rawRequest(server.port, bigHeader)).status, 431);
    // The parser's refusals are logged as handle()'s answers are.
    assert.ok(lines.includes('431 - 127.0.0.1 (HPE_HEADER_OVERFLOW)'), lines.join('\n'));
    assert.ok(lines.includes('414 - 127.0.0.1 (HPE_HEADER_OVERFLOW)'), lines.join('\n'));
  });

  it('never answers 500 to anything a client can send', async () => {
    const good = link();
    const query = good.split('?')[1];
    const requests = [
      `GET /LinkTracking?%E0%A4%A HTTP/1.1\r\nHost: x`,
      `GET /LinkTracking?t=%FF%FE&c=%00&n=&u=&s= HTTP/1.1\r\nHost: x`,
      `GET /LinkTracking?${query.replace(/u=[^&]*/, 'u=javascript%3Aalert(1)')} HTTP/1.1\r\nHost: x`,
      `GET /LinkTracking?${'&'.repeat(4000)} HTTP/1.1\r\nHost: x`,
      `GET /LinkTracking?${'t=1&'.repeat(1000)} HTTP/1.1\r\nHost: x`,
      `GET http://evil.example/elsewhere?${query} HTTP/1.1\r\nHost: x`,
      `GET http://evil.example HTTP/1.1\r\nHost: x`,
      `GET * HTTP/1.1\r\nHost: x`,
      `GET /LinkTracking HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello`,
      `BREW /LinkTracking HTTP/1.1\r\nHost: x`,
      `GET /LinkTracking HTTP/9.9\r\nHost: x`,
      `GET /Link Tracking HTTP/1.1\r\nHost: x`,
      `\u0000\u0001garbage\r\n\r\n`,
      `GET /LinkTracking HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(70_000)}`,
      `GET /LinkTracking?t=${'é'.repeat(10)} HTTP/1.1\r\nHost: x`,
    ];
    for (const text of requests) {
      const answer = await rawRequest(server.port, text);
      assert.ok(
        answer.status >= 400 && answer.status < 500,
        `${answer.status} for ${text.slice(0, 60)}`,
      );
    }
    assert.ok(lines.every((line) => !line.startsWith('500')));
  });

  it('answers clicks in flight while stopping, and records each of them', async () => {
    // Stop once the first answers have gone out, while the rest are still arriving.
    const counted = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (lines.filter((line) => line.startsWith('302')).length >= 10) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    const pending = Array.from({ length: 50 }, (_, i) => get(link({ contactId: String(i) })));
    const settled = Promise.allSettled(pending);
    await counted;
    await server.close();
    const answers = await settled;
    const redirected = answers.filter((a) => a.status === 'fulfilled' && a.value.status === 302);
    assert.strictEqual(parseTrackerFile(file).length, redirected.length);
    assert.ok(redirected.length > 0);
    for (const answer of answers) {
      if (answer.status === 'fulfilled') {
        assert.ok([302, 503].includes(answer.value.status), String(answer.value.status));
      }
    }
  });

  it('names the port when it is in use', async () => {
    await assert.rejects(
      startRedirectServer({ key, appender, port: server.port }),
      (error: Error) =>
        error instanceof PortInUseError && error.message.includes(String(server.port)),
    );
  });
});

describe('click time and base path', () => {
  it('formats local or UTC wall-clock time', () => {
    const moment = new Date(Date.UTC(2026, 2, 4, 23, 5, 9));
    assert.deepStrictEqual(clickTimestamp(moment, true), { date: '2026-03-04', time: '23:05:09' });
    const local = clickTimestamp(moment, false);
    assert.strictEqual(
      `${local.date}T${local.time}`,
      new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000).toISOString().slice(0, 19),
    );
  });

  it('normalises the base path', () => {
    assert.strictEqual(normaliseBasePath('LinkTracking/'), '/LinkTracking');
    assert.strictEqual(normaliseBasePath('/a/b//'), '/a/b');
    assert.strictEqual(normaliseBasePath('/'), '/');
  });
});
