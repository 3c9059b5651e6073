// Messages between the extension host and the panel's webview. Attention travels as ArrayBuffers,
// which webview postMessage transfers without JSON (engines.vscode >= 1.57).
// TODO(lead): these belong in src/protocol.ts, the one shared message file; kept here until moved.
import type { ModelInfo, Timings, Token } from '../protocol';
import type { HeadChoice } from './viewState';

export type { HeadChoice } from './viewState';

/** Strings the webview shows, translated by the host (the webview has no vscode.l10n). */
export interface PanelLabels {
  idle: string;
  layers: string;
  heads: string;
  tokens: string;
  provider: string;
  truncated: string;
  timings: string;
  /** Shown after a window reload while the saved inspection runs again. */
  restoring: string;
}

export interface PanelBusy {
  type: 'busy';
  /** What is running, in the user's words. */
  title: string;
}

/** The tokens and model shape, sent before any attention arrives. */
export interface PanelInspection {
  type: 'inspection';
  id: number;
  text: string;
  model: ModelInfo;
  tokens: Token[];
  provider: string;
  warnings: string[];
  truncatedFrom?: number;
  /** The model as the setting named it (folder or Hub id): what a reload inspects the text with again. */
  modelSetting?: string;
  /** Where the text was: the document and the text's offset in it, to find it again after a reload. */
  source?: { uri: string; start: number };
}

/** One layer's attention, Float32 [heads][T][T] row-major. */
export interface PanelLayer {
  type: 'layer';
  id: number;
  layer: number;
  heads: number;
  tokens: number;
  data: ArrayBuffer;
}

export interface PanelDone {
  type: 'done';
  id: number;
  timings: Timings;
}

export interface PanelFailed {
  type: 'failed';
  message: string;
}

/**
 * The editor's focused token changed (caret moved onto it, or the mouse hovers it): the panel
 * highlights token `index` of the current inspection, or nothing when `index` is null. Transient: a
 * panel that is not listening misses it rather than receiving a backlog.
 */
export interface PanelFocusToken {
  type: 'focusToken';
  index: number | null;
}

/** The views that export as PNG images: the matrix, the head view and the model view. */
export type ExportView = 'matrix' | 'heads' | 'model';

/**
 * The host asks for a view as PNG (the "Export View as PNG" command): the panel answers with
 * 'exportPng' or 'exportFailed' carrying the same `requestId`. Without `view`, the view the user
 * last pointed at or focused (the matrix until then).
 */
export interface PanelExportView {
  type: 'exportView';
  requestId: number;
  view?: ExportView;
}

export type HostToPanel = PanelBusy | PanelInspection | PanelLayer | PanelDone | PanelFailed | PanelFocusToken | PanelExportView;

export interface PanelReady {
  type: 'ready';
}

/** The user clicked a token: the host selects its range in the editor. */
export interface PanelRevealToken {
  type: 'revealToken';
  index: number;
}

/** The mouse entered token `index` in the panel, or left the tokens (null): the editor paints what it attends to. */
export interface PanelHoverToken {
  type: 'hoverToken';
  index: number | null;
}

/**
 * The panel now shows layer `layer` (0-based) and head `head` (0-based index, or an aggregate over
 * heads; 'rollout' means the rollout through layers 0..layer). The editor's highlights and hover
 * cards follow it. The host resets to the last layer, mean over heads, on every new inspection, so a
 * panel that keeps another choice across inspections sends it again after each 'inspection'.
 */
export interface PanelViewState {
  type: 'viewState';
  layer: number;
  head: HeadChoice;
}

/**
 * A view drawn as PNG bytes (width × height device pixels): chosen in the panel's Export menu, or the
 * answer to an 'exportView' request (same `requestId`). The host asks where to save it.
 */
export interface PanelExportPng {
  type: 'exportPng';
  view: ExportView;
  data: ArrayBuffer;
  width: number;
  height: number;
  requestId?: number;
}

/** The panel could not draw `view` as an image; `message` says why. */
export interface PanelExportFailed {
  type: 'exportFailed';
  view: ExportView;
  message: string;
  requestId?: number;
}

/** The user chose "Report as JSON" in the panel's Export menu. */
export interface PanelExportReport {
  type: 'exportReport';
}

export type PanelToHost =
  | PanelReady | PanelRevealToken | PanelHoverToken | PanelViewState | PanelExportPng | PanelExportFailed | PanelExportReport;

/**
 * What the panel keeps with `vscode.setState`, and what the serializer reads after a window reload:
 * the views' state and enough of the inspection to run it again (matrices are not kept; they can
 * be large and the engine recomputes them).
 */
export interface PanelSavedState {
  /** The webview's view state (webview/state.ts SavedViewState); the webview validates it. */
  view?: unknown;
  inspection?: {
    text: string;
    modelId: string;
    modelSetting?: string;
    provider: string;
    source?: { uri: string; start: number };
  };
}
