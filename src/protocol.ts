// The one file of message types shared by the extension host, the engine process and the webview.
// Every message is a member of a discriminated union on `type`; the channel (src/channel.ts) wraps
// them with request ids and replies. Attention matrices never travel as JSON: they are ArrayBuffers,
// transferred where the transport can (a worker, a webview) and sent as binary where it cannot (the
// engine's process boundary).

/** A token of the inspected text; `start`/`end` are UTF-16 offsets into that text. */
export interface Token {
  id: number;
  text: string;
  start: number;
  end: number;
  special: boolean;
}

/** What the engine learned about a model: from config.json and from the graph itself. */
export interface ModelInfo {
  id: string;
  layers: number;
  heads: number;
  causal: boolean;
  architecture?: string;
  /** The number format the model ran in (its attention is always delivered as float32). */
  precision: Precision;
}

/** Number formats a graph computes in: float32, half precision, or 8-/4-bit quantised weights. */
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'q8' | 'q4';

/** Which variant of a model folder to load (`attentionLens.precision`, `--precision`). */
export const PRECISION_CHOICES = ['auto', 'fp32', 'fp16', 'q8', 'q4'] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];

/** What loading is doing, for the progress notification. */
export type LoadStage = 'reading' | 'building' | 'optimising';

export const PROVIDERS = ['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** One execution provider the engine tried, and why it was not used when it failed. */
export interface ProviderAttempt {
  provider: string;
  ok: boolean;
  reason?: string;
}

export interface Timings {
  tokenizeMs: number;
  loadMs: number;
  runMs: number;
  totalMs: number;
}

export interface InspectOptions {
  /** A model folder in Hugging Face layout. */
  model: string;
  text: string;
  provider?: Provider;
  maxTokens?: number;
  /** Where graphs built from safetensors checkpoints are kept between sessions. */
  cacheDir?: string;
  /** Which of the folder's variant graphs to load; `auto` by default. */
  precision?: PrecisionChoice;
}

// ── host ↔ engine process ────────────────────────────────────────────────────
// One request, 'inspect', streams events (load progress, then the tokens, then one layer at a time)
// and replies with the timings. The channel (src/channel.ts) carries ids, cancellation and errors.

/** Sent once tokens are known and the model is loaded, before any attention. */
export interface InspectionStarted {
  type: 'started';
  model: ModelInfo;
  tokens: Token[];
  provider: string;
  attempts: ProviderAttempt[];
  warnings: string[];
  /** Set when the input was cut to maxTokens: how many tokens the full text had. */
  truncatedFrom?: number;
}

/** One layer's attention probabilities: Float32 [heads][T][T], row-major. */
export interface LayerAttention {
  type: 'layer';
  layer: number;
  heads: number;
  tokens: number;
  data: ArrayBuffer;
}

/** Sent while a model loads: what it is doing now. */
export interface LoadProgress {
  type: 'progress';
  stage: LoadStage;
}

/** What an inspection streams before its reply. */
export type InspectionEvent = InspectionStarted | LoadProgress | LayerAttention;

/** The reply that ends an inspection. */
export interface InspectionDone {
  timings: Timings;
}

/** What the engine process reports about itself when asked (the host's memory and liveness check). */
export interface EngineUsage {
  /** Resident set size in bytes. */
  rss: number;
}

/** The calls the engine process answers. */
export type EngineApi = {
  inspect: { params: InspectOptions; result: InspectionDone; event: InspectionEvent };
  usage: { params: null; result: EngineUsage };
};

export type EngineErrorCode =
  | 'model-not-found'
  | 'tokenizer-missing'
  | 'tokenizer-invalid'
  | 'onnx-missing'
  | 'onnx-invalid'
  | 'fused-attention'
  | 'unsupported-architecture'
  | 'checkpoint-invalid'
  | 'no-attention'
  | 'config-mismatch'
  | 'provider-unavailable'
  | 'empty-input'
  | 'cancelled'
  | 'engine-stopped'
  | 'internal';


// ── host ↔ webview (the panel) ───────────────────────────────────────────────
// Attention travels as ArrayBuffers, which webview postMessage transfers without JSON
// (engines.vscode >= 1.57).

/** What the editor's highlights and hover card show: a head, or an aggregate over heads. */
export type HeadChoice = number | 'mean' | 'max' | 'rollout';

/** Strings the webview shows, translated by the host (the webview has no vscode.l10n). */
export interface PanelLabels {
  idle: string;
  layers: string;
  heads: string;
  tokens: string;
  provider: string;
  /** The number format the model ran in (fp32, fp16, q8, …). */
  precision: string;
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

/** The tokens and model shape, sent before any attention arrives: the engine's `started`, placed. */
export interface PanelInspection extends Omit<InspectionStarted, 'type' | 'attempts'> {
  type: 'inspection';
  id: number;
  text: string;
  /** The model as the setting named it (folder or Hub id): what a reload inspects the text with again. */
  modelSetting?: string;
  /** Where the text was: the document and the text's offset in it, to find it again after a reload. */
  source?: { uri: string; start: number };
}

/** One layer's attention of inspection `id`, as the engine delivered it. */
export interface PanelLayer extends Omit<LayerAttention, 'type'> {
  type: 'layer';
  id: number;
}

/** Inspection `id` is complete. */
export interface PanelDone extends InspectionDone {
  type: 'done';
  id: number;
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
