// Reads tracker files tolerantly: any writer, older versions, crashed appends. Bytes become
// text here (BOM, declared encoding); the rules for the text are the scanner's.
import { open } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { chunkBuffer } from './chunkBuffer';
import type { DateOrder, Problem, TrackerEntry } from './trackerEntry';
import type { EntryIssue } from './trackerFields';
import {
  type EntrySpan,
  type OpenAtMark,
  type ScanSummary,
  TrackerScanner,
} from './trackerScanner';

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
  /**
   * Bad entries (error, import continues), cut-off tail / missing root end (warning), in line
   * order. A refusal is not repeated here: it is in `refused`.
   */
  problems: Problem[];
  /** Set when nothing may be imported (not well-formed, DOCTYPE, undecodable). */
  refused?: Problem;
  /** Number of bad entries skipped. */
  invalid: number;
  encoding: TrackerEncoding;
  /**
   * Byte length of the prefix holding only complete entries (and the line break after the
   * last one): where a later read of the same, grown file can resume. 0 when there is none.
   * readTracker counts within the given bytes; readTrackerFile counts from the file's start.
   */
  completeBytes: number;
  /** 1-based line number at which byte `completeBytes` sits. */
  completeLines: number;
  /**
   * The elements open at `completeBytes`, outermost first: a later read of the tail from there
   * is given them as `openBefore`, so that it refuses what a read of the whole file refuses.
   */
  completeOpen: OpenAtMark[];
}

export interface ReadFileOptions extends ReadOptions {
  /** Read only the bytes from here on (the tail of a file read before). */
  startOffset?: number;
  /** With startOffset: the elements open there (ReadResult.completeOpen of the read before). */
  openBefore?: readonly OpenAtMark[];
  signal?: AbortSignal;
  /**
   * Receives the good entries in batches, in file order. When the result comes back with
   * `refused` set, the caller must discard everything it was handed (one transaction). A
   * promise returned here holds the reading before its next chunk (a consumer that is behind).
   */
  onEntries(entries: TrackerEntry[]): void | Promise<void>;
  onProgress?(bytesRead: number, totalBytes: number): void;
  /** Bytes read at a time; the default suits large files. */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 4 << 20;
const BATCH = 20_000;
const SNIFF_BYTES = 1024;

interface Sniffed {
  encoding: string;
  bomLength: number;
}

/** Picks the encoding: BOM first, then the caller's, then the XML declaration, else UTF-8. */
function sniffEncoding(head: Uint8Array, fallback: string | undefined): Sniffed {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: 'utf-8', bomLength: 3 };
  }
  if (head[0] === 0xff && head[1] === 0xfe) {
    return { encoding: 'utf-16le', bomLength: 2 };
  }
  if (head[0] === 0xfe && head[1] === 0xff) {
    return { encoding: 'utf-16be', bomLength: 2 };
  }
  if (fallback) {
    return { encoding: fallback, bomLength: 0 };
  }
  if (head[0] === 0x3c && head[1] === 0x00) {
    return { encoding: 'utf-16le', bomLength: 0 };
  }
  if (head[0] === 0x00 && head[1] === 0x3c) {
    return { encoding: 'utf-16be', bomLength: 0 };
  }
  const start = Buffer.from(head.subarray(0, SNIFF_BYTES)).toString('latin1');
  const declared =
    /^<\?xml[ \t\r\n][^>]*?encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z][\w.-]*)["']/.exec(start);
  // A declaration read as single bytes cannot truthfully claim a two-byte encoding.
  if (declared && !/^utf-?16/i.test(declared[1])) {
    return { encoding: declared[1], bomLength: 0 };
  }
  return { encoding: 'utf-8', bomLength: 0 };
}

const SINGLE_BYTE =
  /^(windows-125\d|windows-874|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic|x-user-defined)$/;

/** Bytes per text, to locate the resume point; undefined for multi-byte legacy encodings. */
function byteCounter(encoding: string): (text: string) => number | undefined {
  if (encoding === 'utf-8') {
    return (text) => Buffer.byteLength(text, 'utf8');
  }
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    return (text) => text.length * 2;
  }
  if (SINGLE_BYTE.test(encoding)) {
    return (text) => text.length;
  }
  return () => undefined;
}

