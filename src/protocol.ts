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

/** A candidate for a generated token, with its probability (softmax of the model's logits). */
export interface TokenCandidate {
  id: number;
  /** The vocabulary piece, spelled as tokens' `text` is. */
  text: string;
  p: number;
}

/**
 * A token the model wrote: `step` 0 is the first after the prompt; `start`/`end` are its UTF-16
 * range in the prompt followed by the continuation; `topk` the likeliest candidates at that step.
 */
export interface GeneratedToken {
  step: number;
  id: number;
  text: string;
  start: number;
  end: number;
  topk: TokenCandidate[];
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
  /** The caller's id for this inspection: later view requests name it. */
  inspection?: number;
  /** The attention store's budget in MB (`attentionLens.engine.memoryBudgetMB`); 0 or absent for the default. */
  memoryBudgetMB?: number;
  /** Inspections the caller still shows: the store never evicts them to make room for this one. */
  onScreen?: number[];
  /**
   * Which window (0-based) of a text longer than maxTokens to run; see TextWindow. Without it a long
   * text is cut to its first maxTokens tokens, with a warning.
   */
  window?: number;
}

/**
 * One of the overlapping windows a text longer than the model's context is inspected in
 * (src/engine/windows.ts). A text that fits is one window.
 */
export interface TextWindow {
  /** 0-based. */
  index: number;
  count: number;
  /** [firstToken, endToken) of the text's `textTokens` tokens (the special tokens the tokenizer adds left out). */
  firstToken: number;
  endToken: number;
  textTokens: number;
  /** [start, end): the window's text, in UTF-16 offsets of the inspected text. */
  start: number;
  end: number;
}

// ── host ↔ engine process ────────────────────────────────────────────────────
// One request, 'inspect', streams events (load progress, then the tokens, then a notice per layer as
// the engine's attention store receives it) and replies with the timings and how the store keeps it. The channel (src/channel.ts) carries ids, cancellation and errors.

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
  /** Set when a window was asked for: which one ran; its tokens keep their offsets in the whole text. */
  window?: TextWindow;
}

/**
 * One layer's attention probabilities: [heads][T][T], row-major, as Float32 values or (precision
 * 'float16') their IEEE half-precision bits (what the pipeline delivers in-process).
 */
export interface LayerAttention {
  type: 'layer';
  layer: number;
  heads: number;
  tokens: number;
  precision: LayerPrecision;
  data: ArrayBuffer;
}

/** Sent while a model loads: what it is doing now. */
export interface LoadProgress {
  type: 'progress';
  stage: LoadStage;
}

/** Layer `layer` is in the engine's attention store: views of it answer without waiting. */
export interface LayerReady {
  type: 'layer';
  layer: number;
}

/** A line for the output channel about how the model runs (e.g. why its layers arrive together). */
export interface InspectionLog {
  type: 'log';
  message: string;
}

/** What an inspection streams before its reply. */
export type InspectionEvent = InspectionStarted | LoadProgress | LayerReady | InspectionLog;

/** The reply that ends an inspection. */
export interface InspectionDone {
  timings: Timings;
  /** How the engine's attention store keeps this inspection. */
  store: StoreMode;
  /** The bytes the store holds for it now. */
  storeBytes: number;
  /** Of those, the bytes of each layer's mean over heads (what rollout rows and the mean view read). */
  storeMeanBytes: number;
}

/** Asks the engine to continue a text, keeping the attention of the whole sequence under `inspection`. */
export type GenerateParams = Pick<InspectOptions, 'model' | 'text' | 'provider' | 'precision' | 'cacheDir' | 'memoryBudgetMB' | 'onScreen'> & {
  maxNewTokens: number;
  /** 0 or absent: greedy. */
  temperature?: number;
  topP?: number;
  /** Seeds the draws when sampling; absent for a fresh one. */
  seed?: number;
  inspection: number;
};

/** One token the model wrote: the store already holds its attention row. */
export interface WrittenStep extends GeneratedToken {
  /** Its own probability. */
  p: number;
  /** Whether it is a special token (the end of the sequence); its range is then empty. */
  special: boolean;
  /** The text it adds to the continuation, as decoded (empty for a byte piece that ends inside a character). */
  added: string;
  /**
   * When the engine had it, in wall-clock milliseconds (performance.timeOrigin + performance.now()),
   * comparable across processes: tokens that cross together were still written one by one.
   */
  writtenAt: number;
}

