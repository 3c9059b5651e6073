// A panel restored after a window reload has only the summary its page saved: the extension host
// restarted, the matrices are gone, so the saved text is found in its document and inspected again,
// in the window that was on screen.
import * as vscode from 'vscode';
import type { InspectTarget } from './followSelection';
import { log } from './log';
import type { SavedInspection } from './panelContent';
import type { PanelPresenter } from './presenter';

/**
 * Runs a saved inspection again: its text in its document (where it was, else its first occurrence)
 * with the model it used. Tells the panel when the text is no longer there.
 */
export async function restoreInspection(
  presenter: PanelPresenter,
  saved: SavedInspection,
  inspect: (target: InspectTarget, options: { model?: string; window?: number }) => Promise<unknown>,
): Promise<void> {
  const target = await findText(saved);
  if (!target) {
    log().info(`restore: the text inspected before the reload (${saved.text.length} characters) was not found`);
    presenter.failed(vscode.l10n.t('The text inspected before the reload is no longer in its file. Select it and inspect it again.'));
    return;
  }
  log().info(`restore: inspecting again ${saved.text.length} characters of ${target.document.uri.toString(true)}`);
  // The window that was on screen, if the text was cut into windows (a stale index is dropped).
  const window = Number.isInteger(saved.window) && saved.window! > 0 ? saved.window : undefined;
  await inspect(target, { model: saved.modelSetting, window });
}

async function findText(saved: SavedInspection): Promise<InspectTarget | undefined> {
  if (!saved.source || typeof saved.source.uri !== 'string') return undefined;
  let document: vscode.TextDocument;
  try {
    document = await vscode.workspace.openTextDocument(vscode.Uri.parse(saved.source.uri));
  } catch (err) {
    log().info(`restore: cannot open ${saved.source.uri}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const content = document.getText();
  const { text } = saved;
  const start = Number.isInteger(saved.source.start) && content.startsWith(text, saved.source.start) ? saved.source.start : content.indexOf(text);
  if (start < 0) return undefined;
  return { document, range: new vscode.Range(document.positionAt(start), document.positionAt(start + text.length)) };
}
