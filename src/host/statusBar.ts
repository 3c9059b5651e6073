// The status bar item shown while an inspection is attached to an editor: which model ran and where.
// Clicking it brings the panel back.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Inspection } from './inspection';

export const SHOW_PANEL_COMMAND = 'attentionLens.showPanel';

export class InspectionStatus implements vscode.Disposable {
  private item: vscode.StatusBarItem | undefined;
  private visible = false;

  /** Shows the model and execution provider of `inspection`, marked when its text has changed. */
  show(inspection: Inspection): void {
    // Created on first use so activation adds nothing to the status bar.
    const item = (this.item ??= vscode.window.createStatusBarItem('attentionLens.status', vscode.StatusBarAlignment.Right, 100));
    item.name = vscode.l10n.t('Attention Lens');
    const model = modelName(inspection);
    const provider = inspection.started.provider;
    item.text = `${inspection.stale ? '$(warning)' : '$(eye)'} ${model} · ${provider}`;
    item.tooltip = inspection.stale
      ? vscode.l10n.t('Attention Lens: {0} on {1}. The inspected text has changed. Click to show the panel.', model, provider)
      : vscode.l10n.t('Attention Lens: {0} on {1}. Click to show the panel.', model, provider);
    item.command = SHOW_PANEL_COMMAND;
    item.show();
    this.visible = true;
  }

  hide(): void {
    this.item?.hide();
    this.visible = false;
  }

  /** What the item shows, for the integration tests. */
  snapshot(): { visible: boolean; text: string; tooltip: string; command: string | undefined } {
    const item = this.item;
    return {
      visible: this.visible,
      text: item?.text ?? '',
      tooltip: typeof item?.tooltip === 'string' ? item.tooltip : '',
      command: typeof item?.command === 'string' ? item.command : undefined,
    };
  }

  dispose(): void {
    this.item?.dispose();
    this.item = undefined;
    this.visible = false;
  }
}

// The model's id from config, else its folder name: what people recognise in a status bar.
function modelName(inspection: Inspection): string {
  const id = inspection.started.model.id;
  return id.includes('/') || id.includes('\\') ? path.basename(id) : id;
}