function makeDecoder(encoding: string): TextDecoder | Problem {
  try {
    const unicode = /^utf-/i.test(encoding);
    return new TextDecoder(encoding, { fatal: unicode, ignoreBOM: true });
  } catch {
    return refusal(1, 1, `The file's encoding "${encoding}" is not supported`);
  }
}

/** Whether the reader can decode files in the encoding an XML declaration names. */
export function supportsEncoding(label: string): boolean {
  return makeDecoder(label) instanceof TextDecoder;
}

function refusal(line: number, column: number, message: string): Problem {
  return { line, column, severity: 'error', message };
}

/** Collects what the scanner finds into the parts of a ReadResult. */
class ResultBuilder {
  entries: TrackerEntry[] = [];
  problems: Problem[] = [];
  invalid = 0;

  readonly sink = {
    entry: (entry: TrackerEntry) => {
      this.entries.push(entry);
    },
    badEntry: (issues: EntryIssue[], span: EntrySpan) => {
      this.invalid++;
      this.problems.push(badEntryProblem(issues, span));
    },
  };

  result(summary: ScanSummary, encoding: string, byteBase: number, firstLine: number): ReadResult {
    const problems = this.problems;
    if (summary.cutOff) {
      const { name, start, zeroBytes } = summary.cutOff;
      const zeros = zeroBytes ? ' (the file ends in zero bytes, as a crash can leave it)' : '';
      const message = name
        ? `The last entry <${name}> (line ${start.line}) is cut off by the end of the ` +
          `file${zeros}; it was not imported`
        : zeroBytes
          ? `The file ends in zero bytes from line ${start.line}, as a crash can leave it; ` +
            'they were not read'
          : `The file ends inside unfinished markup (line ${start.line}); it was not read`;
      problems.push({ ...start, severity: 'warning', message, end: summary.end });
    } else if (summary.unclosed.length > 0) {
      const tags = summary.unclosed
        .map((el) => `</${el.name}>`)
        .reverse()
        .join('');
      problems.push({
        ...summary.end,
        severity: 'warning',
        message: `The file ends without the end tag ${tags}; all complete entries were read`,
        end: summary.end,
      });
    }
    const resumable = summary.completeChars > 0 && summary.completeBytes !== undefined;
    const result: ReadResult = {
      entries: this.entries,
      problems,
      invalid: this.invalid,
      encoding,
      completeBytes: resumable ? byteBase + summary.completeBytes! : 0,
      completeLines: resumable ? summary.completeLine : firstLine,
      completeOpen: summary.completeOpen,
    };
    if (summary.refused) {
      const { start, end, message } = summary.refused;
      result.refused = { ...start, severity: 'error', message, end };
      result.entries = [];
      result.completeBytes = 0;
      result.completeLines = firstLine;
    }
    return result;
  }
}

function badEntryProblem(issues: EntryIssue[], span: EntrySpan): Problem {
  const first = issues[0];
  const at = first?.field ?? { start: span.start, end: span.startTagEnd };
  const reasons = issues.map((issue) => issue.message).join('; ');
  return {
    ...at.start,
    end: at.end,
    severity: 'error',
    message: `Entry <${span.name}> skipped: ${reasons}`,
  };
}