/**
 * The tokens written since the last such event, in order. A token that follows the last event by a
 * frame or more goes alone, at once; tokens written faster than that wait for the frame's end and go
 * together, so the host wakes once a frame rather than once a token (a small model writes a token in
 * half a millisecond, and on two cores each wake-up takes a core from the model).
 */
export interface GenerationStepsEvent {
  type: 'steps';
  steps: WrittenStep[];
}

/** What a continuation streams before its reply: the prompt's tokens once it has run, then the new tokens. */
export type GenerationEvent = InspectionStarted | LoadProgress | InspectionLog | GenerationStepsEvent;

/** Why a continuation ended: the end-of-sequence token, maxNewTokens, or the model's context. */
export type GenerationStop = 'end-of-sequence' | 'limit' | 'context';

/** The reply that ends a continuation. */
export interface GenerationDone {
  stopped: GenerationStop;
  /** The seed the draws used; absent when greedy. */
  seed?: number;
  /** What the model wrote. */
  continuation: string;
  timings: Timings;
}

/** What a report written by the engine from its store holds besides the attention. */
export type ReportFormat = 'json' | 'safetensors';

/** Asks the engine to write an inspection's `attention-lens/v1` report from its store to `file`. */
export interface ReportRequest {
  inspection: number;
  /** An absolute path on the engine's machine; written under a temporary name, renamed when complete. */
  file: string;
  format: ReportFormat;
}

/** What the engine process reports about itself when asked (the host's memory and liveness check). */
export interface EngineUsage {
  /** Resident set size in bytes. */
  rss: number;
}

// ── views on demand ─────────────────────────────────────────────────────────
// An inspection's attention stays in the engine process (its attention store). The panel, the editor's
// highlights and hover cards ask for what they show, and only that crosses: a head's matrix pooled to
// the canvas, one query's row, thumbnails. Requests name token indices of the inspection (0..T-1);
// a matrix window is in shown positions (the rows and columns left after hiding special tokens).

/** Which attention a view shows: one head, the mean or max over heads, or the rollout through `layer`. */
export interface AttentionChoice {
  layer: number;
  aggregation: Aggregation;
  /** Used when `aggregation` is 'head'. */
  head: number;
  /** Special tokens left out and each row renormalised over the tokens kept. */
  hideSpecial: boolean;
}

/** A rectangle of the shown matrix, [q0, q1) query rows × [k0, k1) key columns, in shown positions. */
export interface MatrixWindow {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
}

/** What a view asks the attention store for. A request for a layer not computed yet waits for it. */
export type AttentionRequest =
  /** The shown matrix over `window` (all of it when absent), max-pooled to at most `cells` rows and columns. */
  | { type: 'matrix'; choice: AttentionChoice; window?: MatrixWindow; cells: number }
  /** How much `token` attends to each token, or with `received` how much each token attends to it. */
  | { type: 'row'; choice: AttentionChoice; token: number; received: boolean }
  /** The same row for every head of a layer. */
  | { type: 'headRows'; layer: number; token: number; received: boolean; hideSpecial: boolean }
  /** A layer's strongest links over all its heads, at most `budget` of them: the head view with no token active. */
  | { type: 'links'; layer: number; heads: number[]; hideSpecial: boolean; budget: number }
  /** Each head of `layers` pooled to `pixels` × `pixels` (by max), for the model view. */
  | { type: 'thumbnails'; layers: number[]; pixels: number; hideSpecial: boolean }
  /** The `k` strongest keys of `token`'s row (or, with `received`, the strongest queries of its column). */
  | { type: 'topk'; choice: AttentionChoice; token: number; received: boolean; k: number };

