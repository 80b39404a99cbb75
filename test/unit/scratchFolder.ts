// Temporary folders for tests, removed when the whole run ends (a root-level mocha hook), so a
// run leaves nothing behind in the system's temporary folder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];

/** A new empty folder named `<prefix><random>` in the system's temporary folder. */
export function scratchFolder(prefix: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(folder);
  return folder;
}

after(() => {
  for (const folder of made.splice(0)) {
    rmSync(folder, { recursive: true, force: true });
  }
});

/** Whether tests may mount a small file system of their own: root on Linux, as in CI. */
export const canMountDisk = process.platform === 'linux' && process.getuid?.() === 0;

/** Runs `work` on a new tmpfs of `size` (e.g. `1m`), a full disk in reach; unmounted after. */
export async function onSmallDisk<T>(size: string, work: (disk: string) => Promise<T>): Promise<T> {
  const disk = scratchFolder('small-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', disk]);
  try {
    return await work(disk);
  } finally {
    execFileSync('umount', [disk]);
  }
}
