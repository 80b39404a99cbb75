// Helpers shared by the server tests: read a tracker file back with an independent XML parser.
import * as assert from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { generateSigningKey, writeKeyFile } from '../../src/server/signingKey';
import { scratchFolder } from './scratchFolder';

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

/** A fresh folder with a signing key, and `serve` arguments for a server on it (a free port). */
export async function serveFolder(prefix: string) {
  const folder = scratchFolder(prefix);
  const keyFile = path.join(folder, 'link.key');
  const key = generateSigningKey();
  await writeKeyFile(keyFile, key);
  const args = ['--folder', folder, '--reg-name', 'ABC Ltd', '--key-file', keyFile, '--port', '0'];
  return { folder, key, args };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | NodeJS.Signals | null>;
}

const repoRoot = path.resolve(__dirname, '..', '..');

/** Starts `link-tracking serve` from the sources in a child process and waits until it listens. */
export function startServeProcess(args: string[]): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['-r', 'esbuild-register', path.join(repoRoot, 'src/cli/main.ts'), 'serve', ...args],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      const listening = /listening on (http:\/\/\S+)/.exec(stderr);
      if (listening) {
        resolve({ child, url: listening[1], log: () => stderr, exited });
      }
    });
    void exited.then((code) =>
      reject(new Error(`serve exited (${code}) before listening: ${stderr}`)),
    );
  });
}

/** GETs `url` without following the redirect; resolves with the status code. */
export function getStatus(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
