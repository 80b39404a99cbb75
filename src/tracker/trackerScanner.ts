// Finds the entries of a tracker file in its decoded text, fed in pieces of any size, with the
// line and column of everything it reports. One scanner serves the importer (whole buffers and
// streamed files alike) and the editor's validation, so both apply the same rules.
//
// It checks well-formedness as it goes and is tolerant only where the tracker format needs it:
// several top-level elements (appended fragments), a missing root end tag, a last entry cut
// off by a crash, and (when reading the tail of a file) end tags whose start came before the
// tail. Document type declarations are refused outright, so no entity is ever expanded.
import { normaliseClickDateTime, trimXmlSpace } from './dateTime';
import type { DateOrder, Position, TrackerEntry } from './trackerEntry';
import {
  fieldKindOf,
  judgeEntry,
  type EntryIssue,
  type FieldKind,
  type RawField,
  type RawFields,
} from './trackerFields';

export interface ScanOptions {
  dateOrder: DateOrder;
  /** Line number of the first character (the tail of a file read before starts later). */
  firstLine?: number;
  /** The text is the tail of a file: end tags may close elements opened before it. */
  tail?: boolean;
  /** Collect value positions of good entries too (the editor needs them; the importer not). */
  spans?: boolean;
  /** Bytes the encoded form of a text takes, or undefined when it cannot be known. */
  byteLength?(text: string): number | undefined;
}

/** Where an entry and its values are in the text. */
export interface EntrySpan {
  name: string;
  start: Position;
  startTagEnd: Position;
  end: Position;
  fields: RawFields;
}

export interface ScanSink {
  entry(entry: TrackerEntry, span: EntrySpan | undefined): void;
  badEntry(issues: EntryIssue[], span: EntrySpan): void;
}

export type RefusalCode = 'not-well-formed' | 'doctype';

export interface Refusal {
  code: RefusalCode;
  message: string;
  start: Position;
  end: Position;
}

export interface ScanSummary {
  refused?: Refusal;
  /** The last entry, cut off by the end of the text. */
  cutOff?: { name: string; start: Position; zeroBytes: boolean };
  /** Elements still open at the end (outermost first), other than a cut-off entry. */
  unclosed: { name: string; start: Position }[];
  /** Position just past the last character. */
  end: Position;
  rootName?: string;
  /** Characters, bytes (undefined when unknown) and line number at the resume point. */
  completeChars: number;
  completeBytes: number | undefined;
  completeLine: number;
}

class ScanError extends Error {
  constructor(
    readonly index: number,
    message: string,
    readonly code: RefusalCode = 'not-well-formed',
    readonly length = 1,
    /** Where it is, when that was worked out before the scan moved on. */
    readonly at?: Position,
  ) {
    super(message);
  }
}

interface OpenElement {
  name: string;
  start: Position;
  startTagEnd: Position;
  /** Global character offset of the content (just after the start tag). */
  contentStart: number;
  fields: RawFields;
  fieldCount: number;
  conflicts: FieldKind[];
  hasChildElement: boolean;
  /** An entry was found inside: this is a container (a root with header attributes, say). */
  containsEntry: boolean;
  text: string;
}

const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF' +
  '\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME = `[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040]*`;
const S = '[ \\t\\r\\n]';
const ATTRIBUTE = `${NAME}${S}*=${S}*(?:"[^<"]*"|'[^<']*')`;

