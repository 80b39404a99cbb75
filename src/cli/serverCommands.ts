// `link-tracking serve`, `link` and `keygen`: the server and its links from the command line.
import { InvalidArgumentError, type Command } from 'commander';
import { write, writeSync } from 'node:fs';
import * as path from 'node:path';
import { startRedirectServer } from '../server/redirectServer';
import { generateSigningKey, readKeyFile, writeKeyFile } from '../server/signingKey';
import { makeTrackedLink, prepareTarget } from '../server/trackedLink';
import { TrackerAppender, trackerFileName } from '../server/trackerAppender';
import { usageExit } from './cliSupport';

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the redirect server that records clicks on tracked links')
    .requiredOption('--folder <dir>', 'folder of the tracker file')
    .requiredOption('--reg-name <name>', 'licensed company name: clicks go to Tracker_<name>.xml')
    .requiredOption('--key-file <file>', 'link signing key (see keygen)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 8787)
    .option('--base-path <path>', 'path of the tracked links', '/LinkTracking')
    .option('--utc', 'record click dates and times in UTC instead of local time', false)
    .exitOverride(usageExit)
    .action(serve);

  program
    .command('link')
    .description('Print one tracked link')
    .requiredOption('--key-file <file>', 'link signing key')
    .requiredOption(
      '--base-url <url>',
      'public address of the server, e.g. https://host/LinkTracking',
    )
    .requiredOption('--template <name>', 'email template')
    .requiredOption('--contact <id>', 'contact ID')
    .requiredOption('--url <target>', 'the real target (http or https)')
    .option('--name <link name>', 'link name (default: the target URL)')
    .exitOverride(usageExit)
    .action(async (options: LinkOptions) => {
      const key = await readKeyFile(options.keyFile);
      const target = prepareTarget(options.url);
      const fields = {
        template: options.template,
        contactId: options.contact,
        linkName: options.name ?? target,
        target,
      };
      process.stdout.write(`${makeTrackedLink(options.baseUrl, fields, key)}\n`);
    });

  program
    .command('keygen')
    .description('Make a new link signing key file (readable by its owner only)')
    .requiredOption('--key-file <file>', 'where to write the key')
    .option('--force', 'replace an existing key file (links made with the old key stop working)')
    .exitOverride(usageExit)
    .action(async (options: { keyFile: string; force?: boolean }) => {
      await writeKeyFile(options.keyFile, generateSigningKey(), options.force ?? false);
      process.stderr.write(`wrote a new link signing key to ${options.keyFile}\n`);
    });
}

interface ServeOptions {
  folder: string;
  regName: string;
  keyFile: string;
  host: string;
  port: number;
  basePath: string;
  utc: boolean;
}

interface LinkOptions {
  keyFile: string;
  baseUrl: string;
  template: string;
  contact: string;
  url: string;
  name?: string;
}

async function serve(options: ServeOptions): Promise<void> {
  const log = stderrLog();
  const key = await readKeyFile(options.keyFile);
  const file = path.join(path.resolve(options.folder), trackerFileName(options.regName));
  const appender = await TrackerAppender.open({ file, regName: options.regName, log });
  let server;
  try {
    server = await startRedirectServer({
      key,
      appender,
      host: options.host,
      port: options.port,
      basePath: options.basePath,
      utc: options.utc,
      log,
    });
  } catch (error) {
    await appender.close();
    throw error;
  }
  log(`recording clicks in ${file}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`${signal}: stopping`);
    await server.close();
    await appender.close();
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError('not a port number (0-65535).');
  }
  return port;
}

/** Each write into the thread pool costs the event loop as much as a click; wait for more lines. */
const LOG_DELAY_MS = 20;

/**
 * A logger for stderr that keeps the event loop free: lines are collected and written by one
 * write at a time in the thread pool (in order), at most every LOG_DELAY_MS, so under load one
 * write carries the lines of many clicks, and a slow log file never delays a redirect. What is
 * left is written at exit.
 */
function stderrLog(): (line: string) => void {
  let pending: string[] = [];
  let writing = false;
  const writeNext = () => {
    if (pending.length === 0) {
      writing = false;
      return;
    }
    writing = true;
    const bytes = Buffer.from(pending.join(''));
    pending = [];
    write(2, bytes, (error, written) => {
      // What was not written (a full pipe) goes first in the next write, or the one at exit.
      const rest = bytes.subarray(error ? 0 : written).toString();
      if (rest) {
        pending.unshift(rest);
      }
      setTimeout(writeNext, error ? 100 : LOG_DELAY_MS).unref();
    });
  };
  process.on('exit', () => {
    try {
      writeSync(2, pending.join(''));
    } catch {
      // Nowhere left to report it.
    }
  });
  return (line) => {
    pending.push(`${new Date().toISOString()} ${line}\n`);
    if (!writing) {
      writing = true;
      setTimeout(writeNext, LOG_DELAY_MS).unref();
    }
  };
}
