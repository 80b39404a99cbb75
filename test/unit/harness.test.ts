import * as assert from 'node:assert/strict';
import { workbenchUrl } from '../../test/harness/browser';
import { checkRequirements } from '../../test/harness/codeServer';

describe('integration harness system requirements', () => {
  const present = { debianPackage: 'make', what: 'make on PATH', present: () => true };

  it('passes when everything is there', () => {
    assert.doesNotThrow(() => checkRequirements([present]));
  });

  it('names every missing Debian package and the command that installs them', () => {
    const missing = [
      { debianPackage: 'chromium', what: '/usr/bin/chromium', present: () => false },
      present,
      { debianPackage: 'libkrb5-dev', what: 'kerberos headers', present: () => false },
    ];
    assert.throws(
      () => checkRequirements(missing),
      (error: Error) => {
        assert.match(error.message, /Debian package 'chromium' \(needs \/usr\/bin\/chromium\)/);
        assert.match(error.message, /Debian package 'libkrb5-dev'/);
        assert.doesNotMatch(error.message, /'make'/);
        assert.match(error.message, /apt-get install -y chromium libkrb5-dev$/);
        return true;
      },
    );
  });
});

describe('integration harness workbench URL', () => {
  it('passes the extension and the tests as remote URIs in the payload', () => {
    const url = new URL(
      workbenchUrl('http://127.0.0.1:4567', '/tmp/ws dir', '/repo', '/repo/out/run/index.js'),
    );
    assert.equal(url.origin, 'http://127.0.0.1:4567');
    assert.equal(url.searchParams.get('folder'), '/tmp/ws dir');
    assert.deepEqual(JSON.parse(url.searchParams.get('payload')!), [
      ['extensionDevelopmentPath', 'vscode-remote://127.0.0.1:4567/repo'],
      ['extensionTestsPath', 'vscode-remote://127.0.0.1:4567/repo/out/run/index.js'],
    ]);
  });

  it('leaves the tests out when there are none (npm start)', () => {
    const url = new URL(workbenchUrl('http://127.0.0.1:8080', '/ws', '/repo'));
    assert.deepEqual(JSON.parse(url.searchParams.get('payload')!), [
      ['extensionDevelopmentPath', 'vscode-remote://127.0.0.1:8080/repo'],
    ]);
  });
});
