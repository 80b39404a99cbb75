// Reads tracker files tolerantly: any writer, older versions, crashed appends.
import type { DateOrder, Problem, TrackerEntry } from './trackerEntry';

export type TrackerEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | string;

export interface ReadOptions {
  dateOrder: DateOrder;
  /** Encoding of bytes with no BOM/declaration, e.g. the tail of a file read before. */
  encoding?: TrackerEncoding;
  /** 1-based line number of the first byte when reading a tail of a larger file. */
  firstLine?: number;
}

export interface ReadResult {
  /** Good entries in file order (duplicates within the file are NOT removed here). */
  entries: TrackerEntry[];
  /** Bad entries (error, import continues), cut-off tail / missing root end (warning). */
  problems: Problem[];
  /** Set when nothing may be imported (not well-formed, DOCTYPE, undecodable). */
  refused?: Problem;
  /** Number of bad entries skipped. */
  invalid: number;
  encoding: TrackerEncoding;
  /** Byte length of the prefix holding only complete entries: where a later read can resume. */
  completeBytes: number;
  /** 1-based line number at which byte `completeBytes` sits. */
  completeLines: number;
}

export interface ReadFileOptions extends ReadOptions {
  /** Read only the bytes from here on (the tail of a file read before). */
  startOffset?: number;
  signal?: AbortSignal;
  /**
   * Receives the good entries in batches, in file order. When the result comes back with
   * `refused` set, the caller must discard everything it was handed (one transaction).
   */
  onEntries(entries: TrackerEntry[]): void;
  onProgress?(bytesRead: number, totalBytes: number): void;
}

export function readTracker(bytes: Uint8Array, options: ReadOptions): ReadResult {
  void bytes;
  // TODO: filled in next commit
  return {
    entries: [],
    problems: [],
    refused: { line: 1, column: 1, severity: 'error', message: 'TODO: reader not implemented' },
    invalid: 0,
    encoding: options.encoding ?? 'utf-8',
    completeBytes: 0,
    completeLines: options.firstLine ?? 1,
  };
}

/** Large files with bounded memory: entries go to onEntries; the result's entries are []. */
export async function readTrackerFile(path: string, options: ReadFileOptions): Promise<ReadResult> {
  void path;
  return readTracker(new Uint8Array(0), options); // TODO: filled in next commit
}