/** Line and column of a byte that could not be decoded, counted in the bytes before it. */
function locateByte(
  bytes: Uint8Array,
  from: number,
  at: number,
  firstLine: number,
  fileOffset = at,
): Problem {
  let line = firstLine;
  let lineStart = from;
  for (let k = from; k < at; k++) {
    if (bytes[k] === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  const column = Buffer.from(bytes.subarray(lineStart, at)).toString('utf8').length + 1;
  const message = `The file is not valid text in its encoding at byte ${fileOffset}`;
  return refusal(line, column, message);
}

/** Index of the first byte that does not start a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length;) {
    const b = bytes[k];
    if (b < 0x80) {
      k++;
      continue;
    }
    const trailing =
      b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : 0;
    if (trailing === 0 || k + trailing >= bytes.length) {
      return k;
    }
    for (let n = 1; n <= trailing; n++) {
      if ((bytes[k + n] & 0xc0) !== 0x80) {
        return k;
      }
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    const b1 = bytes[k + 1];
    if (
      (b === 0xe0 && b1 < 0xa0) ||
      (b === 0xed && b1 >= 0xa0) ||
      (b === 0xf0 && b1 < 0x90) ||
      (b === 0xf4 && b1 >= 0x90)
    ) {
      return k;
    }
    k += trailing + 1;
  }
  return -1;
}

export type DecodedTracker =
  | { ok: true; text: string; encoding: string; bomLength: number }
  | { ok: false; problem: Problem; encoding: string };

/**
 * The text of a tracker file held in memory, decoded the way the reader decodes it (BOM, then
 * the caller's encoding, then the XML declaration, else UTF-8), or the problem that stops it.
 */
export function decodeTracker(
  bytes: Uint8Array,
  options: { encoding?: TrackerEncoding; firstLine?: number } = {},
): DecodedTracker {
  const sniffed = sniffEncoding(bytes, options.encoding);
  const decoder = makeDecoder(sniffed.encoding);
  if (!(decoder instanceof TextDecoder)) {
    return { ok: false, problem: decoder, encoding: sniffed.encoding };
  }
  const body = bytes.subarray(sniffed.bomLength);
  let text: string;
  try {
    // Streaming mode on purpose: Node 20's one-shot decode reads windows-1252 as latin1
    // (0x80-0x9F such as the euro sign come out as control characters); streaming does not.
    text = decoder.decode(body, { stream: true });
  } catch {
    const at = decoder.encoding === 'utf-8' ? firstInvalidUtf8(body) : body.length - 1;
    const problem = locateByte(body, 0, Math.max(0, at), options.firstLine ?? 1);
    return { ok: false, problem, encoding: decoder.encoding };
  }
  text += endOfText(decoder);
  return { ok: true, text, encoding: decoder.encoding, bomLength: sniffed.bomLength };
}

/**
 * What the decoder still holds at the end of the file. Bytes of a character that the end cuts
 * in two (a crash mid-write) are dropped: the text then ends cut off, which the scanner reports
 * with the entry it cuts, and the complete entries before it are kept.
 */
function endOfText(decoder: TextDecoder): string {
  try {
    return decoder.decode();
  } catch {
    return '';
  }
}

/** Reads a whole tracker file held in memory. */
export function readTracker(bytes: Uint8Array, options: ReadOptions): ReadResult {
  const firstLine = options.firstLine ?? 1;
  const decoded = decodeTracker(bytes, options);
  if (!decoded.ok) {
    return refusedResult(decoded.problem, decoded.encoding, firstLine);
  }
  const builder = new ResultBuilder();
  const scanner = new TrackerScanner(
    {
      dateOrder: options.dateOrder,
      firstLine,
      tail: firstLine > 1,
      byteLength: byteCounter(decoded.encoding),
    },
    builder.sink,
  );
  scanner.push(decoded.text, true);
  return builder.result(scanner.finish(), decoded.encoding, decoded.bomLength, firstLine);
}

function refusedResult(problem: Problem, encoding: string, firstLine: number): ReadResult {
  return {
    entries: [],
    problems: [],
    refused: problem,
    invalid: 0,
    encoding,
    completeBytes: 0,
    completeLines: firstLine,
    completeOpen: [],
  };
}

/**
 * Large files with bounded memory: streams the file, hands entries to onEntries in batches,
 * reports progress in bytes and honours the AbortSignal (rejecting with its reason). The
 * result's entries are [] (they went to onEntries).
 */
export async function readTrackerFile(path: string, options: ReadFileOptions): Promise<ReadResult> {
  const handle = await open(path, 'r');
  try {
    return await readOpenFile(handle, options);
  } finally {
    await handle.close();
  }
}

type FileHandle = Awaited<ReturnType<typeof open>>;

async function readOpenFile(handle: FileHandle, options: ReadFileOptions): Promise<ReadResult> {
  const info = await handle.stat();
  const totalBytes = info.size;
  const startOffset = options.startOffset ?? 0;
  const firstLine = options.firstLine ?? 1;
  if (!info.isFile()) {
    // A pipe (`import /dev/stdin`) or a device has no size to read to: it would look empty.
    const message =
      'It is not a regular file (a pipe, a device or a folder); save the tracker file and import that';
    const problem: Problem = { line: firstLine, column: 1, severity: 'error', message };
    return refusedResult(problem, options.encoding ?? 'utf-8', firstLine);
  }
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK);
  const tail = startOffset > 0 || firstLine > 1;
  options.signal?.throwIfAborted();

  // The head decides the encoding: read enough of it even when chunks are tiny (tests).
  const headLength = Math.max(
    0,
    Math.min(Math.max(chunkSize, SNIFF_BYTES), totalBytes - startOffset),
  );
  const chunkLength = Math.min(chunkSize, Math.max(1, totalBytes));
  // One buffer holds the head, then each chunk: the head is decoded before the first chunk
  // is read over it.
  const buffer = chunkBuffer(Math.max(headLength, chunkLength));
  let position = startOffset;
  // The file may have shrunk since its size was taken: only what was read is text.
  const head = buffer.subarray(0, (await handle.read(buffer, 0, headLength, position)).bytesRead);
  position += head.length;
  const sniffed = sniffEncoding(head, tail ? (options.encoding ?? 'utf-8') : options.encoding);
  const decoder = makeDecoder(sniffed.encoding);
  if (!(decoder instanceof TextDecoder)) {
    return refusedResult(decoder, sniffed.encoding, firstLine);
  }

  const builder = new ResultBuilder();
  const scanner = new TrackerScanner(
    {
      dateOrder: options.dateOrder,
      firstLine,
      tail,
      openBefore: options.openBefore,
      byteLength: byteCounter(decoder.encoding),
    },
    builder.sink,
  );
  let delivered: void | Promise<void> = undefined;
  const flush = () => {
    if (builder.entries.length > 0 && !scanner.refused) {
      delivered = options.onEntries(builder.entries);
      builder.entries = [];
    }
  };
  builder.sink.entry = (entry) => {
    builder.entries.push(entry);
    if (builder.entries.length >= BATCH) {
      flush();
    }
  };

  const chunk = buffer.subarray(0, chunkLength);
  let bytes: Uint8Array = head.subarray(sniffed.bomLength);
  let bytesStart = startOffset + sniffed.bomLength;
  for (;;) {
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      return refusedResult(
        await locateBadByte(handle, decoder.encoding, startOffset, bytesStart, bytes, firstLine),
        decoder.encoding,
        firstLine,
      );
    }
    scanner.push(text);
    options.onProgress?.(position, totalBytes);
    if (scanner.refused) {
      break;
    }
    flush();
    await delivered;
    options.signal?.throwIfAborted();
    if (position >= totalBytes) {
      break;
    }
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) {
      break;
    }
    bytesStart = position;
    position += bytesRead;
    bytes = chunk.subarray(0, bytesRead);
  }

  if (!scanner.refused) {
    const text = endOfText(decoder);
    scanner.push(text, true);
  }
  const result = builder.result(
    scanner.finish(),
    decoder.encoding,
    startOffset + sniffed.bomLength,
    firstLine,
  );
  if (!result.refused && result.entries.length > 0) {
    options.onEntries(result.entries);
  }
  return { ...result, entries: [] };
}

