// Finds the entries of a tracker file in its decoded text, fed in pieces of any size, with the
// line and column of everything it reports. One scanner serves the importer (whole buffers and
// streamed files alike) and the editor's validation, so both apply the same rules.
//
// The XML itself is tokenised and checked by saxes; this module keeps the tracker rules on top
// and the text since the last markup, to locate what saxes reports by offset. saxes runs in
// fragment mode, so several top-level elements (appended fragments) are accepted; the scanner
// adds the other tolerances the tracker format needs: a missing root end tag and a last entry
// cut off by a crash (the input is never closed, the open elements are inspected instead), and
// (when reading the tail of a file) end tags whose start came before the tail. Document type
// declarations are refused as soon as they start, so no entity is ever expanded.
import { SaxesParser, type SaxesAttributePlain } from 'saxes';
import { trimXmlSpace } from './dateTime';
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
  /**
   * The elements open where the tail starts, outermost first (ScanSummary.completeOpen of the
   * read that stopped there). An end tag in the tail must then close the innermost of them, as
   * it would in a read of the whole file. Unknown (undefined), any end tag may close one.
   */
  openBefore?: readonly OpenAtMark[];
  /** Collect value positions of good entries too (the editor needs them; the importer not). */
  spans?: boolean;
  /** Bytes the encoded form of a text takes, or undefined when it cannot be known. */
  byteLength?(text: string): number | undefined;
}

/** An element open at the resume point, kept so that a later tail can be checked against it. */
export interface OpenAtMark {
  name: string;
  /** The line of its start tag, for messages. */
  line: number;
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
  /** The elements open at the resume point, outermost first (usually the root alone). */
  completeOpen: OpenAtMark[];
}

