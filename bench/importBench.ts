// `npm run bench:import`: times the CLI import of canonical tracker files of 10k, 100k and 1M
// clicks against native sqlite3 importing the same rows as CSV. A benchmark, not a test.
//
// Generated files are cached in .bench/import/ (about 250 MB for 1M clicks). BENCH_SIZES
// (e.g. `BENCH_SIZES=10000,100000`) limits the sizes for a quick run. The re-import is timed
// REIMPORT_ROUNDS times (default 5) from the same database, and the median run counts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { migrations } from '../src/store/schema';
import {
  type ClickFields,
  formatClick,
  ROOT_END_TAG,
  trackerFileStart,
} from '../src/tracker/trackerWriter';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const work = path.join(root, '.bench', 'import');
const sizes = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const APPENDED = 1_000;
const REIMPORT_ROUNDS = Number(process.env.REIMPORT_ROUNDS ?? 5);
/**
 * The measured commands run without NODE_EXTRA_CA_CERTS: some machines set it for a proxy, and
 * then every Node process parses those certificates as it starts, although no import makes a
 * TLS connection. What that costs each start is measured and printed (see nodeStartCost).
 */
const childEnv = { ...process.env, NODE_EXTRA_CA_CERTS: undefined };
// Bump when the generated data changes, so cached files are regenerated.
const GENERATOR_VERSION = 1;

const TEMPLATES = [
  'Spring Newsletter',
  'Welcome',
  'Renewal reminder',
  'Q3 Offers & Events',
  'Webinar: "Data <Quality>"',
  'Invoice overdue',
  'Product launch 2026',
  'Customer survey',
];
const LINKS = ['Book a review', 'Read more', 'Unsubscribe', 'Pricing', 'Contact us', 'Register'];
const CONTACTS = 50_000;
const START = Date.UTC(2026, 0, 1, 8, 0, 0);

/** Click number i: distinct (date, time) per click, so every click has its own key. */
function click(i: number): ClickFields {
  const at = new Date(START + i * 1000);
  const iso = at.toISOString();
  return {
    template: TEMPLATES[(i * 7) % TEMPLATES.length],
    contactId: String(1000 + ((i * 7919) % CONTACTS)),
    linkName: LINKS[(i * 13) % LINKS.length],
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
  };
}

function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Writes the tracker file and the same rows as CSV, unless cached from an earlier run. */
async function generate(count: number): Promise<{ xml: string; csv: string }> {
  const xml = path.join(work, `tracker-${count}.xml`);
  const csv = path.join(work, `clicks-${count}.csv`);
  const marker = path.join(work, `generated-${count}.v${GENERATOR_VERSION}`);
  if (existsSync(marker) && existsSync(xml) && existsSync(csv)) {
    return { xml, csv };
  }

  const xmlOut = createWriteStream(xml);
  const csvOut = createWriteStream(csv);
  xmlOut.write(trackerFileStart('Bench Ltd'));
  const batch = 10_000;
  for (let from = 0; from < count; from += batch) {
    const xmlParts: string[] = [];
    const csvParts: string[] = [];
    for (let i = from; i < Math.min(count, from + batch); i++) {
      const c = click(i);
      xmlParts.push(formatClick(c));
      const fields = [c.contactId, c.template, c.date, c.time, c.linkName].map(csvField);
      csvParts.push(`${fields.join(',')},1\n`);
    }
    const xmlOk = xmlOut.write(xmlParts.join(''));
    const csvOk = csvOut.write(csvParts.join(''));
    // Listen to both before awaiting either: a drain that fires while waiting for the other
    // stream would otherwise be missed, and the run would end silently.
    await Promise.all([
      xmlOk ? undefined : once(xmlOut, 'drain'),
      csvOk ? undefined : once(csvOut, 'drain'),
    ]);
  }
  xmlOut.end(`${ROOT_END_TAG}\n`);
  csvOut.end();
  await Promise.all([once(xmlOut, 'finish'), once(csvOut, 'finish')]);
  await writeFile(marker, '');
  return { xml, csv };
}

/** Appends clicks the way the server does: before the root end tag. */
async function appendClicks(file: string, from: number, count: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(Math.min(size, 256));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const endTag = tail.lastIndexOf(ROOT_END_TAG);
    if (endTag < 0) {
      throw new Error(`${file} has no ${ROOT_END_TAG} near its end`);
    }
    const at = size - tail.length + endTag;
    const added: string[] = [];
    for (let i = from; i < from + count; i++) {
      added.push(formatClick(click(i)));
    }
    const bytes = Buffer.from(`${added.join('')}${ROOT_END_TAG}\n`);
    await handle.truncate(at);
    await handle.write(bytes, 0, bytes.length, at);
  } finally {
    await handle.close();
  }
}

