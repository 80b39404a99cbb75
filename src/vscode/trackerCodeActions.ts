// Quick fixes for tracker problems: each one applies the single edit the validator proposed.
import * as vscode from 'vscode';
import type { TrackerDiagnostic } from '../tracker/trackerValidator';
import { TRACKER_DOCUMENT_SELECTOR } from './trackerDocuments';
import { DIAGNOSTIC_SOURCE, toEditorRange, type TrackerValidation } from './trackerDiagnostics';

export class TrackerCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  };

  constructor(private readonly validation: TrackerValidation) {}

  async provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (ours.length === 0) {
      return [];
    }
    const result = await this.validation.resultFor(document);
    if (!result) {
      return [];
    }

    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of ours) {
      // The editor hands back copies of our diagnostics: match them to the validator's by
      // code, range and message in the result for this very version of the text.
      const problem = result.diagnostics.find((p) => sameProblem(p, diagnostic));
      if (problem?.fix) {
        actions.push(toCodeAction(document, diagnostic, problem.fix));
      }
    }
    return actions;
  }
}

function sameProblem(problem: TrackerDiagnostic, diagnostic: vscode.Diagnostic): boolean {
  return (
    problem.code === diagnostic.code &&
    problem.message === diagnostic.message &&
    toEditorRange(problem.start, problem.end).isEqual(diagnostic.range)
  );
}

function toCodeAction(
  document: vscode.TextDocument,
  diagnostic: vscode.Diagnostic,
  fix: NonNullable<TrackerDiagnostic['fix']>,
): vscode.CodeAction {
  const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  action.edit = new vscode.WorkspaceEdit();
  for (const edit of fix.edits) {
    action.edit.replace(document.uri, toEditorRange(edit.start, edit.end), edit.newText);
  }
  // The validator proposes a fix only when one edit obviously repairs the problem.
  action.isPreferred = true;
  return action;
}

export function registerTrackerCodeActions(
  context: vscode.ExtensionContext,
  validation: TrackerValidation,
): void {
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(
      TRACKER_DOCUMENT_SELECTOR,
      new TrackerCodeActions(validation),
      TrackerCodeActions.metadata,
    ),
  );
}