class ScanError extends Error {
  constructor(
    /** Index in the scanner's buffer. */
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
  /** Made on the first field: most elements are fields themselves, holding none. */
  fields: RawFields | undefined;
  fieldCount: number;
  conflicts: FieldKind[] | undefined;
  hasChildElement: boolean;
  /** An entry was found inside: this is a container (a root with header attributes, say). */
  containsEntry: boolean;
  text: string;
}

const NO_CONFLICTS: readonly FieldKind[] = [];

/** The start of a reference cut off by the end of the text. */
const REFERENCE_START = /^&(?:#x?[0-9a-fA-F]*|[A-Za-z_:][\w.:-]*)?$/;

/** Keep at most this much text waiting for the end of one construct. */
const MAX_CONSTRUCT = 1 << 20;

/**
 * What saxes reports, in the words of a tracker file's admin: the message, and how far before
 * saxes' position (just past the character it last read) the fault starts.
 */
const SAXES_ERRORS: [prefix: string, message: string, back: number, length?: number][] = [
  ['disallowed character in tag name.', 'Malformed start tag', 1],
  ['disallowed character in tag name', "'<' must start a tag; write &lt; for a literal '<'", 1],
  ['the string "]]>" is disallowed', "']]>' is not allowed in text", 3, 3],
  ['malformed comment.', "'--' is not allowed inside a comment", 3, 2],
  ['unquoted attribute value.', 'The value of an attribute must be in quotes', 1],
  ['no whitespace between attributes.', 'Expected white space before an attribute', 1],
  ['attribute without value.', "Expected '=' after an attribute name", 1],
  ['disallowed character in attribute name.', "Expected an attribute name or '>'", 1],
  ['forward-slash in opening tag not followed by >.', "Expected '>' after '/'", 1],
  ['weird empty close tag.', "Expected an element name after '</'", 1],
  ['processing instruction without a target.', "Expected a name after '<?'", 1],
];

type ParserOptions = { fragment: true; position: false; xmlns: false };

/**
 * saxes with the scanner's handlers. They are set while the parser is constructed: set later,
 * this many new properties turn the parser into a slow dictionary-mode object in V8 (measured
 * 4-6 times slower on a 10 MB file).
 */
class TrackerXmlParser extends SaxesParser<ParserOptions> {
  constructor(handlers: XmlHandlers) {
    super({ fragment: true, position: false, xmlns: false });
    this.on('opentagstart', handlers.openTagStart);
    this.on('attribute', handlers.attribute);
    this.on('opentag', handlers.openTag);
    this.on('closetag', handlers.closeTag);
    this.on('text', handlers.text);
    this.on('cdata', handlers.cdata);
    // saxes reports a comment on its '--', before reading the '>' that must follow.
    this.on('comment', () => handlers.markup(1));
    this.on('processinginstruction', () => handlers.markup(0));
    this.on('xmldecl', () => handlers.markup(0));
    this.on('error', handlers.error);
  }
}

/** What the scanner reads of a tag; saxes' tag objects carry more. */
interface XmlTag {
  name: string;
  isSelfClosing?: boolean;
}

interface XmlHandlers {
  openTagStart(tag: XmlTag): void;
  attribute(attribute: SaxesAttributePlain): void;
  openTag(tag: XmlTag): void;
  closeTag(tag: XmlTag): void;
  text(text: string): void;
  cdata(text: string): void;
  markup(ahead: number): void;
  error(error: Error): void;
}

/** What saxes says of a malformed XML declaration. */
const XML_DECLARATION_ERRORS = [
  'XML declaration is incomplete',
  'XML declaration must contain a version',
  'The character ? is disallowed anywhere in XML declarations',
  'did not expect any more name/value pairs',
  'expected the name ',
  'expected one of ',
  'value required',
  'value must be quoted',
  'version number must match',
  'encoding value must match',
  'standalone value must match',
  'whitespace required',
];

export class TrackerScanner {
  private readonly parser = new TrackerXmlParser({
    openTagStart: (tag) => this.openTagStart(tag),
    attribute: (attribute) => this.attribute(attribute),
    openTag: (tag) => this.openTag(tag),
    closeTag: (tag) => this.closeTag(tag),
    text: (text) => this.text(text),
    cdata: (text) => this.cdata(text),
    markup: (ahead) => this.markup(ahead),
    error: (error) => this.error(error),
  });
  private buf = '';
  /** Global character offset of buf[0]. */
  private bufStart = 0;
  /** Global offset of the end of the text saxes has been given. */
  private fed = 0;
  /** Zero bytes (and white space) at the end, kept from saxes until more text follows. */
  private heldZeros = '';
  private final = false;

  // Line counting, in buf indices.
  private line: number;
  private lineStart = 0;
  private counted = 0;
  private nextNewline = -1;
  private newlineSearchedTo = 0;
  private hasCR = false;

  private readonly stack: OpenElement[] = [];
  /** The element whose start tag saxes is reading, and its attributes (name, value start). */
  private opening: OpenElement | undefined;
  private openingAttributes: [string, number][] = [];
  /** Global offset just past the last markup saxes reported: what follows is still open. */
  private markupEnd = 0;
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
  private completeOpen: OpenAtMark[];
  private compactedBytes: number | undefined = 0;
  /** The elements opened before the tail and not yet closed in it (see openBefore). */
  private readonly outer: OpenAtMark[];

  constructor(
    private readonly options: ScanOptions,
    private readonly sink: ScanSink,
  ) {
    this.line = options.firstLine ?? 1;
    this.completeLine = this.line;
    this.outer = [...(options.openBefore ?? [])];
    this.completeOpen = [...this.outer];
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
      this.feed(this.heldZeros + text);
      if (final) {
        this.endOfText();
      } else {
        this.checkOpenConstruct();
      }
      this.resolveComplete();
    } catch (error) {
      if (!(error instanceof ScanError)) {
        throw error;
      }
      const start = error.at ?? this.pos(error.index);
      const end = { line: start.line, column: start.column + error.length };
      this.refusal = { code: error.code, message: error.message, start, end };
    }
  }

  /** Ends the text and says what was left open. */
  finish(): ScanSummary {
    if (!this.final && !this.refusal) {
      this.push('', true);
    }
    // Positions are worked out in text order: the unfinished markup comes before the end.
    const partial = this.partialAt === undefined ? undefined : this.pos(this.partialAt);
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
      completeOpen: this.completeOpen,
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
    } else if (partial) {
      summary.cutOff = { name: '', start: partial, zeroBytes: this.zeroTail };
    }
    const containers = cutIndex >= 0 ? this.stack.slice(0, cutIndex) : this.stack;
    summary.unclosed = containers.map((el) => ({ name: el.name, start: el.start }));
    return summary;
  }

  // ---- feeding saxes ---------------------------------------------------------------------