/** Finds where decoding failed: re-reads from the start of the read up to the bad byte. */
async function locateBadByte(
  handle: FileHandle,
  encoding: string,
  startOffset: number,
  chunkStart: number,
  chunk: Uint8Array,
  firstLine: number,
): Promise<Problem> {
  let at = chunkStart + Math.max(0, chunk.length - 1);
  if (encoding === 'utf-8') {
    // Up to three bytes of a sequence may have started in the previous chunk.
    const back = Math.min(3, chunkStart - startOffset);
    const window = Buffer.alloc(back + chunk.length);
    await handle.read(window, 0, window.length, chunkStart - back);
    const k = firstInvalidUtf8(window);
    at = chunkStart - back + (k < 0 ? window.length : k);
  }

  // Count lines a block at a time: the bad byte may be far into a large file.
  const block = Buffer.alloc(Math.min(DEFAULT_CHUNK, Math.max(1, at - startOffset)));
  let line = firstLine;
  let lineStart = startOffset;
  for (let offset = startOffset; offset < at;) {
    const length = Math.min(block.length, at - offset);
    const { bytesRead } = await handle.read(block, 0, length, offset);
    if (bytesRead === 0) {
      break;
    }
    for (let k = block.indexOf(0x0a); k >= 0 && k < bytesRead; k = block.indexOf(0x0a, k + 1)) {
      line++;
      lineStart = offset + k + 1;
    }
    offset += bytesRead;
  }
  const lastLine = Buffer.alloc(at - lineStart);
  await handle.read(lastLine, 0, lastLine.length, lineStart);
  return locateByte(lastLine, 0, lastLine.length, line, at);
}
