// Entry point. Activation only registers the command and the panel serializer: the engine worker,
// the output channel and the webview are all created on first use, so activation stays cheap.
import * as vscode from 'vscode';
import { disposeLog } from './host/log';
import { INSPECT_COMMAND, SelectionInspector } from './host/inspectSelection';
import { AttentionPanel, PANEL_VIEW_TYPE } from './host/panel';

/** What `activate` returns to other extensions and to the integration tests. */
export interface AttentionLensApi {
  /** How long `activate` itself took, in milliseconds. */
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): AttentionLensApi {
  const started = performance.now();
  const inspector = new SelectionInspector(context.extensionUri);
  context.subscriptions.push(
    inspector,
    vscode.commands.registerCommand(INSPECT_COMMAND, () => inspector.run()),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel) {
        inspector.adopt(AttentionPanel.revive(panel, context.extensionUri));
      },
    }),
    { dispose: () => AttentionPanel.open?.dispose() },
    { dispose: disposeLog },
  );
  return { activationMs: performance.now() - started };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