  /**
   * Gives saxes the text, except zero bytes that end it: a crash can leave them at the end of
   * a file whose size grew before its data was written. They wait for what follows them.
   */
  private feed(text: string): void {
    this.heldZeros = '';
    const zeros = text.indexOf('\0') < 0 ? -1 : zeroTailStart(text, 0);
    if (zeros >= 0) {
      this.heldZeros = text.slice(zeros);
      text = text.slice(0, zeros);
      if (this.final) {
        this.zeroTail = true;
      }
    }
    this.parser.write(text);
    this.fed += text.length;
  }

  /** At the end of the text: what saxes was still reading is cut off, or not well-formed. */
  private endOfText(): void {
    const from = this.markupEnd - this.bufStart;
    const to = this.fed - this.bufStart;
    const amp = this.buf.lastIndexOf('&', to - 1);
    if (
      amp >= from &&
      this.buf.indexOf(';', amp) < 0 &&
      !REFERENCE_START.test(this.buf.slice(amp, to))
    ) {
      // saxes reads a reference up to its ';': end it, so that saxes judges what came before.
      // What could still become a reference is left alone: a crash may cut one in two.
      this.parser.write(';');
    }
    const lt = this.buf.indexOf('<', from);
    if (lt >= 0 && lt < to) {
      if (this.stack.length === 0 && this.buf.startsWith('<![CDATA[', lt)) {
        throw new ScanError(lt, 'CDATA section outside any element', undefined, 9);
      }
      this.partialAt = lt;
      return;
    }
    if (from > to) {
      this.partialAt = this.buf.lastIndexOf('<!--', to); // a comment cut off before its '>'
      return;
    }
    const nonSpace = firstNonSpace(this.buf, from, to);
    if (nonSpace >= 0 && this.stack.length === 0) {
      throw new ScanError(nonSpace, 'Text outside any element');
    }
    if (nonSpace >= 0) {
      this.partialAt = from;
    } else if (this.zeroTail) {
      this.partialAt = to + this.heldZeros.indexOf('\0');
    }
  }

  /** Refuses a construct that runs on for more than MAX_CONSTRUCT (memory stays bounded). */
  private checkOpenConstruct(): void {
    if (this.heldZeros.length > MAX_CONSTRUCT) {
      throw new ScanError(this.fed - this.bufStart, 'More than 1 MB of zero bytes');
    }
    if (this.fed - this.markupEnd <= MAX_CONSTRUCT) {
      return;
    }
    const from = this.markupEnd - this.bufStart;
    const to = this.fed - this.bufStart;
    const amp = this.buf.lastIndexOf('&', to - 1);
    if (amp >= from && this.buf.indexOf(';', amp) < 0) {
      throw new ScanError(this.bareAmpersand(to), "'&' must be written as &amp;");
    }
    const lt = this.buf.indexOf('<', from);
    throw new ScanError(lt >= 0 && lt < to ? lt : from, 'Markup is not closed within 1 MB');
  }

  // ---- saxes events ----------------------------------------------------------------------

  /** saxes' position (just past what it last read) as an index in buf. */
  private here(): number {
    return this.parser.position - this.bufStart;
  }

  /** Notes the end of markup, `ahead` characters past what saxes has read. */
  private markup(ahead = 0): void {
    this.markupEnd = this.parser.position + ahead;
  }