// XML name characters include combining marks on purpose.
/* eslint-disable no-misleading-character-class */
const START_TAG = new RegExp(`<(${NAME})((?:${S}+${ATTRIBUTE})*)${S}*(/?)>`, 'y');
const END_TAG = new RegExp(`</(${NAME})${S}*>`, 'y');
const ATTRIBUTES = new RegExp(`(${NAME})${S}*=${S}*(?:"([^<"]*)"|'([^<']*)')`, 'g');
const NAME_AT = new RegExp(NAME, 'y');
const XML_DECLARATION = new RegExp(
  `<\\?xml${S}+version${S}*=${S}*(?:"1\\.[0-9]+"|'1\\.[0-9]+')` +
    `(?:${S}+encoding${S}*=${S}*(?:"[A-Za-z][\\w.-]*"|'[A-Za-z][\\w.-]*'))?` +
    `(?:${S}+standalone${S}*=${S}*(?:"(?:yes|no)"|'(?:yes|no)'))?${S}*\\?>`,
  'y',
);
/* eslint-enable no-misleading-character-class */
const SPACE_AT = new RegExp(`${S}*`, 'y');
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/y;
// eslint-disable-next-line no-control-regex
const ILLEGAL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// The canonical entry the server writes, matched whole so that a large file of them is read
// without the general tokenizer. Values hold no markup or line break; anything else (and any
// entry that is not good) goes through the general path, which has the positions for reports.
// The writer escapes '>', so excluding it keeps ']]>' out; references are resolved after.
const VALUE = '([^<>\\r\\n\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]*)';
const CANONICAL_SOURCE =
  `<Click>\\r?\\n[ \\t]*<EmailTemplate>${VALUE}</EmailTemplate>\\r?\\n` +
  `[ \\t]*<ContactID>${VALUE}</ContactID>\\r?\\n[ \\t]*<LinkName>${VALUE}</LinkName>\\r?\\n` +
  `[ \\t]*<Date>${VALUE}</Date>\\r?\\n[ \\t]*<Time>${VALUE}</Time>\\r?\\n[ \\t]*</Click>`;
const CANONICAL_ENTRY = new RegExp(CANONICAL_SOURCE, 'y');
const CANONICAL_ENTRY_WITH_INDICES = new RegExp(CANONICAL_SOURCE, 'yd');
const CANONICAL_FIELDS: { kind: FieldKind; name: string }[] = [
  { kind: 'template', name: 'EmailTemplate' },
  { kind: 'contactId', name: 'ContactID' },
  { kind: 'linkName', name: 'LinkName' },
  { kind: 'date', name: 'Date' },
  { kind: 'time', name: 'Time' },
];
const CANONICAL_LINES = 6;

/** Keep at most this much text waiting for the end of one construct. */
const MAX_CONSTRUCT = 1 << 20;

export class TrackerScanner {
  private buf = '';
  /** Global character offset of buf[0]. */
  private bufStart = 0;
  private i = 0;
  private final = false;

  // Line counting, in buf indices; positions are asked for in text order only.
  private line: number;
  private lineStart = 0;
  private counted = 0;
  private nextNewline = -1;
  private newlineSearchedTo = 0;
  private hasCR = false;

  private readonly stack: OpenElement[] = [];
  private readonly entryNames = new Set<string>();
  private entryDepth: number | undefined;
  private rootName: string | undefined;
  private strayEndTag: { at: Position; name: string } | undefined;
  private partialAt: number | undefined;
  private zeroTail = false;
  private refusal: Refusal | undefined;

  // The resume point: just past the last complete entry (and its line break).
  private completeLocal: number | undefined;
  private completePending = false;
  private completeLine: number;
  private completeGlobal = 0;
  private completeBytes: number | undefined = 0;
  private compactedBytes: number | undefined = 0;

  constructor(
    private readonly options: ScanOptions,
    private readonly sink: ScanSink,
  ) {
    this.line = options.firstLine ?? 1;
    this.completeLine = this.line;
  }

  get refused(): Refusal | undefined {
    return this.refusal;
  }

  /** Feeds the next piece of text; `final` when it is the last. */
  push(text: string, final = false): void {
    if (this.refusal) {
      return;
    }
    if (!this.hasCR && text.includes('\r')) {
      this.hasCR = true;
    }
    this.compact();
    this.buf += text;
    this.final = final;
    try {
      this.resolveComplete();
      this.scan();
      this.resolveComplete();
    } catch (error) {
      if (!(error instanceof ScanError)) {
        throw error;
      }
      const start = error.at ?? this.pos(Math.max(error.index, this.counted));
      const end = { line: start.line, column: start.column + error.length };
      this.refusal = { code: error.code, message: error.message, start, end };
    }
  }

