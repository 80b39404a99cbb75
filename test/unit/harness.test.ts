import * as assert from 'node:assert/strict';
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
