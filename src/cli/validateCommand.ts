// `link-tracking validate`: the editor's tracker file checks on the command line.
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { DateOrder, Problem } from '../tracker/trackerEntry';
import { decodeTracker } from '../tracker/trackerReader';
import { validateTracker, type DiagnosticCode } from '../tracker/trackerValidator';
import { EXIT_REFUSED, usageExit } from './cliSupport';

/** Exit codes: 0 no errors (warnings allowed), 1 errors or unreadable, 2 wrong usage. */
const EXIT_ERRORS = EXIT_REFUSED;

interface ValidateFlags {
  dateOrder: DateOrder;
  json?: boolean;
}

export function registerValidateCommands(program: Command): void {
  program
    .command('validate')
    .description('Check a tracker file and print each problem as file:line:column.')
    .argument('<tracker-file>', 'the tracker XML file, e.g. "Tracker_ABC Ltd.xml"')
    .addOption(
      new Option('--date-order <order>', 'how to read numeric dates such as 03/04/2026')
        .choices(['dmy', 'mdy'])
        .default('dmy'),
    )
    .option('--json', 'print {"problems": [...], "entries": n} as one JSON object')
    .exitOverride(usageExit)
    .action(runValidate);
}

async function runValidate(trackerFile: string, flags: ValidateFlags): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(trackerFile);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`link-tracking: cannot read ${trackerFile}: ${reason}\n`);
    process.exitCode = EXIT_ERRORS;
    return;
  }
  const decoded = decodeTracker(bytes);
  if (!decoded.ok) {
    report(trackerFile, flags, [{ ...decoded.problem, code: 'encoding' }], 0);
    process.exitCode = EXIT_ERRORS;
    return;
  }
  const text = decoded.text;

  const { diagnostics, entries } = validateTracker(text, { dateOrder: flags.dateOrder });
  const problems = diagnostics.map((d) => ({
    ...d.start,
    severity: d.severity,
    message: d.message,
    code: d.code,
  }));
  report(trackerFile, flags, problems, entries.length);
  if (problems.some((p) => p.severity === 'error')) {
    process.exitCode = EXIT_ERRORS;
  }
}

interface ReportedProblem extends Problem {
  code: DiagnosticCode;
}

function report(file: string, flags: ValidateFlags, problems: ReportedProblem[], entries: number) {
  if (flags.json) {
    const json = problems.map(({ line, column, severity, message, code }) => ({
      line,
      column,
      severity,
      message,
      code,
    }));
    process.stdout.write(`${JSON.stringify({ problems: json, entries })}\n`);
    return;
  }
  for (const { line, column, severity, message } of problems) {
    process.stdout.write(`${file}:${line}:${column} ${severity} ${message}\n`);
  }
  const errors = problems.filter((p) => p.severity === 'error').length;
  process.stderr.write(`${summary(file, entries, errors, problems.length)}\n`);
}

function summary(file: string, entries: number, errors: number, problems: number): string {
  const warnings = problems - errors;
  return (
    `${file}: ${plural(entries, 'entry', 'entries')}, ${plural(errors, 'error', 'errors')}, ` +
    `${plural(warnings, 'warning', 'warnings')}`
  );
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
