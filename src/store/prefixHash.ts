// Fingerprints of the part of a tracker file an import has read: "xxh64:" and the XXH64 of the
// file's first n bytes, in hex. A fingerprint only has to notice an edit or a replaced file, not
// resist an attacker: reading and hashing the 198 MB benchmark file takes about 60 ms with XXH64
// (hash-wasm), against 163 ms with SHA-256.
//
// A re-import needs two: one of the length read last time (is that part unchanged?) and one of
// the length read this time. The hashing starts before either length is known (the command line
// starts it before it opens the database, whose loading leaves this thread mostly waiting) and
// keeps the hash's state after every whole chunk, so that any length costs at most one chunk
// more once the hashing has passed it.
import { type FileHandle, open, stat } from 'node:fs/promises';
import { createXXHash64, type IHasher } from 'hash-wasm';
import { chunkBuffer } from '../tracker/chunkBuffer';

const CHUNK_BYTES = 4 << 20;

export interface PrefixHasherOptions {
  /** Bytes between kept states (tests make it small). */
  chunkBytes?: number;
}

/** Answers "what is the fingerprint of the file's first n bytes?" for one file. */
export class PrefixHasher {
  /** states[i] is the saved hash state after the first i chunks. */
  private readonly states: Uint8Array[] = [];
  private readonly buffers: [Buffer, Buffer];
  /** Whole chunks the hashing should reach. */
  private wanted = 0;
  private hashing: Promise<boolean> | undefined;
  /** One digest at a time: they share the hasher that resumes a kept state. */
  private digests: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly running: IHasher,
    private readonly resumed: IHasher,
    private readonly chunkBytes: number,
  ) {
    // One allocation for both: each reserves address space (see chunkBuffer).
    const both = chunkBuffer(2 * chunkBytes);
    this.buffers = [both.subarray(0, chunkBytes), both.subarray(chunkBytes)];
    this.states.push(running.save());
  }

  /** Opens `path` and starts hashing it, as far as it is long now, while the caller goes on. */
  static async start(path: string, options: PrefixHasherOptions = {}): Promise<PrefixHasher> {
    const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    const file = await open(path, 'r');
    let hasher: PrefixHasher;
    let size: number;
    try {
      const [running, resumed] = await Promise.all([createXXHash64(), createXXHash64()]);
      hasher = new PrefixHasher(path, file, running.init(), resumed, chunkBytes);
      size = (await file.stat()).size;
    } catch (error) {
      await file.close();
      throw error;
    }
    // Ahead of any question: a failure here is met again, and reported, by the question.
    hasher.reach(Math.floor(size / chunkBytes)).catch(() => undefined);
    return hasher;
  }

  /** The fingerprint of the file's first `length` bytes. */
  digestAt(length: number): Promise<string> {
    const digest = this.digests.then(async () => {
      const whole = Math.floor(length / this.chunkBytes);
      await this.reach(whole);
      // Its own buffer: the hashing ahead may still be using both of the others.
      const rest = length - whole * this.chunkBytes;
      const tail = await this.readChunk(whole, Buffer.allocUnsafe(rest), rest);
      if (tail.length < rest) {
        throw this.shorterThan(length);
      }
      this.resumed.init();
      this.resumed.load(this.states[whole]);
      return `xxh64:${this.resumed.update(tail).digest('hex')}`;
    });
    this.digests = digest.catch(() => undefined);
    return digest;
  }

  /**
   * Whether `path` still names the file being hashed. When another file was renamed over it
   * since the hashing started, the states kept are of the old file.
   */
  async isFileAt(path: string): Promise<boolean> {
    const [held, named] = await Promise.all([this.file.stat(), stat(path).catch(() => undefined)]);
    return named !== undefined && named.dev === held.dev && named.ino === held.ino;
  }

  /** Stops the hashing and closes the file; later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.hashing?.catch(() => undefined);
    await this.file.close();
  }

  /** Resolves once the first `chunks` whole chunks are hashed; rejects if the file is shorter. */
  private async reach(chunks: number): Promise<void> {
    this.wanted = Math.max(this.wanted, chunks);
    while (this.states.length - 1 < chunks) {
      this.hashing ??= this.hashAhead().finally(() => (this.hashing = undefined));
      const metTheEnd = await this.hashing;
      if (metTheEnd && this.states.length - 1 < chunks) {
        throw this.shorterThan(chunks * this.chunkBytes);
      }
    }
  }

  /**
   * Hashes whole chunks until `wanted` are done, reading the next while it hashes this one.
   * Returns true when it stopped at the end of the file.
   */
  private async hashAhead(): Promise<boolean> {
    let index = this.states.length - 1;
    let reading = index < this.wanted ? this.readChunk(index, this.buffers[index % 2]) : undefined;
    try {
      while (reading && index < this.wanted) {
        const chunk = await reading;
        reading = undefined;
        if (this.closed) {
          throw new Error(`the hashing of ${this.path} was stopped`);
        }
        if (chunk.length < this.chunkBytes) {
          return true;
        }
        if (index + 1 < this.wanted) {
          reading = this.readChunk(index + 1, this.buffers[(index + 1) % 2]);
        }
        this.running.update(chunk);
        this.states.push(this.running.save());
        index++;
      }
      return false;
    } finally {
      // A read still going must end before the file can be closed.
      await reading?.catch(() => undefined);
    }
  }

  /** Reads chunk `index` (or its first `length` bytes) into `buffer`; short at the file's end. */
  private async readChunk(
    index: number,
    buffer: Buffer,
    length = this.chunkBytes,
  ): Promise<Buffer> {
    let filled = 0;
    while (filled < length) {
      const position = index * this.chunkBytes + filled;
      const { bytesRead } = await this.file.read(buffer, filled, length - filled, position);
      if (bytesRead === 0) {
        break;
      }
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }

  private shorterThan(length: number): Error {
    return new Error(`${this.path} became shorter than the ${length} bytes read before`);
  }
}
