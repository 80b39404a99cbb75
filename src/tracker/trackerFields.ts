// Which element and attribute names carry which field of a click, and the rules that turn the
// raw field values of one entry into a TrackerEntry or into the reasons it was skipped.
import { normaliseClickDateTime, normaliseTime, trimXmlSpace } from './dateTime';
import type { DateOrder, Position, TrackerEntry } from './trackerEntry';

export type FieldKind = 'template' | 'contactId' | 'linkName' | 'date' | 'time';

/** The canonical element name of each field, used in messages. */
export const FIELD_LABELS: Record<FieldKind, string> = {
  template: 'EmailTemplate',
  contactId: 'ContactID',
  linkName: 'LinkName',
  date: 'Date',
  time: 'Time',
};

const REQUIRED_FIELDS: readonly FieldKind[] = ['template', 'contactId', 'linkName', 'date', 'time'];

const ALIASES: Record<string, FieldKind> = {
  emailtemplate: 'template',
  emailtemplatename: 'template',
  template: 'template',
  templatename: 'template',
  contactid: 'contactId',
  contact: 'contactId',
  linkname: 'linkName',
  link: 'linkName',
  hyperlink: 'linkName',
  url: 'linkName',
  date: 'date',
  clickdate: 'date',
  time: 'time',
  clicktime: 'time',
};

const kindCache = new Map<string, FieldKind | null>();

/**
 * The field a name carries: case-insensitive, ignoring spaces, `_`, `-` and any namespace
 * prefix (`ContactID`, `contact_id`, `t:Contact-Id` all name the contact).
 */
export function fieldKindOf(name: string): FieldKind | undefined {
  let kind = kindCache.get(name);
  if (kind === undefined) {
    const local = name.slice(name.indexOf(':') + 1);
    kind = ALIASES[local.toLowerCase().replace(/[\s_-]/g, '')] ?? null;
    if (kindCache.size < 10_000) {
      kindCache.set(name, kind);
    }
  }
  return kind ?? undefined;
}

/** One field value as found in the file: its element or attribute name and where it is. */
export interface RawField {
  name: string;
  /** The text value, entities decoded, not yet trimmed. */
  value: string;
  /** Range of the trimmed value in the file (end exclusive). */
  start: Position;
  end: Position;
}

export type RawFields = Partial<Record<FieldKind, RawField>>;

export type EntryIssueCode = 'missing-field' | 'bad-date' | 'bad-time';

export interface EntryIssue {
  code: EntryIssueCode;
  message: string;
  /** The field at fault (bad date/time), else undefined: the entry's opening tag is at fault. */
  field?: RawField;
}

export type EntryVerdict = { ok: true; entry: TrackerEntry } | { ok: false; issues: EntryIssue[] };

/**
 * Applies the reading rules to one entry: every field present, contact and template not empty,
 * a real date and time. `conflicts` lists fields given twice with different values.
 */
export function judgeEntry(
  entryName: string,
  at: Position,
  fields: RawFields,
  conflicts: readonly FieldKind[],
  dateOrder: DateOrder,
): EntryVerdict {
  const issues: EntryIssue[] = [];
  const missing = REQUIRED_FIELDS.filter((kind) => !fields[kind] && kind !== 'time');

  let dateTime: { date: string; time: string } | undefined;
  if (fields.date) {
    const result = normaliseClickDateTime(fields.date.value, fields.time?.value, dateOrder);
    if (result.ok) {
      dateTime = result.value;
    } else if (result.field === 'time' && !fields.time) {
      // No time field, and the date is not DateTime text that would carry one.
      missing.push('time');
    } else {
      const field = result.field === 'date' ? fields.date : fields.time;
      const code = result.field === 'date' ? 'bad-date' : 'bad-time';
      issues.push({ code, message: `${FIELD_LABELS[result.field]}: ${result.message}`, field });
      // Report a bad time alongside a bad date, so that both can be fixed in one go.
      const time = fields.time && trimXmlSpace(fields.time.value);
      if (result.field === 'date' && time && !normaliseTime(time)) {
        const message = `Time: "${time}" is not a valid time of day`;
        issues.push({ code: 'bad-time', message, field: fields.time });
      }
    }
  } else if (!fields.time) {
    missing.push('time');
  }
  if (missing.length > 0) {
    const names = missing.map((k) => FIELD_LABELS[k]).join(', ');
    issues.unshift({ code: 'missing-field', message: `<${entryName}> has no ${names}` });
  }

  const template = fields.template && trimXmlSpace(fields.template.value);
  const contactId = fields.contactId && trimXmlSpace(fields.contactId.value);
  for (const [kind, value] of [
    ['contactId', contactId],
    ['template', template],
  ] as const) {
    if (value === '') {
      issues.push({
        code: 'missing-field',
        message: `<${entryName}> has an empty ${FIELD_LABELS[kind]}`,
      });
    }
  }
  for (const kind of conflicts) {
    issues.push({
      code: 'missing-field',
      message: `<${entryName}> has two different ${FIELD_LABELS[kind]} values`,
    });
  }

  if (issues.length > 0 || !dateTime || template === undefined || contactId === undefined) {
    return { ok: false, issues };
  }
  return {
    ok: true,
    entry: {
      template,
      contactId,
      linkName: trimXmlSpace(fields.linkName?.value ?? ''),
      date: dateTime.date,
      time: dateTime.time,
      line: at.line,
      column: at.column,
    },
  };
}
