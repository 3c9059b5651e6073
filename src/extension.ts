// Entry point. Activation registers commands, the panel serializer and the editor listeners: the
// engine process, the output channel, decoration types, the status bar item and the webview are all
// created on first use, so activation stays cheap.
import * as vscode from 'vscode';
import { EditorLens } from './host/editorLens';
import { INSPECT_COMMAND, SelectionInspector } from './host/inspectSelection';
import { CONTINUE_COMMAND, INSERT_GENERATED_COMMAND, SelectionContinuer } from './host/continueSelection';
import { Exporter } from './host/exportCommands';
import { HostEngine } from './host/hostEngine';
import { disposeLog } from './host/log';
import { registerModelCommands } from './host/modelCommands';
import { PANEL_VIEW_TYPE } from './host/panel';
import { restoreInspection } from './host/panelRestore';
import { PanelPresenter } from './host/presenter';
import { createProbe, type EditorProbe } from './host/probe';
import { SHOW_PANEL_COMMAND } from './host/statusBar';

export const CLEAR_HIGHLIGHTS_COMMAND = 'attentionLens.clearHighlights';

/** What `activate` returns to other extensions and to the integration tests. */
export interface AttentionLensApi {
  /** How long `activate` itself took, in milliseconds. */
  readonly activationMs: number;
  /** Present only under a test runner: reads what the editor shows and plays the panel's part. */
  readonly probe?: EditorProbe;
}

export function activate(context: vscode.ExtensionContext): AttentionLensApi {
  const started = performance.now();
  // The lens re-runs inspections (attentionLens.followSelection) through the inspector, which hands
  // its results back to the lens: the closure breaks the construction cycle.
  const engine = new HostEngine(context.extensionUri);
  const presenter = new PanelPresenter(context.extensionUri, engine);
  const lens = new EditorLens(presenter, engine, (target) => inspector.inspect(target));
  const inspector: SelectionInspector = new SelectionInspector(engine, lens, presenter);
  const exporter = new Exporter(lens, presenter, engine);
  const continuer = new SelectionContinuer(engine, lens, presenter);
  context.subscriptions.push(
    // First: inspections ask the model source this sets up for their model folder.
    ...registerModelCommands(context),
    engine,
    lens,
    exporter,
    presenter,
    presenter.onDidAskWindow((index) => void inspector.showWindow(index)),
    vscode.commands.registerCommand(INSPECT_COMMAND, () => inspector.run()),
    continuer,
    vscode.commands.registerCommand(CONTINUE_COMMAND, () => continuer.run()),
    vscode.commands.registerCommand(INSERT_GENERATED_COMMAND, () => continuer.insert()),
    vscode.commands.registerCommand(CLEAR_HIGHLIGHTS_COMMAND, () => lens.clear()),
    vscode.commands.registerCommand(SHOW_PANEL_COMMAND, () => {
      lens.showPanel();
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      // After a window reload: the presenter takes back the view state the page saved; the matrices
      // died with the old extension host, so the text it saved is inspected again with the model it used.
      async deserializeWebviewPanel(panel, state: unknown) {
        const saved = presenter.revive(panel, state);
        if (saved) void restoreInspection(presenter, saved, (target, options) => inspector.inspect(target, options));
      },
    }),
    { dispose: disposeLog },
  );
  const probe = context.extensionMode === vscode.ExtensionMode.Test ? createProbe(lens, inspector, exporter, presenter, engine, continuer) : undefined;
  return { activationMs: performance.now() - started, probe };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
