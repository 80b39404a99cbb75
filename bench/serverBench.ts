// `npm run bench:server`: autocannon against (a) `link-tracking serve` recording durable clicks
// and (b) a bare node:http server answering 302 to a fixed URL, at 50 and 200 connections.
// Then checks that the tracker file holds exactly one entry per 302 and imports cleanly.
// A benchmark, not a test. BENCH_REQUESTS (default 40000) bounds each measured run;
// BENCH_ROUNDS (default 5) runs alternate between the two servers. (Runs of 10,000 requests
// lasted under a second, and the bare server's rate then varied from 17k to 44k req/s in one run.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { generateSigningKey, writeKeyFile } from '../src/server/signingKey';
import { makeTrackedLink } from '../src/server/trackedLink';
import { TrackingDatabase } from '../src/store/database';
import { importTrackerFile } from '../src/store/importer';

interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  /** Seconds from the start to the last response (autocannon's own duration is coarse). */
  seconds: number;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  '3xx': number;
  non2xx: number;
}
interface Request {
  method?: string;
  path?: string;
}
interface AutocannonInstance {
  on(event: 'response', listener: () => void): void;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    amount: number;
    requests?: { setupRequest: (request: Request) => Request }[];
  },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
// autocannon ships no type declarations; the shape used here is declared above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const root = path.resolve(__dirname, '..');
const requestsPerRun = Number(process.env.BENCH_REQUESTS ?? 40_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = [50, 200];

/** Starts a child process and resolves with the first `listening on http://...` it logs. */
async function startChild(args: string[], logFile: string): Promise<[ChildProcess, string]> {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', log] });
  for (let waited = 0; waited < 20_000; waited += 50) {
    const found = /listening on (http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
    if (found) {
      return [child, found[1]];
    }
    if (child.exitCode !== null) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${args.join(' ')} did not start: ${readFileSync(logFile, 'utf8')}`);
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** The round with the median throughput. */
function median(results: AutocannonResult[]): AutocannonResult {
  return [...results].sort((x, y) => rate(x) - rate(y))[Math.floor(results.length / 2)];
}

/** Requests per second over the whole run (autocannon's own average is per whole second). */
function rate(result: AutocannonResult): number {
  return result.requests.total / result.seconds;
}

async function main(): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'server-bench-'));
  const keyFile = path.join(folder, 'link.key');
  const key = generateSigningKey();
  await writeKeyFile(keyFile, key);
  const trackerFile = path.join(folder, 'Tracker_Bench Ltd.xml');

  const [tracked, trackedUrl] = await startChild(
    [
      path.join(root, 'dist', 'cli.js'),
      'serve',
      ...['--folder', folder, '--reg-name', 'Bench Ltd', '--key-file', keyFile, '--port', '0'],
    ],
    path.join(folder, 'serve.log'),
  );
  const bareScript =
    "const s=require('http').createServer((q,r)=>{q.resume();" +
    "r.writeHead(302,{Location:'https://example.org/','Cache-Control':'no-store'," +
    "'Content-Length':'0'});r.end()});s.listen(0,'127.0.0.1',()=>" +
    "process.stderr.write('listening on http://127.0.0.1:'+s.address().port+'/\\n'));" +
    "process.on('SIGTERM',()=>s.close(()=>process.exit(0)))";
  const [bare, bareUrl] = await startChild(['-e', bareScript], path.join(folder, 'bare.log'));

  // Every request is a different contact, so each click is a distinct entry on import.
  let contact = 0;
  const paths = (count: number) =>
    Array.from({ length: count }, () => {
      const link = makeTrackedLink(
        trackedUrl,
        {
          template: 'Bench <Newsletter>',
          contactId: String(++contact),
          linkName: 'Book a review',
          target: 'https://shop.example/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706',
        },
        key,
      );
      return link.slice(link.indexOf('/', 'http://'.length));
    });
  const run = (url: string, connections: number, amount: number) => {
    const queue = paths(amount + connections);
    return new Promise<AutocannonResult>((resolve, reject) => {
      const start = performance.now();
      let last = start;
      const instance = autocannon(
        {
          url,
          connections,
          amount,
          requests: [{ setupRequest: (request) => ({ ...request, path: queue.pop() }) }],
        },
        (error, result) =>
          error ? reject(error) : resolve({ ...result, seconds: (last - start) / 1000 }),
      );
      instance.on('response', () => (last = performance.now()));
    });
  };

  let redirected = 0;
  const warm = await run(trackedUrl, 10, 1_000);
  redirected += warm['3xx'];
  await run(bareUrl, 10, 1_000);

  // The machine may be shared: (b) and (a) alternate over several rounds and the median round
  // of each is reported, so a burst of load from elsewhere does not land on one side only.
  const lines: string[] = [
    `${rounds} rounds of ${requestsPerRun} requests per server and connection count; medians`,
  ];
  let passed = true;
  for (const connections of CONNECTIONS) {
    const results: { a: AutocannonResult[]; b: AutocannonResult[] } = { a: [], b: [] };
    for (let round = 0; round < rounds; round++) {
      results.b.push(await run(bareUrl, connections, requestsPerRun));
      const a = await run(trackedUrl, connections, requestsPerRun);
      redirected += a['3xx'];
      passed &&= a['3xx'] === requestsPerRun && a.errors === 0;
      results.a.push(a);
    }
    const a = median(results.a);
    const b = median(results.b);
    const ratio = rate(a) / rate(b);
    const p99Ok = connections !== 50 || a.latency.p99 < 25;
    passed &&= ratio >= 0.5 && p99Ok;
    for (const [name, result, all] of [
      ['(a) tracking, durable', a, results.a],
      ['(b) bare 302', b, results.b],
    ] as const) {
      lines.push(
        `${String(connections).padStart(3)} conn  ${name.padEnd(22)} ` +
          `${rate(result).toFixed(0).padStart(6)} req/s  ` +
          `p50 ${String(result.latency.p50).padStart(3)} ms  ` +
          `p99 ${String(result.latency.p99).padStart(3)} ms  ` +
          `(rounds: ${all.map((r) => rate(r).toFixed(0)).join(', ')} req/s)`,
      );
    }
    lines.push(
      `${String(connections).padStart(3)} conn  ratio (a)/(b) ${ratio.toFixed(2)} ` +
        `(target >= 0.5)${connections === 50 ? `; p99 ${a.latency.p99} ms (target < 25)` : ''}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const trackedExit = await stop(tracked);
  await stop(bare);

  const text = readFileSync(trackerFile, 'utf8');
  const wellFormed = XMLValidator.validate(text) === true;
  const entries = new XMLParser({ isArray: (name) => name === 'Click' }).parse(text).Tracker?.Click
    ?.length as number;
  const database = await TrackingDatabase.openInMemory(
    require.resolve('sql.js/dist/sql-wasm.wasm'),
  );
  const imported = await importTrackerFile(database, trackerFile, { dateOrder: 'dmy' });
  const importClean = !imported.refused && imported.invalid === 0 && imported.added === redirected;
  passed &&= trackedExit === 0 && wellFormed && entries === redirected && importClean;
  process.stdout.write(
    `302 answers from (a): ${redirected}; entries in the tracker file: ${entries}; ` +
      `well-formed: ${wellFormed}; server exit code after SIGTERM: ${trackedExit}\n` +
      `import: added ${imported.added}, duplicates ${imported.duplicates}, ` +
      `invalid ${imported.invalid}` +
      `${imported.refused ? `, REFUSED: ${imported.refused.message}` : ''}\n` +
      `${passed ? 'PASS' : 'FAIL'}: targets ${passed ? 'met' : 'not all met'} ` +
      `(files in ${folder})\n`,
  );
  process.exitCode = passed ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:server: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