/** The answer to an AttentionRequest of the same `type`. Float arrays are Float32, row-major. */
export type AttentionReply =
  /**
   * `rows` × `cols` values covering `window`; when pooled, row r covers shown rows
   * [q0 + floor(r·(q1−q0)/rows), q0 + floor((r+1)·(q1−q0)/rows)) and holds their maximum (columns alike).
   */
  | { type: 'matrix'; window: MatrixWindow; rows: number; cols: number; pooled: boolean; max: number; values: ArrayBuffer }
  /** T values in token order; hidden tokens are 0. */
  | { type: 'row'; values: ArrayBuffer }
  /** heads × T values. */
  | { type: 'headRows'; heads: number; values: ArrayBuffer }
  /** Parallel arrays, one entry per link: Int32 head, query, key (token indices) and Float32 weight; `thinned` when weaker links were left out. */
  | { type: 'links'; head: ArrayBuffer; query: ArrayBuffer; key: ArrayBuffer; weight: ArrayBuffer; thinned: boolean }
  /** [layers.length][heads][pixels][pixels] values and each thumbnail's maximum [layers.length][heads]. */
  | { type: 'thumbnails'; layers: number[]; heads: number; pixels: number; values: ArrayBuffer; max: ArrayBuffer }
  | { type: 'topk'; tokens: number[]; weights: number[] }
  /** The store cannot answer this in interactive time (the full rollout of a long input); `reason` says why in the user's words. */
  | { type: 'unavailable'; reason: string };

/**
 * The view calls: the engine answers them from its store, and the presenter forwards the panel's to it.
 * `inspection` is the id the inspect request gave.
 */
export type ViewCalls = {
  view: { params: { inspection: number; request: AttentionRequest }; result: AttentionReply };
  /** The host no longer shows `inspection`: the store may drop it. */
  release: { params: { inspection: number }; result: void };
};

/** How the attention store keeps an inspection: float32, float16, or queries and keys with exact recompute. */
export type StoreMode = 'float32' | 'float16' | 'recompute';

/** How a layer's attention is handed over in-process: float32 values, or float16 bits. */
export type LayerPrecision = 'float32' | 'float16';

