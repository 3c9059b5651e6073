// Messages between the extension host and the panel's webview. Attention travels as ArrayBuffers,
// which webview postMessage transfers without JSON (engines.vscode >= 1.57).
// TODO(lead): these belong in src/protocol.ts, the one shared message file; kept here until moved.
import type { ModelInfo, Timings, Token } from '../protocol';

/** Strings the webview shows, translated by the host (the webview has no vscode.l10n). */
export interface PanelLabels {
  idle: string;
  layers: string;
  heads: string;
  tokens: string;
  provider: string;
  truncated: string;
  timings: string;
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

export type HostToPanel = PanelBusy | PanelInspection | PanelLayer | PanelDone | PanelFailed;

export interface PanelReady {
  type: 'ready';
}

/** The user clicked a token: the host selects its range in the editor. */
export interface PanelRevealToken {
  type: 'revealToken';
  index: number;
}

export type PanelToHost = PanelReady | PanelRevealToken;
