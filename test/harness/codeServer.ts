// Installs code-server once into a cache folder and starts it for one test run.
// code-server serves the real VS Code workbench (1.100) to a browser, which lets the integration
// suite run inside a real extension host on machines where no desktop VS Code can be had.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';

export const CODE_SERVER_VERSION = '4.100.3';
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CACHE_DIR = path.join(REPO_ROOT, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const PACKAGE_DIR = path.join(CACHE_DIR, 'node_modules', 'code-server');
const VSCODE_DIR = path.join(PACKAGE_DIR, 'lib', 'vscode');
const MARKER = path.join(CACHE_DIR, '.install-complete');
export const ENTRY = path.join(PACKAGE_DIR, 'out', 'node', 'entry.js');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Requirement {
  debianPackage: string;
  present: () => boolean;
  what: string;
}

function onPath(command: string): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  return dirs.some((dir) => dir !== '' && isExecutable(path.join(dir, command)));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const BROWSER: Requirement = {
  debianPackage: 'chromium',
  what: CHROMIUM_PATH,
  present: () => isExecutable(CHROMIUM_PATH),
};

const BUILD_TOOLS: Requirement[] = [
  { debianPackage: 'ripgrep', what: 'rg on PATH', present: () => onPath('rg') },
  {
    debianPackage: 'libkrb5-dev',
    what: 'krb5-config or /usr/include/gssapi/gssapi.h (kerberos headers)',
    present: () => onPath('krb5-config') || fs.existsSync('/usr/include/gssapi/gssapi.h'),
  },
  { debianPackage: 'make', what: 'make on PATH', present: () => onPath('make') },
  { debianPackage: 'g++', what: 'g++ on PATH', present: () => onPath('g++') },
];

/** Throws one error naming every missing Debian package and the command that installs them. */
export function checkRequirements(requirements: Requirement[]): void {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) {
    return;
  }
  const lines = missing.map((r) => `  - Debian package '${r.debianPackage}' (needs ${r.what})`);
  const packages = missing.map((r) => r.debianPackage).join(' ');
  throw new Error(
    `Missing system packages for the integration tests:\n${lines.join('\n')}\n` +
      `Install them with: sudo apt-get install -y ${packages}`,
  );
}

