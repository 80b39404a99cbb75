import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { xxhash64 } from 'hash-wasm';
import { PrefixHasher } from '../../src/store/prefixHash';
import { scratchFolder } from './scratchFolder';

describe('PrefixHasher', () => {
  const chunkBytes = 16;
  let folder: string;
  let file: string;
  let bytes: Buffer;

  beforeEach(() => {
    folder = scratchFolder('prefix-hash-');
    file = path.join(folder, 'Tracker_A.xml');
    bytes = randomBytes(5 * chunkBytes + 7);
    writeFileSync(file, bytes);
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const expected = async (data: Buffer) => `xxh64:${await xxhash64(data)}`;

  it('gives the XXH64 of the first n bytes for any n, asked in any order', async () => {
    const hasher = await PrefixHasher.start(file, { chunkBytes });
    try {
      // At, around and between chunk boundaries, the whole file, nothing; larger ones first.
      const lengths = [
        bytes.length,
        3 * chunkBytes + 1,
        0,
        chunkBytes,
        chunkBytes - 1,
        1,
        2 * chunkBytes,
      ];
      for (const length of lengths) {
        assert.equal(
          await hasher.digestAt(length),
          await expected(bytes.subarray(0, length)),
          `length ${length}`,
        );
      }
    } finally {
      await hasher.close();
    }
  });

  it('answers questions asked together, each with its own length', async () => {
    const hasher = await PrefixHasher.start(file, { chunkBytes });
    try {
      const lengths = [bytes.length, 17, 40, 5];
      const digests = await Promise.all(lengths.map((length) => hasher.digestAt(length)));
      const wanted = await Promise.all(
        lengths.map((length) => expected(bytes.subarray(0, length))),
      );
      assert.deepEqual(digests, wanted);
    } finally {
      await hasher.close();
    }
  });

  it('hashes on past the length the file had when it started, as the file grows', async () => {
    const hasher = await PrefixHasher.start(file, { chunkBytes });
    try {
      const more = randomBytes(4 * chunkBytes);
      appendFileSync(file, more);
      const grown = Buffer.concat([bytes, more]);
      assert.equal(await hasher.digestAt(grown.length), await expected(grown));
    } finally {
      await hasher.close();
    }
  });

  it('refuses a length past the end of the file, naming the file', async () => {
    const hasher = await PrefixHasher.start(file, { chunkBytes });
    try {
      await assert.rejects(hasher.digestAt(bytes.length + 1), /Tracker_A\.xml became shorter/);
      await assert.rejects(hasher.digestAt(bytes.length + 3 * chunkBytes), /became shorter/);
      // The hasher still answers for what the file does hold.
      assert.equal(await hasher.digestAt(bytes.length), await expected(bytes));
    } finally {
      await hasher.close();
    }
  });

  it('fails to start on a file that cannot be opened', async () => {
    await assert.rejects(PrefixHasher.start(path.join(folder, 'missing.xml')), /ENOENT/);
  });
});
