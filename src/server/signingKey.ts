// The secret key that signs tracked links: making one, and keeping it in an owner-only key file.
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile } from 'node:fs/promises';

export const KEY_BYTES = 32;

export class KeyFileError extends Error {}

export function generateSigningKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The text form of a key, as stored in key files and in VS Code's secret storage. */
export function encodeSigningKey(key: Buffer): string {
  return key.toString('base64url');
}

/** Parses the text form of a key; throws a KeyFileError naming `source` when it is not one. */
export function decodeSigningKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64url');
  if (key.length !== KEY_BYTES || key.toString('base64url') !== trimmed) {
    throw new KeyFileError(
      `${source}: not a link signing key (expected ${KEY_BYTES} bytes in base64url on one line)`,
    );
  }
  return key;
}

export async function readKeyFile(file: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new KeyFileError(`${file}: cannot read the key file (${(error as Error).message})`);
  }
  return decodeSigningKey(text, file);
}

/**
 * Writes `key` to `file`, readable and writable by its owner only. An existing file is never
 * replaced unless `overwrite` is set.
 */
export async function writeKeyFile(file: string, key: Buffer, overwrite = false): Promise<void> {
  let handle;
  try {
    handle = await open(file, overwrite ? 'w' : 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyFileError(
        `${file}: already exists; it is not replaced (use --force to replace it)`,
      );
    }
    throw new KeyFileError(`${file}: cannot write the key file (${(error as Error).message})`);
  }
  try {
    // The mode given to open() does not apply to a file that already existed.
    await chmod(file, 0o600);
    await handle.writeFile(`${encodeSigningKey(key)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