export function checkBrowser(): void {
  checkRequirements([BROWSER]);
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  console.log(`[code-server install] ${cwd}$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
}

function installCodeServer(): void {
  checkRequirements(BUILD_TOOLS);
  const started = Date.now();
  fs.writeFileSync(
    path.join(CACHE_DIR, 'package.json'),
    JSON.stringify({ name: 'code-server-cache', private: true }) + '\n',
  );

  // The npm package's install scripts download binaries, which fails offline: install without
  // scripts, then build the native modules from source and use Debian's ripgrep.
  const npmQuiet = ['--no-audit', '--no-fund'];
  run(
    'npm',
    ['install', ...npmQuiet, '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`],
    CACHE_DIR,
  );
  run('npm', ['rebuild', 'argon2'], CACHE_DIR);
  run('npm', ['install', ...npmQuiet, '--omit=dev', '--ignore-scripts'], VSCODE_DIR);
  const rgDir = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  const rg = execFileSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).trim();
  fs.copyFileSync(rg, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  // node-pty's build script runs `npx node-gyp`, which would otherwise stop to ask.
  run('npm', ['rebuild'], VSCODE_DIR, { npm_config_yes: 'true' });
  run('npm', ['install', ...npmQuiet, '--omit=dev'], path.join(VSCODE_DIR, 'extensions'));

  fs.writeFileSync(MARKER, `${new Date().toISOString()}\n`);
  console.log(`[code-server install] done in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Makes sure code-server is installed in the cache; safe to call from concurrent runs. */
export async function ensureCodeServer(): Promise<void> {
  if (fs.existsSync(MARKER)) {
    return;
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // The lock is on the cache folder; a second run waits here until the first has installed.
  const release = await lockfile.lock(CACHE_DIR, {
    stale: 60_000,
    retries: { retries: 400, minTimeout: 1000, maxTimeout: 3000 },
    onCompromised: (error) => console.error(`[code-server install] lock lost: ${error.message}`),
  });
  try {
    if (!fs.existsSync(MARKER)) {
      console.log(`[code-server install] installing code-server ${CODE_SERVER_VERSION} into`);
      console.log(`  ${CACHE_DIR} (once; later runs reuse it)`);
      installCodeServer();
    }
  } finally {
    await release();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Copies a folder recursively (the fixture workspace), so tests may change their copy. */
export function copyFolder(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

export interface CodeServerOptions {
  /** The folder opened as the workspace. */
  workspace: string;
  /** Extensions folder; a fresh empty one when not given. */
  extensionsDir?: string;
  /** Extra environment for the server and so for its extension host. */
  env?: NodeJS.ProcessEnv;
  /** Echo the server's own log to stdout (it is always kept in memory for errors). */
  verbose?: boolean;
  port?: number;
}

export interface RunningCodeServer {
  port: number;
  url: string;
  /** The temporary folder holding user data, extensions and config of this run. */
  tempDir: string;
  userDataDir: string;
  extensionsDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const running = new Set<RunningCodeServer>();

/** Starts code-server on 127.0.0.1 with fresh state and waits until it is listening. */
export async function startCodeServer(options: CodeServerOptions): Promise<RunningCodeServer> {
  const port = options.port ?? (await freePort());
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elt-code-server-'));
  const userDataDir = path.join(tempDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(tempDir, 'extensions');
  const configFile = path.join(tempDir, 'config.yaml');
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  // An explicit config file keeps code-server from writing one into the home folder.
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  writeUserSettings(userDataDir);

  const args = [
    ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--config',
    configFile,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    options.workspace,
  ];
  // A process group of its own, so that stop() ends the server and every child it spawned.
  const child = spawn(process.execPath, args, {
    cwd: tempDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });

  const server: RunningCodeServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    tempDir,
    userDataDir,
    extensionsDir,
    process: child,
    stop: async () => {
      await stopProcessGroup(child);
      running.delete(server);
      if (!process.env.KEEP_CODE_SERVER_TEMP) {
        fs.rmSync(tempDir, { recursive: true, force: true });
      }
    },
  };
  running.add(server);

  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error('code-server did not start within 60 s')),
      60_000,
    );
    const onData = (data: Buffer) => {
      const text = data.toString();
      output += text;
      if (options.verbose) {
        process.stdout.write(prefixLines('[code-server] ', text));
      }
      if (/HTTP server listening on/i.test(output)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', fail);
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`code-server exited early (code ${code}, signal ${signal})`));
    function fail(error: Error) {
      clearTimeout(timer);
      void server.stop();
      reject(new Error(`${error.message}\n--- code-server output ---\n${output}`));
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
  return server;
}

// Quiet, predictable workbench: no welcome page, no telemetry, no update or trust prompts.
function writeUserSettings(userDataDir: string): void {
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'security.workspace.trust.enabled': false,
    'chat.commandCenter.enabled': false,
    'git.enabled': false,
  };
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(settings, null, 2) + '\n',
  );
}

function prefixLines(prefix: string, text: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}

/** SIGTERM to the whole process group, then SIGKILL if it has not gone within 5 s. */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child.pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    killGroup(child.pid, 'SIGKILL');
    await exited;
  }
  // Children that ignored SIGTERM while their parent exited are still in the group.
  killGroup(child.pid, 'SIGKILL');
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Kills every code-server this process started; for exit and Ctrl-C handlers. */
export function killAllSync(): void {
  for (const server of running) {
    killGroup(server.process.pid, 'SIGKILL');
  }
  running.clear();
}

let handlersInstalled = false;

/** Makes sure Ctrl-C, SIGTERM and process exit take every started code-server down too. */
export function installExitHandlers(cleanup: () => Promise<void> = async () => {}): void {
  if (handlersInstalled) {
    return;
  }
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.log(`\nStopping (${signal})…`);
      void cleanup()
        .catch(() => undefined)
        .finally(() => {
          killAllSync();
          process.exit(130);
        });
    });
  }
}