interface Run {
  seconds: number;
  /** User plus system CPU time: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
  stdout: string;
}

/** Runs a command under GNU time for its peak RSS, timing the wall clock here. */
async function measure(command: string, args: string[], input?: string): Promise<Run> {
  const child = spawn('/usr/bin/time', ['-v', command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnv,
  });
  const started = process.hrtime.bigint();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(input ?? '');
  const [code] = (await once(child, 'close')) as [number];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}`);
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!rss) {
    throw new Error(`no peak RSS in the output of /usr/bin/time:\n${stderr}`);
  }
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  const cpuSeconds = Number(user?.[1] ?? NaN) + Number(system?.[1] ?? NaN);
  return { seconds, cpuSeconds, peakRssMb: Number(rss[1]) / 1024, stdout };
}

/** The run of median wall time. */
function median<T extends Run>(runs: T[]): T {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
}

/** How much longer `node -e 0` takes with this environment's NODE_EXTRA_CA_CERTS, in ms. */
async function nodeStartCost(): Promise<string> {
  const time = async (env: NodeJS.ProcessEnv) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
    await once(child, 'close');
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const withCerts: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < 5; i++) {
    withCerts.push(await time(process.env));
    without.push(await time(childEnv));
  }
  const mid = (values: number[]) => values.sort((a, b) => a - b)[2];
  return (mid(withCerts) - mid(without)).toFixed(0);
}

async function cliImport(xml: string, db: string): Promise<Run & { added: number }> {
  const run = await measure(process.execPath, [cli, 'import', xml, '--db', db, '--json']);
  const result = JSON.parse(run.stdout) as { added: number; problems: unknown[] };
  if (result.problems.length > 0) {
    throw new Error(`import reported problems: ${JSON.stringify(result.problems.slice(0, 3))}`);
  }
  return { ...run, added: result.added };
}

async function sqliteImport(csv: string, db: string): Promise<Run> {
  await rm(db, { force: true });
  // The clicks table keyed by contact, template, date and time as text (schema 2). Schema 3
  // stores the same key compactly behind a view, which .import could only fill through the
  // view's trigger, one row at a time: the text table is the fair baseline.
  const script = `${migrations.slice(0, 2).join('\n')}\n.import --csv '${csv}' clicks\n`;
  return measure('sqlite3', [db], script);
}

function line(label: string, run: Run): void {
  const seconds = run.seconds.toFixed(2).padStart(7);
  const cpu = run.cpuSeconds.toFixed(2).padStart(7);
  const rss = run.peakRssMb.toFixed(0).padStart(5);
  console.log(`${label.padEnd(44)} ${seconds} s wall ${cpu} s CPU  peak RSS ${rss} MB`);
}

async function main(): Promise<void> {
  if (!existsSync(cli)) {
    throw new Error(`${cli} is missing: run "node scripts/build.mjs" first`);
  }
  await mkdir(work, { recursive: true });
  // Wall times mean little on a busy machine: say how busy it was, and compare CPU times too.
  const load = () => loadavg()[0].toFixed(1);
  console.log(`${cpus().length} CPUs, load average ${load()} at the start`);
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const cost = await nodeStartCost();
    console.log(
      `NODE_EXTRA_CA_CERTS is set here; the measured commands run without it (it made each Node ` +
        `start ${cost} ms slower: median of 5 \`node -e 0\` with and without)`,
    );
  }
  const first = new Map<number, Run>();
  let reimport: (Run & { added: number }) | undefined;
  let native: Run | undefined;

  for (const count of sizes) {
    const { xml, csv } = await generate(count);
    const mb = ((await stat(xml)).size / 1e6).toFixed(0);
    const copy = path.join(work, `import-${count}.xml`);
    const db = path.join(work, `fresh-${count}.sqlite`);
    await copyFile(xml, copy);
    await rm(db, { force: true });

    const run = await cliImport(copy, db);
    if (run.added !== count) {
      throw new Error(`expected ${count} clicks added, got ${run.added}`);
    }
    first.set(count, run);
    line(`CLI import ${count} clicks (${mb} MB)`, run);

    if (count === Math.max(...sizes)) {
      await appendClicks(copy, count, APPENDED);
      // Each round starts from the database as the first import left it.
      const imported = path.join(work, `imported-${count}.sqlite`);
      await copyFile(db, imported);
      const rounds: (Run & { added: number })[] = [];
      for (let round = 0; round < REIMPORT_ROUNDS; round++) {
        await copyFile(imported, db);
        const run = await cliImport(copy, db);
        if (run.added !== APPENDED) {
          throw new Error(`expected ${APPENDED} new clicks on re-import, got ${run.added}`);
        }
        rounds.push(run);
      }
      reimport = median(rounds);
      const each = rounds.map((run) => run.seconds.toFixed(2)).join(', ');
      line(`CLI re-import after ${APPENDED} appended clicks`, reimport);
      console.log(`  median of ${rounds.length} rounds: ${each} s`);

      native = await sqliteImport(csv, path.join(work, `native-${count}.sqlite`));
      line(`native sqlite3 .import --csv ${count} rows`, native);
    }
  }

  console.log(`load average ${load()} at the end`);
  const largest = Math.max(...sizes);
  const big = first.get(largest)!;
  const ratio = (a: Run, b: Run) =>
    `${(a.seconds / b.seconds).toFixed(3)} wall, ${(a.cpuSeconds / b.cpuSeconds).toFixed(3)} CPU`;
  console.log('');
  if (native) {
    console.log(`import ${largest} / sqlite3 (target <= 2):      ${ratio(big, native)}`);
  }
  console.log(`peak RSS at ${largest} (target < 1024 MB):  ${big.peakRssMb.toFixed(0)} MB`);
  if (reimport) {
    console.log(`re-import / first import (target < 0.05): ${ratio(reimport, big)}`);
  }
  const tenth = first.get(largest / 10);
  if (tenth) {
    console.log(`time ${largest} / time ${largest / 10} (target < 12): ${ratio(big, tenth)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
