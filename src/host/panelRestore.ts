// Giving a panel an inspection it does not have. A panel opened after an inspection (closed and
// reopened from the status bar) is sent it again, in the order the engine streamed it. A panel
// restored after a window reload has only its saved summary: the extension host restarted, the
// matrices are gone, so the saved text is found in its document and inspected again.
import * as vscode from 'vscode';
import type { InspectTarget } from './followSelection';
import type { Inspection } from './inspection';
import { log } from './log';
import type { AttentionPanel } from './panel';
import type { PanelSavedState } from '../protocol';

/** Sends an inspection to a panel as the engine streamed it: tokens first, then each layer. */
export function replayInspection(panel: AttentionPanel, inspection: Inspection): void {
  const { id, started, text, layers, timings } = inspection;
  panel.post({
    type: 'inspection', id, text, model: started.model, tokens: started.tokens, provider: started.provider,
    warnings: started.warnings, truncatedFrom: started.truncatedFrom, modelSetting: inspection.modelSetting,
    source: { uri: inspection.document.uri.toString(), start: inspection.tracked.start },
  });
  const T = started.tokens.length;
  layers.forEach((data, layer) => panel.post({
    type: 'layer', id, layer, heads: started.model.heads, tokens: T, data: data.buffer as ArrayBuffer,
  }));
  panel.post({ type: 'done', id, timings });
}

/** The inspection summary in a state the webview saved, if it holds one (anything else is ignored). */
export function savedInspection(state: unknown): NonNullable<PanelSavedState['inspection']> | undefined {
  const inspection = (state as PanelSavedState | undefined)?.inspection;
  if (typeof inspection !== 'object' || inspection === null || typeof inspection.text !== 'string' || inspection.text === '') return undefined;
  return inspection;
}

/**
 * Runs a saved inspection again: its text in its document (where it was, else its first occurrence)
 * with the model it used. Tells the panel when the text is no longer there.
 */
export async function restoreInspection(
  panel: AttentionPanel,
  saved: NonNullable<PanelSavedState['inspection']>,
  inspect: (target: InspectTarget, options: { model?: string }) => Promise<unknown>,
): Promise<void> {
  const target = await findText(saved);
  if (!target) {
    log().info(`restore: the text inspected before the reload (${saved.text.length} characters) was not found`);
    panel.post({ type: 'failed', message: vscode.l10n.t('The text inspected before the reload is no longer in its file. Select it and inspect it again.') });
    return;
  }
  log().info(`restore: inspecting again ${saved.text.length} characters of ${target.document.uri.toString(true)}`);
  await inspect(target, { model: saved.modelSetting });
}

async function findText(saved: NonNullable<PanelSavedState['inspection']>): Promise<InspectTarget | undefined> {
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
