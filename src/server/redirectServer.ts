// The redirect server: checks a tracked link, records the click durably, redirects the browser.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { locationFor, MAX_URL_BYTES, verifyTrackedLink } from './trackedLink';
import type { TrackerAppender } from './trackerAppender';

export { MAX_URL_BYTES };

/** The scheme and host of a request target in absolute form, e.g. `http://track.example`. */
const ABSOLUTE_FORM_ORIGIN = /^https?:\/\/[^/?#]*/i;

export interface RedirectServerOptions {
  key: Buffer;
  appender: TrackerAppender;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The one route, e.g. `/LinkTracking`. */
  basePath?: string;
  /** Record clicks in UTC instead of local wall-clock time. */
  utc?: boolean;
  maxConnections?: number;
  /** One line per request and per start/stop; never the key or a signature. */
  log?: (line: string) => void;
  /** Called after each click is recorded. */
  onClick?: () => void;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Where the server listens, e.g. http://127.0.0.1:8787/LinkTracking */
  readonly url: string;
  /** Stops accepting, answers what is in flight, and resolves when all of it is written. */
  close(): Promise<void>;
}

export class PortInUseError extends Error {}

/** The Date and Time written for a click that arrived at `now`. */
export function clickTimestamp(now: Date, utc: boolean): { date: string; time: string } {
  const pad = (n: number) => String(n).padStart(2, '0');
  const [y, mo, d, h, mi, s] = utc
    ? [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()].concat([
        now.getUTCHours(),
        now.getUTCMinutes(),
        now.getUTCSeconds(),
      ])
    : [now.getFullYear(), now.getMonth() + 1, now.getDate()].concat([
        now.getHours(),
        now.getMinutes(),
        now.getSeconds(),
      ]);
  return {
    date: `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}`,
    time: `${pad(h)}:${pad(mi)}:${pad(s)}`,
  };
}

/**
 * `/LinkTracking/` and `LinkTracking` both become `/LinkTracking`; `/` stays `/`. The path is
 * text as the user means it (`/Link Tracking`), not percent-encoded.
 */
export function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.trim().replace(/^\/*/, '/').replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function startRedirectServer(options: RedirectServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const basePath = normaliseBasePath(options.basePath ?? '/LinkTracking');
  // Given as text (`/Link Tracking`) or as written in a URL (`/Link%20Tracking`): requests match
  // either way, and the address shown is one a user can paste.
  const basePathText = decodedPath(basePath) ?? basePath;
  const encodedBasePath = encodedPath(basePath);
  const log = options.log ?? (() => undefined);
  const utc = options.utc ?? false;
  let closing = false;
  let inFlight = 0;
  // Clicks arrive thousands a second; the Date and Time change once a second.
  let stampSecond = -1;
  let stamp = { date: '', time: '' };
  const arrivalStamp = () => {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== stampSecond) {
      stampSecond = second;
      stamp = clickTimestamp(new Date(now), utc);
    }
    return stamp;
  };
  let drained: (() => void) | undefined;

  const server = http.createServer(
    {
      // Larger than the URL limit, so a long URL gets our 414 rather than Node's 431.
      maxHeaderSize: 64 * 1024,
      headersTimeout: 10_000,
      requestTimeout: 20_000,
      keepAliveTimeout: 5_000,
    },
    (request, response) => {
      inFlight++;
      response.on('close', () => {
        inFlight--;
        if (inFlight === 0) {
          drained?.();
        }
      });
      handle(request, response).catch((error: Error) => {
        // Only a bug gets here; the client still gets an answer and the admin a log line.
        log(`500 ${request.method}: ${error.message}`);
        if (!response.headersSent) {
          send(response, 500, 'Server error', 'The click could not be handled.');
        } else {
          response.destroy();
        }
      });
    },
  );
  server.maxConnections = options.maxConnections ?? 1024;
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    const status = answerClientError(error, socket);
    if (status) {
      // What the parser refused never reaches handle(): say it here, as handle() would.
      const client = (socket as Duplex & { remoteAddress?: string }).remoteAddress ?? '-';
      log(`${status} - ${client} (${error.code ?? error.message})`);
    }
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const method = request.method ?? '';
    // A request sent as to a proxy names the whole URL (absolute form); only its path counts.
    // An empty path there (`http://host?query`) is `/`.
    const rawUrl = (request.url ?? '').replace(ABSOLUTE_FORM_ORIGIN, '').replace(/^(?=\?|$)/, '/');
    const queryStart = rawUrl.indexOf('?');
    const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const client = request.socket.remoteAddress ?? '-';
    request.resume();
    if (closing) {
      response.setHeader('Connection', 'close');
      response.setHeader('Retry-After', '5');
      return reply(503, 'Stopping', 'The link tracking server is stopping; try again shortly.');
    }
    if (Buffer.byteLength(rawUrl) > MAX_URL_BYTES) {
      return reply(414, 'Link too long', 'This address is too long to be a tracked link.');
    }
    if (!isBasePath(path)) {
      return reply(404, 'Not found', 'There is nothing at this address.');
    }
    if (method !== 'GET' && method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return reply(405, 'Method not allowed', 'Tracked links are opened with GET.');
    }
    const check = verifyTrackedLink(
      queryStart === -1 ? '' : rawUrl.slice(queryStart + 1),
      options.key,
    );
    if (!check.ok) {
      const [status, title, text] =
        check.kind === 'signature'
          ? [403, 'Link not recognised', 'This link was changed or was not made for this server.']
          : [400, 'Incomplete link', 'This link is incomplete; it may have been cut short.'];
      return reply(status, title, text, check.reason);
    }
    const { fields } = check;
    const location = locationFor(fields.target);
    if (method === 'GET') {
      // The time the click arrived, not the time its batch reached the disk.
      const { date, time } = arrivalStamp();
      try {
        await options.appender.append({ ...fields, date, time });
      } catch (error) {
        response.setHeader('Retry-After', '5');
        return reply(
          503,
          'Try again',
          'The click could not be recorded.',
          (error as Error).message,
        );
      }
      options.onClick?.();
    }
    response.writeHead(302, {
      Location: location,
      'Cache-Control': 'no-store',
      'Content-Length': '0',
      ...(closing ? { Connection: 'close' } : {}),
    });
    response.end();
    // JSON quoting keeps a value with a line break on one log line.
    log(
      `302 ${method} ${client} template=${JSON.stringify(fields.template)} ` +
        `contact=${JSON.stringify(fields.contactId)} link=${JSON.stringify(fields.linkName)}` +
        (method === 'HEAD' ? ' (not recorded)' : ''),
    );

    function reply(status: number, title: string, text: string, detail?: string) {
      send(response, status, title, text);
      const shown = JSON.stringify(path.slice(0, 200));
      log(`${status} ${method.slice(0, 20)} ${client} ${shown}${detail ? `: ${detail}` : ''}`);
    }
  }

  /** Whether a request's path (percent-encoded as sent) is the base path, with or without `/`. */
  function isBasePath(path: string): boolean {
    if (path === basePath || path === `${basePath}/`) {
      return true; // byte for byte as configured, escapes and all
    }
    // Else compare text, not escapes: `%C3%BC` and `%c3%bc` both mean `ü`. A broken escape
    // (`%zz`) names no other path.
    const text = decodedPath(path);
    return text !== undefined && (text === basePathText || text === `${basePathText}/`);
  }

  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(`port ${options.port ?? 8787} on ${host} is already in use`)
          : error,
      );
    });
    server.listen(options.port ?? 8787, host, () => {
      const port = (server.address() as AddressInfo).port;
      const hostInUrl = host.includes(':') ? `[${host}]` : host;
      const url = `http://${hostInUrl}:${port}${encodedBasePath}`;
      server.on('error', (error) => log(`server error: ${error.message}`));
      log(`listening on ${url}`);
      resolve({
        host,
        port,
        url,
        close: async () => {
          closing = true;
          const stopped = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          if (inFlight > 0) {
            await new Promise<void>((done) => {
              drained = done;
              // A client that never reads its answer must not keep the server up.
              setTimeout(done, 10_000).unref();
            });
          }
          server.closeAllConnections();
          await stopped;
          log(
            `stopped; ${options.appender.recorded} clicks recorded in ` +
              `${options.appender.batches} writes`,
          );
        },
      });
    });
  });
}