  /** Ends the text and says what was left open. */
  finish(): ScanSummary {
    if (!this.final && !this.refusal) {
      this.push('', true);
    }
    const end = this.refusal ? this.refusal.start : this.pos(this.buf.length);
    this.resolveComplete();
    if (this.completeLocal !== undefined) {
      this.settleCompleteBytes(this.completeLocal);
    }
    const summary: ScanSummary = {
      refused: this.refusal,
      unclosed: [],
      end,
      rootName: this.rootName,
      completeChars: this.completeGlobal,
      completeBytes: this.completeBytes,
      completeLine: this.completeLine,
    };
    if (this.refusal) {
      return summary;
    }

    const cutIndex = this.stack.findIndex(
      (el, depth) =>
        this.entryNames.has(el.name) ||
        depth === this.entryDepth ||
        (this.entryDepth === undefined && el.fieldCount > 0),
    );
    if (cutIndex >= 0) {
      const { name, start } = this.stack[cutIndex];
      summary.cutOff = { name, start, zeroBytes: this.zeroTail };
    } else if (this.partialAt !== undefined) {
      summary.cutOff = { name: '', start: this.pos(this.partialAt), zeroBytes: this.zeroTail };
    }
    const containers = cutIndex >= 0 ? this.stack.slice(0, cutIndex) : this.stack;
    summary.unclosed = containers.map((el) => ({ name: el.name, start: el.start }));
    return summary;
  }

  // ---- positions -------------------------------------------------------------------------

  private pos(index: number): Position {
    this.countTo(index);
    return { line: this.line, column: index - this.lineStart + 1 };
  }

  private countTo(index: number): void {
    if (index <= this.counted) {
      return;
    }
    const buf = this.buf;
    if (this.hasCR) {
      for (let k = this.counted; k < index; k++) {
        const c = buf.charCodeAt(k);
        if (c === 10 || (c === 13 && buf.charCodeAt(k + 1) !== 10)) {
          this.line++;
          this.lineStart = k + 1;
        }
      }
    } else {
      if (this.nextNewline < this.counted) {
        this.findNewline(this.counted);
      }
      while (this.nextNewline >= 0 && this.nextNewline < index) {
        this.line++;
        this.lineStart = this.nextNewline + 1;
        this.findNewline(this.lineStart);
      }
    }
    this.counted = index;
  }

  private findNewline(from: number): void {
    if (this.nextNewline === -1 && from < this.newlineSearchedTo) {
      from = this.newlineSearchedTo;
    }
    this.nextNewline = this.buf.indexOf('\n', from);
    this.newlineSearchedTo = this.buf.length;
  }

  /** Drops text that no later report can need. */
  private compact(): void {
    let cut = Math.min(this.i, this.counted);
    if (this.completePending && this.completeLocal !== undefined) {
      cut = Math.min(cut, this.completeLocal);
    }
    const leaf = this.stack[this.stack.length - 1];
    if (leaf && !leaf.hasChildElement) {
      cut = Math.min(cut, leaf.contentStart - this.bufStart);
    }
    if (cut < 1 << 16 && cut < this.buf.length / 2) {
      return;
    }
    if (!this.completePending && this.completeLocal !== undefined && this.completeLocal <= cut) {
      this.settleCompleteBytes(this.completeLocal);
    }
    const dropped = this.buf.slice(0, cut);
    const bytes = this.byteLength(dropped);
    this.compactedBytes =
      this.compactedBytes === undefined || bytes === undefined
        ? undefined
        : this.compactedBytes + bytes;
    this.buf = this.buf.slice(cut);
    this.bufStart += cut;
    this.i -= cut;
    this.counted -= cut;
    this.lineStart -= cut;
    this.nextNewline = this.nextNewline < 0 ? -1 : this.nextNewline - cut;
    this.newlineSearchedTo = Math.max(0, this.newlineSearchedTo - cut);
    if (this.completeLocal !== undefined) {
      this.completeLocal -= cut;
    }
    if (this.partialAt !== undefined) {
      this.partialAt -= cut;
    }
  }

  private byteLength(text: string): number | undefined {
    return this.options.byteLength ? this.options.byteLength(text) : text.length;
  }

  private markComplete(endIndex: number, endLine: number): void {
    this.completeLocal = endIndex;
    this.completeLine = endLine;
    this.completePending = true;
  }

  /** Extends the resume point over the line break after the entry, once that is in view. */
  private resolveComplete(): void {
    if (!this.completePending || this.completeLocal === undefined) {
      return;
    }
    const buf = this.buf;
    let k = this.completeLocal;
    while (buf.charCodeAt(k) === 32 || buf.charCodeAt(k) === 9) {
      k++;
    }
    if (k >= buf.length && !this.final) {
      return;
    }
    if (buf.charCodeAt(k) === 13) {
      k++;
      if (k >= buf.length && !this.final) {
        return;
      }
    }
    if (buf.charCodeAt(k) === 10 || buf.charCodeAt(k - 1) === 13) {
      this.completeLocal = buf.charCodeAt(k) === 10 ? k + 1 : k;
      this.completeLine++;
    }
    this.completePending = false;
  }

