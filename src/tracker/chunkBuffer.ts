// Buffers that large files are read into, chunk by chunk.
//
// A read copies the file's cached pages into the buffer it is given, and on the machines this
// product is built and tested on (x86-64 Linux VMs) that copy ran about five times slower into
// a buffer that does not start on a 32-byte boundary: the 198 MB benchmark file read 4 MB at a
// time took 95-115 ms into Buffer.allocUnsafe (whose large blocks start 16 bytes into a page)
// and 18-21 ms into a page-aligned buffer. Node offers no aligned allocation, but WebAssembly
// memory always starts on a page boundary, so it serves as the backing store. Each one reserves
// about 10 GB of address space (not memory) until it is garbage collected, so callers ask for
// one buffer and share it out rather than ask for many.

/** WebAssembly memory grows in pages of 64 KB. */
const WASM_PAGE = 65_536;

/** The one part of the WebAssembly global used here (the ES2022 lib does not declare it). */
export interface WasmMemoryConstructor {
  new (descriptor: { initial: number }): { readonly buffer: ArrayBuffer };
}

function wasmMemory(): WasmMemoryConstructor {
  return (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } }).WebAssembly
    .Memory;
}

/** A zero-filled buffer of `bytes` that starts on a page boundary where the platform allows. */
export function chunkBuffer(bytes: number): Buffer {
  try {
    const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
    return Buffer.from(new (wasmMemory())({ initial: pages }).buffer, 0, bytes);
  } catch {
    // WebAssembly memory reserves address space: under a tight `ulimit -v` it can be refused.
    return Buffer.alloc(bytes);
  }
}