/** The calls the engine process answers. */
export type EngineApi = ViewCalls & {
  inspect: { params: InspectOptions; result: InspectionDone; event: InspectionEvent };
  /** Continues a text; its sequence's attention stays in the store under `inspection`, growing a row per token. */
  generate: { params: GenerateParams; result: GenerationDone; event: GenerationEvent };
  usage: { params: null; result: EngineUsage };
  /** Writes a report from the store, streaming the fraction done (0..1); answers the bytes written. */
  report: { params: ReportRequest; result: { bytes: number }; event: { fraction: number } };
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
  /** Generation asked of a model that cannot write (an encoder, or a graph without logits). */
  | 'not-generative'
  /** A prompt that leaves the model no room to write. */
  | 'text-too-long'
  | 'no-such-window'
  | 'cancelled'
  | 'engine-stopped'
  /** The store no longer keeps the inspection a view names (evicted, released, or the engine restarted): run it again. */
  | 'attention-evicted'
  | 'internal';


// ── host ↔ webview (the panel) ───────────────────────────────────────────────
// One Channel (src/channel.ts) per page the panel loads. The page asks the presenter what it shows
// ('show') whenever it loads: first open, shown again after being hidden, window reload. The
// presenter answers with events, the present state first and then each change, and holds the
// request open until the page goes. Attention travels as ArrayBuffers, which webview postMessage
// sends as binary, never as JSON (engines.vscode >= 1.57).

/** What the editor's highlights and hover card show: a head, or an aggregate over heads. */
export type HeadChoice = number | 'mean' | 'max' | 'rollout';

export const AGGREGATIONS = ['head', 'mean', 'max', 'rollout'] as const;
/** What the matrix and token strip show: one head, a reduction over heads, or rollout to the layer. */
export type Aggregation = (typeof AGGREGATIONS)[number];

/**
 * What the panel shows of an inspection, and what a reload restores: owned by the presenter,
 * changed by the user in the panel, followed by the editor's highlights and hover cards.
 */
export interface ViewState {
  /** 0-based layer. For 'rollout', the rollout through layers 0..layer. */
  layer: number;
  /** 0-based head, shown when `aggregation` is 'head'. */
  head: number;
  aggregation: Aggregation;
  /** Tint by the attention a token receives rather than the attention it pays. */
  received: boolean;
  hideSpecial: boolean;
  /** Heads turned off in the head view. */
  hiddenHeads: number[];
  /** The token clicked or chosen with Enter: stays active until unlocked. */
  locked: number | null;
}

/** The tokens and model shape of an inspection as the engine reported them, with what a reload needs. */
export type PanelInspection = Pick<InspectionStarted, 'model' | 'tokens' | 'provider' | 'warnings' | 'truncatedFrom' | 'window'> & {
  id: number;
  text: string;
  /** The model as the setting named it (folder or Hub id): what a reload inspects the text with again. */
  modelSetting?: string;
  /** Where the text was: the document and the text's offset in it, to find it again after a reload. */
  source?: { uri: string; start: number };
  /** Set for a continuation: the tokens from `from` on are the model's, written one by one. */
  generated?: GeneratedRun;
};

/** Which tokens of a sequence the model wrote, and what each was chosen among. */
export interface GeneratedRun {
  /** Index of the first written token (the prompt's length). */
  from: number;
  /** Per written token: its probability and the candidates of its step. */
  steps: { p: number; topk: TokenCandidate[] }[];
  /** Whether the model is still writing. */
  writing: boolean;
}

/**
 * What the panel keeps with `vscode.setState` for the serializer to read after a window reload: the
 * view state and enough of the inspection to run it again (matrices are not kept; they can be large
 * and the engine recomputes them). The presenter decides it; the page only stores it.
 */
export interface PanelSavedState {
  view?: ViewState;
  inspection?: {
    text: string;
    modelId: string;
    modelSetting?: string;
    provider: string;
    source?: { uri: string; start: number };
    /** The window on screen (0-based) when the text was longer than the model reads at once. */
    window?: number;
  };
}

/** What the presenter streams to the page that asked it what to show. */
export type PanelUpdate =
  /** Something runs; the views keep the last inspection until the next one starts. */
  | { type: 'busy'; title: string }
  /** After a window reload: the saved inspection runs again. */
  | { type: 'restoring'; modelId: string; provider: string }
  | { type: 'failed'; message: string }
  /** A new inspection, before any attention, and the view state to show it in. */
  | { type: 'inspection'; inspection: PanelInspection; view: ViewState }
  /** Layer `layer` of inspection `id` is ready: views of it answer without waiting. */
  | { type: 'layer'; id: number; layer: number }
  | { type: 'done'; id: number; timings: Timings }
  /** The view state changed other than by the page itself (a restore). */
  | { type: 'view'; view: ViewState }
  /** The editor focused token `index` (caret or mouse), or none. */
  | { type: 'focusToken'; index: number | null }
  /** What the page keeps for a window reload. */
  | { type: 'save'; state: PanelSavedState };

/** The views that export as PNG images: the matrix, the head view and the model view. */
export type ExportView = 'matrix' | 'heads' | 'model';

/** A view drawn as PNG bytes, width × height device pixels. */
export interface PanelPng {
  view: ExportView;
  data: ArrayBuffer;
  width: number;
  height: number;
}

/** What the presenter (extension host) answers for the panel's page. */
export type PresenterApi = ViewCalls & {
  /** "What do you show?": streams the present state, then every change, until the page goes. */
  show: { params: Record<string, never>; result: void; event: PanelUpdate };
  /** The user changed the view state in the panel. */
  viewState: { params: ViewState; result: void };
  /** The user locked a token: the editor selects its range. */
  revealToken: { params: { index: number }; result: void };
  /** The pointer entered token `index` in the panel, or left the tokens (null): the editor paints what it attends to. */
  hoverToken: { params: { index: number | null }; result: void };
  /** The panel's Export menu: the report as JSON, or a view as PNG, saved where the user picks. */
  export: { params: { what: ExportView | 'report' }; result: void };
  /** The panel's window stepper: inspect window `index` (0-based) of the shown text. */
  showWindow: { params: { index: number }; result: void };
};

/** What the panel's page answers for the presenter. */
export type PageApi = {
  /** Draws `view` (default: the one the user last pointed at or focused) as PNG. */
  exportView: { params: { view?: ExportView }; result: PanelPng };
};

/** How the page and the host address each other over the webview's one message pipe: by page load. */
export interface PanelEnvelope {
  /** A random name the page draws when it loads; a new one means a new page. */
  page: string;
  message: unknown;
}