  private settleCompleteBytes(local: number): void {
    this.completeGlobal = this.bufStart + local;
    const bytes = this.byteLength(this.buf.slice(0, local));
    this.completeBytes =
      this.compactedBytes === undefined || bytes === undefined
        ? undefined
        : this.compactedBytes + bytes;
    this.completeLocal = undefined;
  }

  // ---- tokenizing ------------------------------------------------------------------------

  private scan(): void {
    const buf = this.buf;
    const len = buf.length;
    while (this.i < len) {
      const i = this.i;
      if (buf.charCodeAt(i) !== 60 /* < */) {
        const afterSpace = this.skipSpaceBetweenElements(i);
        if (afterSpace !== i) {
          this.i = afterSpace;
          continue;
        }
        if (!this.text(i)) {
          return;
        }
        continue;
      }
      if (this.strayEndTag && !this.options.tail && buf.charCodeAt(i + 1) !== 47) {
        this.checkAfterStrayEndTag(i);
      }
      const next = buf.charCodeAt(i + 1);
      let done: boolean;
      if (next === 33 /* ! */) {
        done = this.markupDeclaration(i);
      } else if (next === 63 /* ? */) {
        done = this.processingInstruction(i);
      } else if (next === 47 /* / */) {
        done = this.endTag(i);
      } else if (next === 67 /* C */ && this.canonicalEntry(i)) {
        done = true;
      } else {
        done = this.startTag(i);
      }
      if (!done) {
        return;
      }
    }
  }

  /** Skips the indentation between child elements, the commonest text of all. */
  private skipSpaceBetweenElements(i: number): number {
    const top = this.stack[this.stack.length - 1];
    if (!top || !top.hasChildElement) {
      return i;
    }
    const buf = this.buf;
    let k = i;
    for (let c = buf.charCodeAt(k); c === 32 || c === 10 || c === 9 || c === 13;) {
      c = buf.charCodeAt(++k);
    }
    // Stop short of the end of the text: it may continue in the next piece.
    return k < buf.length ? k : i;
  }

  /** Marks where the text ran out inside a construct; true when more text may complete it. */
  private waitOrCutOff(i: number): boolean {
    if (this.final) {
      this.partialAt = i;
      this.i = this.buf.length;
      return false;
    }
    if (this.buf.length - i > MAX_CONSTRUCT) {
      throw new ScanError(i, 'Markup is not closed within 1 MB');
    }
    return false;
  }

  private checkAfterStrayEndTag(i: number): void {
    const stray = this.strayEndTag;
    if (stray && this.buf.startsWith('<!--', i) === false && this.buf.charCodeAt(i + 1) !== 63) {
      throw new ScanError(
        i,
        `End tag </${stray.name}> has no start tag`,
        'not-well-formed',
        stray.name.length + 3,
        stray.at,
      );
    }
  }