  private openTagStart(tag: XmlTag): void {
    if (this.strayEndTag) {
      const stray = this.strayEndTag;
      throw new ScanError(
        0,
        `End tag </${stray.name}> has no start tag`,
        'not-well-formed',
        stray.name.length + 3,
        stray.at,
      );
    }
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.rootName ??= tag.name;
    } else if (!parent.hasChildElement) {
      parent.hasChildElement = true;
      parent.text = '';
    }
    const start = this.pos(this.buf.lastIndexOf('<', this.here() - 1));
    this.opening = {
      name: tag.name,
      start,
      startTagEnd: start,
      contentStart: 0,
      fields: undefined,
      fieldCount: 0,
      conflicts: undefined,
      hasChildElement: false,
      containsEntry: false,
      text: '',
    };
    this.openingAttributes = [];
  }

  private attribute({ name, value }: SaxesAttributePlain): void {
    // saxes has just read the closing quote; the value cannot hold that quote.
    const valueEnd = this.here() - 1;
    const valueStart = this.buf.lastIndexOf(this.buf[valueEnd], valueEnd - 1) + 1;
    this.openingAttributes.push([name, this.bufStart + valueStart]);
    const kind = fieldKindOf(name);
    if (kind && this.opening) {
      this.addField(this.opening, kind, name, value, valueStart, valueEnd);
    }
  }

  private openTag(tag: XmlTag): void {
    const el = this.opening!;
    const end = this.here();
    el.startTagEnd = this.pos(end);
    el.contentStart = this.bufStart + end;
    this.opening = undefined;
    this.stack.push(el);
    if (!tag.isSelfClosing) {
      this.markup();
    }
  }

  private closeTag(tag: XmlTag): void {
    const el = this.stack.pop()!;
    const end = this.here();
    this.markup();
    if (tag.isSelfClosing) {
      this.closeElement(el, end, end);
      return;
    }
    const buf = this.buf;
    const start = buf.lastIndexOf('</', end - 1);
    const nameEnd = start + 2 + el.name.length;
    if (
      !buf.startsWith(el.name, start + 2) ||
      (nameEnd < end - 1 && !isSpaceCode(buf.charCodeAt(nameEnd)))
    ) {
      const name = buf.slice(start + 2, end - 1).trimEnd();
      // saxes closes the open elements up to a matching one; a tracker file says what is wrong.
      throw mismatchedEndTag(start, name, el.name, el.start.line);
    }
    this.closeElement(el, start, end);
  }

  /** Character data; saxes reports it when the next markup starts. */
  private text(text: string): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      const from = this.markupEnd - this.bufStart;
      const nonSpace = firstNonSpace(this.buf, from, this.buf.lastIndexOf('<', this.here() - 1));
      if (nonSpace >= 0) {
        throw new ScanError(nonSpace, 'Text outside any element');
      }
    } else if (!top.hasChildElement && top.text.length < MAX_CONSTRUCT) {
      top.text += text;
    }
  }

  private cdata(text: string): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      const start = this.buf.lastIndexOf('<![CDATA[', this.here() - 1);
      throw new ScanError(start, 'CDATA section outside any element', undefined, 9);
    }
    if (!top.hasChildElement && top.text.length < MAX_CONSTRUCT) {
      top.text += text;
    }
    this.markup();
  }

  /** Turns what saxes reports into a refusal, or lets saxes go on where the format allows. */
  private error(error: Error): void {
    const reported = error.message;
    const at = this.here() - 1;
    const buf = this.buf;
    if (reported.startsWith('unmatched closing tag: ') && this.stack.length === 0) {
      // An end tag with no start: the tail of a file read before, or a file that lost its head.
      this.markup();
      const start = buf.lastIndexOf('</', at);
      const name = reported.slice('unmatched closing tag: '.length, -1);
      if (this.options.tail && this.outer.length > 0) {
        this.closeOuter(name, start);
      } else if (!this.options.tail || this.options.openBefore) {
        // Refused if a start tag follows (see openTagStart), in a tail as in the whole file.
        this.strayEndTag ??= { at: this.pos(start), name };
      }
      return;
    }
    if (
      reported === 'an XML declaration must be at the start of the document.' ||
      reported === 'the XML declaration must appear at the start of the document.'
    ) {
      const start = buf.lastIndexOf('<?', at);
      if (this.bufStart + start === 0 && !this.options.tail) {
        return; // fragment mode knows no document start; the very start is one (not a tail's)
      }
      throw new ScanError(
        start,
        'The XML declaration must be at the very start of the file',
        'not-well-formed',
        5,
      );
    }
    if (reported.startsWith('inappropriately located doctype')) {
      throw doctypeError(buf.lastIndexOf('<!', at));
    }
    if (reported === 'disallowed character.') {
      throw this.disallowedCharacter(at);
    }
    if (
      reported === 'undefined entity.' ||
      reported === 'disallowed character in entity name.' ||
      reported === 'malformed character entity.' ||
      reported === 'empty entity name.'
    ) {
      throw this.badReference(at);
    }
    if (reported.startsWith('duplicate attribute: ')) {
      const name = reported.slice('duplicate attribute: '.length, -1);
      throw new ScanError(
        this.repeatedAttribute(name),
        `Attribute ${name} is repeated`,
        undefined,
        name.length,
      );
    }
    if (reported === 'disallowed character in closing tag.') {
      const start = buf.lastIndexOf('</', at - 1) + 2;
      const name = buf.slice(start, at).trim();
      if (!name) {
        throw new ScanError(start, "Expected an element name after '</'");
      }
      throw new ScanError(at, `Expected '>' to end the end tag </${name}>`);
    }
    if (XML_DECLARATION_ERRORS.some((prefix) => reported.startsWith(prefix))) {
      throw new ScanError(at, `Malformed XML declaration: ${reported.replace(/\.$/, '')}`);
    }
    if (reported === 'incorrect syntax.') {
      throw new ScanError(buf.lastIndexOf('<!', at), "Unexpected markup after '<!'", undefined, 2);
    }
    for (const [prefix, message, back, length] of SAXES_ERRORS) {
      if (reported.startsWith(prefix)) {
        throw new ScanError(at + 1 - back, message, undefined, length);
      }
    }
    throw new ScanError(
      at,
      reported.charAt(0).toUpperCase() + reported.slice(1).replace(/\.$/, ''),
    );
  }

  private disallowedCharacter(at: number): ScanError {
    const amp = this.buf.lastIndexOf('&', at);
    const semicolon = amp < 0 ? -1 : this.buf.indexOf(';', amp);
    if (amp >= this.markupEnd - this.bufStart && (semicolon < 0 || semicolon > at)) {
      // saxes was reading a reference from a bare '&': that came first.
      return new ScanError(this.bareAmpersand(at), "'&' must be written as &amp;");
    }
    const c = this.buf.codePointAt(at) ?? 0;
    if (c === 0x3c) {
      return new ScanError(at, "'<' is not allowed in attribute values; write &lt;");
    }
    const code = c.toString(16).toUpperCase().padStart(4, '0');
    return new ScanError(at, `Character U+${code} is not allowed in XML`);
  }

  /**
   * The reference that ends with the ';' at `semicolon`: it starts at the first '&' after the
   * ';' before it, since saxes reads a reference from its '&' up to the next ';'.
   */
  private badReference(semicolon: number): ScanError {
    const amp = this.bareAmpersand(semicolon);
    const reference = this.buf.slice(amp, semicolon + 1);
    if (/^&#(?:[0-9]+|x[0-9a-fA-F]+);$/.test(reference)) {
      return new ScanError(
        amp,
        `${reference} is not a character XML allows`,
        undefined,
        reference.length,
      );
    }
    const name = /^&([^\s&;<]{1,40});$/.exec(reference);
    const message = name
      ? `Unknown entity &${name[1]}; (only the five XML entities and &#...; are allowed)`
      : "'&' must be written as &amp;";
    return new ScanError(amp, message);
  }

  private bareAmpersand(before: number): number {
    const from = Math.max(
      this.markupEnd - this.bufStart,
      this.buf.lastIndexOf(';', before - 1) + 1,
    );
    const amp = this.buf.indexOf('&', from);
    return amp >= 0 && amp < before ? amp : before;
  }

  /** Where the second attribute of that name starts: its value's quote, back over `name =`. */
  private repeatedAttribute(name: string): number {
    const found = this.openingAttributes.filter(([n]) => n === name);
    const [, valueStart] = found[1] ?? found[0] ?? [name, this.parser.position];
    let k = valueStart - this.bufStart - 2;
    while (k > 0 && /[ \t\r\n=]/.test(this.buf[k])) {
      k--;
    }
    return k + 1 - name.length;
  }

  // ---- positions -------------------------------------------------------------------------

  private pos(index: number): Position {
    if (index < this.counted) {
      return this.posBefore(index);
    }
    this.countTo(index);
    return { line: this.line, column: index - this.lineStart + 1 };
  }

  /** A position before the counted text (an error found after the scan moved past it). */
  private posBefore(index: number): Position {
    const buf = this.buf;
    let line = this.line;
    let lineStart = this.lineStart;
    for (let k = Math.min(this.counted, this.lineStart) - 1; k >= index; k--) {
      const c = buf.charCodeAt(k);
      if (c === 10 || (c === 13 && buf.charCodeAt(k + 1) !== 10)) {
        line--;
      }
    }
    if (line !== this.line) {
      lineStart = Math.max(buf.lastIndexOf('\n', index - 1), buf.lastIndexOf('\r', index - 1)) + 1;
    }
    return { line, column: index - lineStart + 1 };
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
    let cut = Math.min(this.markupEnd - this.bufStart, this.counted);
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
    this.counted -= cut;
    this.lineStart -= cut;
    this.nextNewline = this.nextNewline < 0 ? -1 : this.nextNewline - cut;
    this.newlineSearchedTo = Math.max(0, this.newlineSearchedTo - cut);
    if (this.completeLocal !== undefined) {
      this.completeLocal -= cut;
    }
  }

  private byteLength(text: string): number | undefined {
    return this.options.byteLength ? this.options.byteLength(text) : text.length;
  }

  private markComplete(endIndex: number, endLine: number): void {
    this.completeLocal = endIndex;
    this.completeLine = endLine;
    this.completePending = true;
    // Usually the same root as after the last entry: build a new list only when it changed.
    const known = this.completeOpen;
    const outer = this.outer.length;
    if (
      outer + this.stack.length !== known.length ||
      this.outer.some((el, i) => el !== known[i]) ||
      this.stack.some((el, i) => el.name !== known[outer + i].name)
    ) {
      this.completeOpen = [
        ...this.outer,
        ...this.stack.map((el) => ({ name: el.name, line: el.start.line })),
      ];
    }
  }

  /**
   * An end tag in a tail, with nothing open in the tail itself, closes the innermost element
   * opened before the tail; any other name is refused, as a read of the whole file refuses it.
   */
  private closeOuter(name: string, start: number): void {
    const open = this.outer.pop()!;
    if (open.name !== name) {
      throw mismatchedEndTag(start, name, open.name, open.line);
    }
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
      if (k >= buf.length) {
        if (this.final) {
          // The file ends between CR and LF (a write cut short): the break is not whole yet,
          // so the resume point stays before the CR and the next read counts the line there.
          this.completePending = false;
        }
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

  // ---- the tracker rules -----------------------------------------------------------------

  private addField(
    el: OpenElement,
    kind: FieldKind,
    name: string,
    value: string,
    sourceStart: number,
    sourceEnd: number,
  ): void {
    const buf = this.buf;
    let from = sourceStart;
    let to = sourceEnd;
    while (from < to && isSpaceCode(buf.charCodeAt(from))) {
      from++;
    }
    while (to > from && isSpaceCode(buf.charCodeAt(to - 1))) {
      to--;
    }
    const field: RawField = { name, value, start: this.pos(from), end: this.pos(to) };
    const fields = (el.fields ??= {});
    const existing = fields[kind];
    if (!existing) {
      fields[kind] = field;
      el.fieldCount++;
    } else if (trimXmlSpace(existing.value) !== trimXmlSpace(value)) {
      el.conflicts ??= [];
      if (!el.conflicts.includes(kind)) {
        el.conflicts.push(kind);
      }
    }
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
      fields: el.fields ?? {},
    };
    const verdict = judgeEntry(
      el.name,
      el.start,
      span.fields,
      el.conflicts ?? NO_CONFLICTS,
      this.options.dateOrder,
    );
    if (verdict.ok) {
      this.sink.entry(verdict.entry, span);
    } else {
      this.sink.badEntry(verdict.issues, span);
    }
    this.markComplete(endTagEnd, span.end.line);
  }
}

/** An end tag at `index` that names another element than the one open (started on `line`). */
function mismatchedEndTag(index: number, name: string, open: string, line: number): ScanError {
  return new ScanError(
    index,
    `End tag </${name}> does not match the start tag <${open}> on line ${line}`,
    undefined,
    name.length + 3,
  );
}

function doctypeError(index: number): ScanError {
  return new ScanError(
    index,
    'Document type declarations (<!DOCTYPE>) are not accepted in tracker files: ' +
      'entities are never expanded',
    'doctype',
    9,
  );
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

function isSpaceCode(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** Index of the first character that is not XML white space in [start, end), or -1. */
function firstNonSpace(buf: string, start: number, end: number): number {
  for (let k = start; k < end; k++) {
    if (!isSpaceCode(buf.charCodeAt(k))) {
      return k;
    }
  }
  return -1;
}
