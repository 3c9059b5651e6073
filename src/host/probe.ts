// What the integration tests read and do that the VS Code API cannot: decorations have no getter,
// a status bar item's text is not readable from outside, and the webview's messages come from a
// page the extension host cannot drive. Exposed only when the extension runs under a test runner.
import type * as vscode from 'vscode';
import type { PresenterApi, TextWindow, Token, ViewState } from '../protocol';
import type { HostEngine } from './hostEngine';
import type { EditorLens, FocusSource } from './editorLens';
import type { Exporter, SaveDialog } from './exportCommands';
import type { PaintedToken } from './highlights';
import type { SelectionContinuer } from './continueSelection';
import type { SelectionInspector } from './inspectSelection';
import type { PanelPresenter } from './presenter';

export interface ProbedInspection {
  id: number;
  uri: vscode.Uri;
  /** Where the inspected text is in the document now. */
  range: vscode.Range;
  stale: boolean;
  tokens: readonly Token[];
  /** Which window of the text this is, when the text was inspected in windows. */
  window?: TextWindow;
  heads: number;
  layers: number;
  view: ViewState;
}

export interface ProbedHighlights {
  focus: number | undefined;
  source: FocusSource | undefined;
  painted: PaintedToken[];
  /** How many visible editors the highlights were painted into. */
  editors: number;
}

export interface EditorProbe {
  inspection(): ProbedInspection | undefined;
  /** The current inspection's attention, per layer Float32 [heads][T][T], read head by head from the engine's store. */
  attention(): Promise<Float32Array[]>;
  /** What is painted once the highlights asked for last have arrived from the engine. */
  highlights(): Promise<ProbedHighlights>;
  statusBar(): { visible: boolean; text: string; tooltip: string; command: string | undefined };
  /** The last `focusToken` index sent to the panel. */
  panelFocus(): number | null;
  /** Asks the presenter what the panel's page asks it (the view state changed, a token hovered…). */
  fromPanel<M extends Exclude<keyof PresenterApi, 'show'>>(method: M, params: PresenterApi[M]['params']): void;
  /** Whether an inspection is running now. */
  running(): boolean;
  /** Presses the progress notification's Cancel button. */
  cancel(): void;
  /** The continuation shown as ghost text after the selection now, if any. */
  ghostText(): { uri: vscode.Uri; offset: number; text: string } | undefined;
  /** Calls `listener` with the continuation each time the ghost text shows a longer one. */
  onGhostText(listener: (text: string) => void): vscode.Disposable;
  /** Replaces the export commands' save dialog (a headless test cannot answer the real one); undefined restores it. */
  stubSaveDialog(dialog: SaveDialog | undefined): void;
}

export function createProbe(
  lens: EditorLens, inspector: SelectionInspector, exporter: Exporter, presenter: PanelPresenter, engine: HostEngine,
  continuer: SelectionContinuer,
): EditorProbe {
  const realDialog = exporter.saveDialog;
  return {
    inspection() {
      const current = lens.inspection;
      return current && {
        id: current.id,
        uri: current.document.uri,
        range: current.range(),
        stale: current.stale,
        tokens: current.tokens,
        window: current.started.window,
        heads: current.started.model.heads,
        layers: current.started.model.layers,
        view: lens.viewState,
      };
    },
    async attention() {
      const current = lens.inspection;
      if (!current) return [];
      const { layers, heads } = current.started.model;
      const T = current.tokens.length;
      const out: Float32Array[] = [];
      for (let layer = 0; layer < layers; layer++) {
        const data = new Float32Array(heads * T * T);
        for (let head = 0; head < heads; head++) {
          const reply = await engine.view(current.id, {
            type: 'matrix', choice: { layer, aggregation: 'head', head, hideSpecial: false }, cells: T,
          });
          if (reply.type !== 'matrix' || reply.pooled) throw new Error(`layer ${layer} head ${head}: ${reply.type} reply`);
          data.set(new Float32Array(reply.values), head * T * T);
        }
        out.push(data);
      }
      return out;
    },
    async highlights() {
      await lens.painted;
      const painted = lens.paintedNow;
      return { focus: lens.focused?.index, source: lens.focused?.source, painted: painted?.painted ?? [], editors: painted?.editors ?? 0 };
    },
    statusBar: () => lens.statusNow,
    panelFocus: () => lens.focusSentToPanel,
    fromPanel: (method, params) => {
      const handler = presenter.handlers[method] as (params: unknown, context: { signal: AbortSignal; emit(): void }) => unknown;
      void handler(params, { signal: new AbortController().signal, emit: () => undefined });
    },
    running: () => inspector.isRunning,
    cancel: () => inspector.cancel(),
    ghostText: () => continuer.ghostText,
    onGhostText: (listener) => continuer.onGhostText(listener),
    stubSaveDialog: (dialog) => {
      exporter.saveDialog = dialog ?? realDialog;
    },
  };
}
