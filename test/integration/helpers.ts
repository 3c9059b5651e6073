// Shared by the integration tests: the extension under test, its command, and document helpers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/extension';
import type { InspectionOutcome } from '../../src/host/inspectSelection';
import { waitFor } from '../harness/wait';

export const EXTENSION_ID = 'attention-lens.attention-lens';
export const INSPECT = 'attentionLens.inspectSelection';

export function extension(): vscode.Extension<AttentionLensApi> {
  const ext = vscode.extensions.getExtension<AttentionLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded in this extension host`);
  return ext;
}

/** Runs the command as the palette would and returns what it did. */
export function inspect(): Thenable<InspectionOutcome> {
  return vscode.commands.executeCommand<InspectionOutcome>(INSPECT);
}

/** Opens a file of test/harness/workspace, or an untitled copy when no folder is open. */
export async function openFixture(name: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const document = folder
    ? await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, name))
    : await vscode.workspace.openTextDocument({
      // out/test/integration → test/harness/workspace
      content: fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'harness', 'workspace', name), 'utf8'),
    });
  return vscode.window.showTextDocument(document);
}

export async function openText(content: string): Promise<vscode.TextEditor> {
  // An untitled document closed a moment ago may still be disposing; a new one opened meanwhile can
  // be handed its name. Check the text arrived, and open another if it did not.
  return waitFor('an untitled document holding the text', async () => {
    const document = await vscode.workspace.openTextDocument({ content, language: 'plaintext' });
    const editor = await vscode.window.showTextDocument(document);
    // Lengths, not texts: the workbench may replace lone surrogates, one UTF-16 unit for another.
    const expected = content.replace(/\r?\n/g, editor.document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n');
    return editor.document.getText().length === expected.length && editor;
  }, { timeoutMs: 10_000, intervalMs: 200 });
}

/** Selects the first occurrence of `phrase` in the editor's document. */
export function select(editor: vscode.TextEditor, phrase: string): vscode.Selection {
  const start = editor.document.getText().indexOf(phrase);
  if (start < 0) throw new Error(`"${phrase}" is not in ${editor.document.uri}`);
  const selection = new vscode.Selection(
    editor.document.positionAt(start), editor.document.positionAt(start + phrase.length));
  editor.selection = selection;
  return selection;
}

export function shown(outcome: InspectionOutcome | undefined): Extract<InspectionOutcome, { kind: 'shown' }> {
  if (outcome?.kind !== 'shown') throw new Error(`expected an inspection, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Prints a measurement into the suite's output (and its report file under code-server). */
export function note(line: string): void {
  console.log(line);
  const report = process.env.ATTENTION_LENS_TEST_REPORT;
  if (report) fs.appendFileSync(report, line + '\n');
}

/**
 * Sets the editor's selection and resolves once VS Code has delivered the change to its listeners.
 * The extension's listener was registered at activation, before this one, so it has run by then:
 * a test can check that it did nothing without sleeping.
 */
export async function selectAndWaitForListeners(editor: vscode.TextEditor, selection: vscode.Selection): Promise<void> {
  let delivered = false;
  const listener = vscode.window.onDidChangeTextEditorSelection((e) => {
    if (e.textEditor.document === editor.document && e.selections[0]?.isEqual(selection)) delivered = true;
  });
  try {
    editor.selection = selection;
    await waitFor('the selection change to reach the listeners', () => delivered, { timeoutMs: 10_000, intervalMs: 10 });
  } finally {
    listener.dispose();
  }
}
