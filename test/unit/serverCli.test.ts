import * as assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { readKeyFile } from '../../src/server/signingKey';
import { verifyTrackedLink } from '../../src/server/trackedLink';
import { scratchFolder } from './scratchFolder';

const root = path.resolve(__dirname, '..', '..');

function cli(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['-r', 'esbuild-register', path.join(root, 'src/cli/main.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('link-tracking keygen, link and serve', function () {
  this.timeout(60_000);
  const folder = scratchFolder('server-cli-');
  const keyFile = path.join(folder, 'link.key');

  it('keygen writes an owner-only key and never overwrites without --force', async () => {
    assert.strictEqual(cli('keygen', '--key-file', keyFile).status, 0);
    assert.strictEqual(statSync(keyFile).mode & 0o777, 0o600);
    const first = readFileSync(keyFile, 'utf8');
    const again = cli('keygen', '--key-file', keyFile);
    assert.strictEqual(again.status, 1);
    assert.match(again.stderr, /link\.key: already exists.*--force/);
    assert.strictEqual(readFileSync(keyFile, 'utf8'), first);
    assert.strictEqual(cli('keygen', '--key-file', keyFile, '--force').status, 0);
    assert.notStrictEqual(readFileSync(keyFile, 'utf8'), first);
  });

  it('link prints one verifiable link; the link name defaults to the target', async () => {
    const key = await readKeyFile(keyFile);
    const result = cli(
      ...['link', '--key-file', keyFile, '--base-url', 'https://track.example.com/LinkTracking'],
      ...['--template', 'Spring', '--contact', '1042'],
      ...['--url', 'https://shop.example/search?fulltext=campus&amp;f[0]=themes:2'],
    );
    assert.strictEqual(result.status, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.strictEqual(lines.length, 1);
    const url = new URL(lines[0]);
    assert.strictEqual(url.origin + url.pathname, 'https://track.example.com/LinkTracking');
    const check = verifyTrackedLink(url.search.slice(1), key);
    assert.ok(check.ok);
    const target = 'https://shop.example/search?fulltext=campus&f[0]=themes:2';
    assert.deepStrictEqual(check.fields, {
      template: 'Spring',
      contactId: '1042',
      linkName: target,
      target,
    });
  });

  it('keygen, link and serve exit 2 for wrong usage', () => {
    assert.strictEqual(cli('keygen').status, 2, '--key-file is required');
    assert.strictEqual(cli('link', '--key-file', keyFile).status, 2, '--base-url is required');
    assert.strictEqual(cli('serve', '--folder', folder).status, 2, '--reg-name is required');
    const badPort = ['--reg-name', 'X', '--key-file', keyFile, '--port', 'abc'];
    assert.strictEqual(cli('serve', '--folder', folder, ...badPort).status, 2);
    assert.strictEqual(cli('keygen', '--help').status, 0);
  });

  it('link exits 1 with a clear message for a target that is not http(s)', () => {
    const result = cli(
      ...['link', '--key-file', keyFile, '--base-url', 'https://t.example/LinkTracking'],
      ...['--template', 'T', '--contact', '1', '--url', 'javascript:alert(1)'],
    );
    assert.strictEqual(result.status, 1);
    assert.strictEqual(result.stdout, '');
    assert.match(
      result.stderr,
      /Only http and https links can be tracked: "javascript:alert\(1\)"/,
    );
  });

  it('serve refuses a missing or bad key file, naming it', () => {
    const base = ['serve', '--folder', folder, '--reg-name', 'ABC Ltd', '--port', '0'];
    const missing = cli(...base, '--key-file', path.join(folder, 'none.key'));
    assert.strictEqual(missing.status, 1);
    assert.match(missing.stderr, /none\.key: cannot read the key file/);
    writeFileSync(path.join(folder, 'bad.key'), 'not a key\n');
    const bad = cli(...base, '--key-file', path.join(folder, 'bad.key'));
    assert.strictEqual(bad.status, 1);
    assert.match(bad.stderr, /bad\.key: not a link signing key/);
  });

  it('serve names the port when it is in use, and rejects a bad port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as net.AddressInfo).port);
    try {
      const args = ['serve', '--folder', folder, '--reg-name', 'ABC Ltd', '--key-file', keyFile];
      const inUse = cli(...args, '--port', port);
      assert.strictEqual(inUse.status, 1);
      assert.match(inUse.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      const badPort = cli(...args, '--port', '99999');
      assert.notStrictEqual(badPort.status, 0);
      assert.match(badPort.stderr, /--port.*not a port number/);
    } finally {
      blocker.close();
    }
  });
});