/** A path as text, its percent escapes decoded; undefined when one of them is broken. */
function decodedPath(path: string): string | undefined {
  if (!path.includes('%')) {
    return path;
  }
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** A path as written in a URL: what a path cannot hold raw is escaped, escapes are kept. */
function encodedPath(path: string): string {
  return path.replace(/%(?![0-9A-Fa-f]{2})|[^\w\-.~!$&'()*+,;=:@/%]/gu, (c) =>
    encodeURIComponent(c),
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/** Answers requests Node could not parse, e.g. a URL beyond the header size limit. */
function answerClientError(
  error: NodeJS.ErrnoException & { rawPacket?: Buffer },
  socket: Duplex,
): number | undefined {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return undefined;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? overflowStatus(error.rawPacket) : 400;
  const body = `${STATUS_TEXT[status]}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  return status;
}

/**
 * 414 (URL too long) or 431 (headers too large) for a request whose head passed maxHeaderSize.
 * Node hands over only the packet it was parsing, which need not be the request's first: the
 * end of the request line is known by the HTTP version before its line break.
 */
function overflowStatus(packet: Buffer | undefined): 414 | 431 {
  const lineEnd = packet?.indexOf('\r\n') ?? -1;
  if (!packet || lineEnd === -1) {
    return 414; // inside one line longer than the packet: far more likely the URL than a header
  }
  const version = packet.toString('latin1', Math.max(0, lineEnd - 9), lineEnd);
  if (!/ HTTP\/\d\.\d$/.test(version)) {
    return 431; // the first line break ends a header: the request line was whole before
  }
  // The request line ends here: it is long unless this packet starts it and it is short.
  const startsRequest = /^[A-Z]+ /.test(packet.toString('latin1', 0, 16));
  return startsRequest && lineEnd <= MAX_URL_BYTES ? 431 : 414;
}

function send(response: http.ServerResponse, status: number, title: string, text: string) {
  const body =
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<title>${title}</title></head>\n<body><h1>${title}</h1><p>${text}</p></body></html>\n`;
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