  /** Character data up to the next '<'; false when the text ran out. */
  private text(i: number): boolean {
    const buf = this.buf;
    let end = buf.indexOf('<', i);
    let zeroFrom = -1;
    if (end < 0) {
      if (!this.final) {
        return this.waitOrCutOff(i);
      }
      end = buf.length;
      zeroFrom = zeroTailStart(buf, i);
      if (zeroFrom >= 0) {
        end = zeroFrom;
      }
    }
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      const nonSpace = buf.slice(i, end).search(/[^ \t\r\n]/);
      if (nonSpace >= 0) {
        throw new ScanError(i + nonSpace, 'Text outside any element');
      }
    } else if (!top.hasChildElement || !isSpace(buf, i, end)) {
      const value = this.decodeText(i, end);
      if (!top.hasChildElement && top.text.length < MAX_CONSTRUCT) {
        top.text += value;
      }
      if (end === buf.length && !isSpace(buf, i, end)) {
        this.partialAt = i;
      }
    }
    if (zeroFrom >= 0) {
      this.zeroTail = true;
      this.partialAt = zeroFrom;
      this.i = buf.length;
      return false;
    }
    this.i = end;
    return true;
  }

  /** Checks character data and resolves its references. */
  private decodeText(start: number, end: number, attribute = false): string {
    let raw = this.checkChars(start, end);
    if (attribute) {
      // Attribute values read line breaks and tabs as spaces (XML's value normalisation).
      if (/[\t\r\n]/.test(raw)) {
        raw = raw.replace(/\r\n|[\t\r\n]/g, ' ');
      }
    } else {
      const cdataEnd = raw.indexOf(']]>');
      if (cdataEnd >= 0) {
        throw new ScanError(start + cdataEnd, "']]>' is not allowed in text", undefined, 3);
      }
    }
    const resolved = resolveReferences(raw);
    if (typeof resolved !== 'string') {
      throw new ScanError(start + resolved.at, resolved.message, undefined, resolved.length);
    }
    return resolved;
  }

  /** The text between two indices, refused when it holds a character XML cannot carry. */
  private checkChars(start: number, end: number): string {
    const raw = this.buf.slice(start, end);
    const illegal = ILLEGAL_CHAR.exec(raw);
    if (illegal) {
      const code = illegal[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      throw new ScanError(start + illegal.index, `Character U+${code} is not allowed in XML`);
    }
    return raw;
  }

  private markupDeclaration(i: number): boolean {
    const buf = this.buf;
    if (buf.startsWith('<!--', i)) {
      const close = buf.indexOf('-->', i + 4);
      if (close < 0) {
        return this.waitOrCutOff(i);
      }
      const doubleHyphen = buf.indexOf('--', i + 4);
      if (doubleHyphen < close) {
        throw new ScanError(doubleHyphen, "'--' is not allowed inside a comment", undefined, 2);
      }
      this.checkChars(i + 4, close);
      this.i = close + 3;
      return true;
    }
    if (buf.startsWith('<![CDATA[', i)) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        throw new ScanError(i, 'CDATA section outside any element', undefined, 9);
      }
      const close = buf.indexOf(']]>', i + 9);
      if (close < 0) {
        return this.waitOrCutOff(i);
      }
      const raw = this.checkChars(i + 9, close);
      if (!top.hasChildElement && top.text.length < MAX_CONSTRUCT) {
        top.text += raw;
      }
      this.i = close + 3;
      return true;
    }
    if (buf.length - i < 9 && !this.final && '<!DOCTYPE'.startsWith(buf.slice(i))) {
      return false;
    }
    if (buf.startsWith('<!DOCTYPE', i)) {
      throw new ScanError(
        i,
        'Document type declarations (<!DOCTYPE>) are not accepted in tracker files: ' +
          'entities are never expanded',
        'doctype',
        9,
      );
    }
    if (buf.length - i < 9 && !this.final) {
      return false;
    }
    if (this.final && ('<!--'.startsWith(buf.slice(i)) || '<![CDATA['.startsWith(buf.slice(i)))) {
      return this.waitOrCutOff(i);
    }
    throw new ScanError(i, "Unexpected markup after '<!'", undefined, 2);
  }

  private processingInstruction(i: number): boolean {
    const buf = this.buf;
    const close = buf.indexOf('?>', i + 2);
    if (close < 0) {
      return this.waitOrCutOff(i);
    }
    NAME_AT.lastIndex = i + 2;
    const target = NAME_AT.exec(buf);
    if (!target) {
      throw new ScanError(i + 2, "Expected a name after '<?'");
    }
    const afterTarget = i + 2 + target[0].length;
    if (afterTarget !== close && !/[ \t\r\n]/.test(buf[afterTarget])) {
      throw new ScanError(afterTarget, `Expected white space after <?${target[0]}`);
    }
    if (target[0].toLowerCase() === 'xml') {
      if (target[0] !== 'xml') {
        throw new ScanError(i + 2, `The name ${target[0]} is reserved by XML`, undefined, 3);
      }
      if (this.bufStart + i !== 0) {
        const message = 'The XML declaration must be at the very start of the file';
        throw new ScanError(i, message, undefined, 5);
      }
      XML_DECLARATION.lastIndex = i;
      if (!XML_DECLARATION.test(buf)) {
        throw new ScanError(i, 'Malformed XML declaration', undefined, close + 2 - i);
      }
    }
    this.checkChars(i + 2, close);
    this.i = close + 2;
    return true;
  }

  private endTag(i: number): boolean {
    const buf = this.buf;
    END_TAG.lastIndex = i;
    const m = END_TAG.exec(buf);
    if (!m) {
      return this.badTag(i, true);
    }
    const name = m[1];
    const end = i + m[0].length;
    const el = this.stack.pop();
    if (!el) {
      // An end tag with no start: the tail of a file read before, or a file that lost its head.
      if (!this.options.tail) {
        this.strayEndTag ??= { at: this.pos(i), name };
      }
      this.i = end;
      return true;
    }
    if (el.name !== name) {
      throw new ScanError(
        i,
        `End tag </${name}> does not match the start tag <${el.name}> on line ${el.start.line}`,
        undefined,
        name.length + 3,
      );
    }
    this.closeElement(el, i, end);
    this.i = end;
    return true;
  }

  private startTag(i: number): boolean {
    const buf = this.buf;
    START_TAG.lastIndex = i;
    const m = START_TAG.exec(buf);
    if (!m) {
      return this.badTag(i, false);
    }
    const name = m[1];
    const end = i + m[0].length;
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.rootName ??= name;
    } else if (!parent.hasChildElement) {
      parent.hasChildElement = true;
      parent.text = '';
    }

    const start = this.pos(i);
    const el: OpenElement = {
      name,
      start,
      startTagEnd: start,
      contentStart: this.bufStart + end,
      fields: {},
      fieldCount: 0,
      conflicts: [],
      hasChildElement: false,
      containsEntry: false,
      text: '',
    };
    if (m[2]) {
      this.attributes(el, i + 1 + name.length, m[2]);
    }
    el.startTagEnd = this.pos(end);
    if (m[3]) {
      this.closeElement(el, end, end);
    } else {
      this.stack.push(el);
    }
    this.i = end;
    return true;
  }

  private attributes(el: OpenElement, offset: number, text: string): void {
    const seen = new Set<string>();
    ATTRIBUTES.lastIndex = 0;
    for (let m = ATTRIBUTES.exec(text); m; m = ATTRIBUTES.exec(text)) {
      const name = m[1];
      const at = offset + m.index;
      if (seen.has(name)) {
        throw new ScanError(at, `Attribute ${name} is repeated`, undefined, name.length);
      }
      seen.add(name);
      // The value ends just before the closing quote, which ends the match.
      const valueEnd = m.index + m[0].length - 1;
      const valueStart = valueEnd - (m[2] ?? m[3]).length;
      const value = this.decodeText(offset + valueStart, offset + valueEnd, true);
      const kind = fieldKindOf(name);
      if (kind) {
        this.addField(el, kind, name, value, offset + valueStart, offset + valueEnd);
      }
    }
  }

  private addField(
    el: OpenElement,
    kind: FieldKind,
    name: string,
    value: string,
    sourceStart: number,
    sourceEnd: number,
  ): void {
    const source = this.buf.slice(sourceStart, sourceEnd);
    const lead = source.length - source.replace(/^[ \t\r\n]+/, '').length;
    const trail = source.length - source.replace(/[ \t\r\n]+$/, '').length;
    const trimmedEnd = Math.max(sourceStart + lead, sourceEnd - trail);
    const field: RawField = {
      name,
      value,
      start: this.pos(sourceStart + lead),
      end: this.pos(trimmedEnd),
    };
    const existing = el.fields[kind];
    if (!existing) {
      el.fields[kind] = field;
      el.fieldCount++;
    } else if (
      trimXmlSpace(existing.value) !== trimXmlSpace(value) &&
      !el.conflicts.includes(kind)
    ) {
      el.conflicts.push(kind);
    }
  }

  /** Reports what is wrong with a tag the patterns did not match, or waits for more text. */
  private badTag(i: number, isEnd: boolean): boolean {
    const problem = diagnoseTag(this.buf, i, isEnd);
    if (problem === 'eof') {
      return this.waitOrCutOff(i);
    }
    if (zeroTailStart(this.buf, problem.index) === problem.index) {
      // Zero bytes up to the end of what has been read: wait to see whether more follow.
      this.zeroTail = this.final;
      return this.waitOrCutOff(i);
    }
    throw new ScanError(problem.index, problem.message);
  }

  private closeElement(el: OpenElement, endTagStart: number, endTagEnd: number): void {
    const parent = this.stack[this.stack.length - 1];
    const kind = el.hasChildElement || el.fieldCount > 0 ? undefined : fieldKindOf(el.name);
    if (kind && parent) {
      const contentStart = el.contentStart - this.bufStart;
      this.addField(parent, kind, el.name, el.text, contentStart, endTagStart);
    }

    if (el.containsEntry) {
      if (parent) {
        parent.containsEntry = true;
      }
      return;
    }
    const isEntry = el.fieldCount >= 2 || this.entryNames.has(el.name);
    if (!isEntry) {
      return;
    }
    if (parent) {
      parent.containsEntry = true;
    }
    this.entryNames.add(el.name);
    this.entryDepth = this.stack.length;
    const span: EntrySpan = {
      name: el.name,
      start: el.start,
      startTagEnd: el.startTagEnd,
      end: this.pos(endTagEnd),
      fields: el.fields,
    };
    const verdict = judgeEntry(el.name, el.start, el.fields, el.conflicts, this.options.dateOrder);
    if (verdict.ok) {
      this.sink.entry(verdict.entry, span);
    } else {
      this.sink.badEntry(verdict.issues, span);
    }
    this.markComplete(endTagEnd, span.end.line);
  }

  /** The fast path: one whole canonical entry with good values; false to take the slow one. */
  private canonicalEntry(i: number): boolean {
    const buf = this.buf;
    const pattern = this.options.spans ? CANONICAL_ENTRY_WITH_INDICES : CANONICAL_ENTRY;
    pattern.lastIndex = i;
    const m = pattern.exec(buf);
    if (!m) {
      return false;
    }
    const whole = m[0];
    const template = canonicalValue(m[1]);
    const contactId = canonicalValue(m[2]);
    const linkName = canonicalValue(m[3]);
    if (!template || !contactId || linkName === undefined) {
      return false;
    }
    const dateTime = normaliseClickDateTime(m[4], m[5], this.options.dateOrder);
    if (!dateTime.ok) {
      return false;
    }
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.rootName ??= 'Click';
    } else if (!parent.hasChildElement) {
      parent.hasChildElement = true;
      parent.text = '';
    }
    const start = this.pos(i);
    const end = i + whole.length;
    const entry: TrackerEntry = {
      template,
      contactId,
      linkName,
      date: dateTime.value.date,
      time: dateTime.value.time,
      line: start.line,
      column: start.column,
    };
    let span: EntrySpan | undefined;
    if (this.options.spans) {
      span = this.canonicalSpan(m, start, end);
    } else {
      // Every line break of the entry is one of the pattern's: count them without looking.
      this.line += CANONICAL_LINES;
      this.lineStart = i + whole.lastIndexOf('\n') + 1;
      this.counted = end;
    }
    if (parent) {
      parent.containsEntry = true;
    }
    this.entryNames.add('Click');
    this.entryDepth = this.stack.length;
    this.sink.entry(entry, span);
    this.markComplete(end, start.line + CANONICAL_LINES);
    this.i = end;
    return true;
  }

  private canonicalSpan(m: RegExpExecArray, start: Position, end: number): EntrySpan {
    const fields: RawFields = {};
    const indices = m.indices!;
    const startTagEnd = this.pos(m.index + '<Click>'.length);
    CANONICAL_FIELDS.forEach(({ kind, name }, n) => {
      const [from, to] = indices[n + 1]!;
      const value = m[n + 1];
      const lead = value.length - value.replace(/^[ \t]+/, '').length;
      const trail = value.length - value.replace(/[ \t]+$/, '').length;
      const resolved = resolveReferences(value);
      fields[kind] = {
        name,
        value: typeof resolved === 'string' ? resolved : value,
        start: this.pos(from + lead),
        end: this.pos(Math.max(from + lead, to - trail)),
      };
    });
    return { name: 'Click', start, startTagEnd, end: this.pos(end), fields };
  }
}

