import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chunkBuffer, type WasmMemoryConstructor } from '../../src/tracker/chunkBuffer';
import { scratchFolder } from './scratchFolder';

describe('chunkBuffer', () => {
  it('is exactly as long as asked and zero-filled, on and off the 64 KB page size', () => {
    for (const bytes of [1, 100, 65_536, 65_537, 4 << 20]) {
      const buffer = chunkBuffer(bytes);
      assert.equal(buffer.length, bytes);
      assert.equal(buffer.indexOf(1), -1);
      assert.ok(buffer.every((byte) => byte === 0));
    }
  });

  it('gives each caller memory of its own', () => {
    const [a, b] = [chunkBuffer(1000), chunkBuffer(1000)];
    a.fill(7);
    assert.ok(b.every((byte) => byte === 0));
  });

  it('takes a file read into it byte for byte', () => {
    const folder = scratchFolder('chunk-buffer-');
    try {
      const file = path.join(folder, 'data.bin');
      const data = randomBytes(200_000);
      writeFileSync(file, data);
      const buffer = chunkBuffer(65_536);
      const fd = openSync(file, 'r');
      const read: Buffer[] = [];
      try {
        for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) {
          read.push(Buffer.from(buffer.subarray(0, n)));
        }
      } finally {
        closeSync(fd);
      }
      assert.deepEqual(Buffer.concat(read), data);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('falls back to an ordinary buffer when WebAssembly memory is refused', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } })
      .WebAssembly;
    const memory = wasm.Memory;
    wasm.Memory = function refused() {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    } as unknown as WasmMemoryConstructor;
    try {
      const buffer = chunkBuffer(70_000);
      assert.equal(buffer.length, 70_000);
      assert.ok(buffer.every((byte) => byte === 0));
    } finally {
      wasm.Memory = memory;
    }
  });
});
