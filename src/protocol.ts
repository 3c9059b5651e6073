// The one file of message types shared by the extension host, the engine worker and the webview.
// Every message is a member of a discriminated union on `type`; requests carry `id`, replies
// carry `inReplyTo`. Attention matrices never travel as JSON: they are transferred ArrayBuffers.

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
}

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
}

// ── host → worker ────────────────────────────────────────────────────────────

export interface InspectRequest extends InspectOptions {
  type: 'inspect';
  id: number;
}

export interface CancelRequest {
  type: 'cancel';
  id: number;
}

/** Test hook: makes the worker exit abruptly, as a native crash would. */
export interface CrashRequest {
  type: 'crash';
  id: number;
}

export type HostToWorker = InspectRequest | CancelRequest | CrashRequest;

// ── worker → host ────────────────────────────────────────────────────────────

/** Sent once tokens are known and the model is loaded, before any attention. */
export interface InspectionStarted {
  type: 'started';
  inReplyTo: number;
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
  inReplyTo: number;
  layer: number;
  heads: number;
  tokens: number;
  data: ArrayBuffer;
}

export interface InspectionDone {
  type: 'done';
  inReplyTo: number;
  timings: Timings;
}

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
  | 'worker-crashed'
  | 'internal';

export interface EngineFailure {
  type: 'error';
  inReplyTo: number;
  code: EngineErrorCode;
  /** Plain words the user can act on. */
  message: string;
  /** Technical detail for the output channel. */
  detail?: string;
}

export type WorkerToHost = InspectionStarted | LayerAttention | InspectionDone | EngineFailure;