/**
 * Where the zero bytes begin when the text from `from` on is only zero bytes and white space
 * (what a crash can leave at the end of a file whose size grew before its data was written),
 * else -1.
 */
function zeroTailStart(buf: string, from: number): number {
  const zero = buf.indexOf('\0', from);
  if (zero < 0) {
    return -1;
  }
  for (let k = zero; k < buf.length; k++) {
    const c = buf.charCodeAt(k);
    if (c !== 0 && c !== 32 && c !== 10 && c !== 9 && c !== 13) {
      return -1;
    }
  }
  return zero;
}

/** Text with its character and entity references resolved, or what is wrong with one. */
function resolveReferences(raw: string): string | { at: number; message: string; length: number } {
  let amp = raw.indexOf('&');
  if (amp < 0) {
    return raw;
  }
  let out = '';
  let from = 0;
  while (amp >= 0) {
    out += raw.slice(from, amp);
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(raw);
    if (!m) {
      const name = /^&([^\s&;<]{1,40});/.exec(raw.slice(amp));
      const message = name
        ? `Unknown entity &${name[1]}; (only the five XML entities and &#...; are allowed)`
        : "'&' must be written as &amp;";
      return { at: amp, message, length: 1 };
    }
    const code = m[1] ? -1 : m[2] ? parseInt(m[2], 10) : parseInt(m[3], 16);
    if (code !== -1 && !isXmlChar(code)) {
      return { at: amp, message: `${m[0]} is not a character XML allows`, length: m[0].length };
    }
    out += m[1] ? PREDEFINED[m[1]] : String.fromCodePoint(code);
    from = amp + m[0].length;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

/** A canonical value with its references resolved; undefined sends the entry the slow way. */
function canonicalValue(raw: string): string | undefined {
  const resolved = raw.indexOf('&') < 0 ? raw : resolveReferences(raw);
  return typeof resolved === 'string' ? trimXmlSpace(resolved) : undefined;
}

function isSpace(buf: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = buf.charCodeAt(k);
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13) {
      return false;
    }
  }
  return true;
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function skipSpace(buf: string, j: number): number {
  SPACE_AT.lastIndex = j;
  SPACE_AT.exec(buf);
  return SPACE_AT.lastIndex;
}

/**
 * Walks a tag that the patterns rejected, to name the first thing wrong with it, or 'eof'
 * when the text ends before the tag does (a cut-off, or more text still to come).
 */
function diagnoseTag(
  buf: string,
  i: number,
  isEnd: boolean,
): 'eof' | { index: number; message: string } {
  let j = i + (isEnd ? 2 : 1);
  if (j >= buf.length) {
    return 'eof';
  }
  NAME_AT.lastIndex = j;
  const name = NAME_AT.exec(buf);
  if (!name) {
    return {
      index: j,
      message: isEnd
        ? "Expected an element name after '</'"
        : "'<' must start a tag; write &lt; for a literal '<'",
    };
  }
  j += name[0].length;
  if (j >= buf.length) {
    return 'eof';
  }
  if (isEnd) {
    j = skipSpace(buf, j);
    if (j >= buf.length) {
      return 'eof';
    }
    return { index: j, message: `Expected '>' to end the end tag </${name[0]}>` };
  }
  for (;;) {
    const before = j;
    j = skipSpace(buf, j);
    if (j >= buf.length) {
      return 'eof';
    }
    const c = buf[j];
    if (c === '/') {
      if (j + 1 >= buf.length) {
        return 'eof';
      }
      return { index: j + 1, message: "Expected '>' after '/'" };
    }
    if (c === '>') {
      return { index: j, message: `Malformed start tag <${name[0]}>` };
    }
    if (j === before) {
      return { index: j, message: 'Expected white space before an attribute' };
    }
    NAME_AT.lastIndex = j;
    const attr = NAME_AT.exec(buf);
    if (!attr) {
      return { index: j, message: `Expected an attribute name or '>' in <${name[0]}>` };
    }
    j = skipSpace(buf, j + attr[0].length);
    if (j >= buf.length) {
      return 'eof';
    }
    if (buf[j] !== '=') {
      return { index: j, message: `Expected '=' after attribute ${attr[0]}` };
    }
    j = skipSpace(buf, j + 1);
    if (j >= buf.length) {
      return 'eof';
    }
    const quote = buf[j];
    if (quote !== '"' && quote !== "'") {
      return { index: j, message: `The value of attribute ${attr[0]} must be in quotes` };
    }
    for (j++; j < buf.length && buf[j] !== quote; j++) {
      if (buf[j] === '<') {
        return { index: j, message: "'<' is not allowed in attribute values; write &lt;" };
      }
    }
    if (j >= buf.length) {
      return 'eof';
    }
    j++;
  }
}
