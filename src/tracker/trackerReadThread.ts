// Reads a large tracker file in a worker thread, so that whoever consumes the entries (the
// importer's inserts) works on the main thread at the same time as the file is being read.
// Small files, and a missing worker script, are read on the calling thread.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { TrackerEntry } from './trackerEntry';
import { readTrackerFile, type ReadFileOptions, type ReadResult } from './trackerReader';

/**
 * Entries as they cross the thread boundary: as objects, copying them would cost the receiving
 * thread about as much as reading them did; packed, the arrays move without a copy.
 */
export interface PackedTrackerEntries {
  /** line, column of each entry. */
  positions: Int32Array;
  /** The length in `texts` of each text field of each entry, in TEXT_FIELDS order. */
  lengths: Int32Array;
  /** Every text field, concatenated in entry and field order. */
  texts: string;
}

const TEXT_FIELDS = ['template', 'contactId', 'linkName', 'date', 'time'] as const;
const FIELDS = TEXT_FIELDS.length;

export function packTrackerEntries(entries: readonly TrackerEntry[]): PackedTrackerEntries {
  const positions = new Int32Array(entries.length * 2);
  const lengths = new Int32Array(entries.length * FIELDS);
  const texts: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    positions[i * 2] = entry.line;
    positions[i * 2 + 1] = entry.column;
    for (let f = 0; f < FIELDS; f++) {
      const value = entry[TEXT_FIELDS[f]];
      lengths[i * FIELDS + f] = value.length;
      texts.push(value);
    }
  }
  return { positions, lengths, texts: texts.join('') };
}

export function unpackTrackerEntries(packed: PackedTrackerEntries): TrackerEntry[] {
  const { positions, lengths, texts } = packed;
  const entries: TrackerEntry[] = new Array(positions.length / 2);
  let offset = 0;
  const next = (index: number) => {
    const value = texts.slice(offset, offset + lengths[index]);
    offset += lengths[index];
    return value;
  };
  for (let i = 0; i < entries.length; i++) {
    const base = i * FIELDS;
    // In TEXT_FIELDS order.
    const template = next(base);
    const contactId = next(base + 1);
    const linkName = next(base + 2);
    const date = next(base + 3);
    const time = next(base + 4);
    entries[i] = {
      template,
      contactId,
      linkName,
      date,
      time,
      line: positions[i * 2],
      column: positions[i * 2 + 1],
    };
  }
  return entries;
}

/** What the worker is given to read (the callbacks stay on the calling thread). */
export interface ReadRequest {
  path: string;
  options: Omit<ReadFileOptions, 'onEntries' | 'onProgress' | 'signal'>;
}

/** What the worker sends back, in this order: entries and progress, then done or failed. */
export type ReadMessage =
  | { type: 'entries'; packed: PackedTrackerEntries }
  | { type: 'progress'; bytesRead: number; totalBytes: number }
  | { type: 'done'; result: ReadResult }
  | { type: 'failed'; message: string };

/** Batches of entries the worker may send ahead of the ones handled (it then waits). */
export const BATCHES_AHEAD = 3;

/** What the calling thread answers once it has handled a batch of entries. */
export const BATCH_HANDLED = 'handled';

export interface ThreadOptions {
  /** The bundled worker (dist/trackerReadWorker.js); without it the file is read inline. */
  workerScript?: string;
  /** Fewer bytes to read than this are read inline: starting a thread costs more. */
  inlineBelow?: number;
}

const DEFAULT_INLINE_BELOW = 1 << 20;

/**
 * readTrackerFile, with the reading done in a worker thread when the file is large. The
 * callbacks run on the calling thread, in order; cancelling through the signal stops the
 * worker and rejects with the signal's reason.
 */
export async function readTrackerFileInThread(
  path: string,
  options: ReadFileOptions & ThreadOptions,
): Promise<ReadResult> {
  const { workerScript, inlineBelow = DEFAULT_INLINE_BELOW, ...readOptions } = options;
  const { size } = await stat(path);
  if (
    workerScript === undefined ||
    !existsSync(workerScript) ||
    size - (options.startOffset ?? 0) < inlineBelow
  ) {
    return readTrackerFile(path, readOptions);
  }
  options.signal?.throwIfAborted();
  const { onEntries, onProgress, signal, ...rest } = readOptions;
  const request: ReadRequest = { path, options: rest };

  return new Promise<ReadResult>((resolve, reject) => {
    const worker = new Worker(workerScript, { workerData: request });
    let settled = false;
    const settle = (done: () => void) => {
      if (!settled) {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        void worker.terminate();
        done();
      }
    };
    const onAbort = () => settle(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: ReadMessage) => {
      if (settled) {
        return;
      }
      try {
        switch (message.type) {
          case 'entries': {
            // A consumer that throws or rejects (a full disk under SQLite, say) ends the read;
            // one that returns a promise is handed more only as it settles.
            const handled = onEntries(unpackTrackerEntries(message.packed));
            if (handled) {
              handled.then(
                () => worker.postMessage(BATCH_HANDLED),
                (error: unknown) => settle(() => reject(error)),
              );
            } else {
              worker.postMessage(BATCH_HANDLED);
            }
            break;
          }
          case 'progress':
            onProgress?.(message.bytesRead, message.totalBytes);
            break;
          case 'done':
            settle(() => resolve(message.result));
            break;
          case 'failed':
            settle(() => reject(new Error(message.message)));
            break;
        }
      } catch (error) {
        settle(() => reject(error));
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`The thread reading ${path} stopped (exit code ${code}).`))),
    );
  });
}
