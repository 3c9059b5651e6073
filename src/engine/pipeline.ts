// tokenize → run → deliver: the one path from a text to its attention, shared by the engine process
// (src/engine/engineProcess.ts) and the CLI. It does no messaging and writes nothing: results go to
// the caller's callbacks, and the only files read are the model's, through AttentionModel.
import type {
  InspectionStarted, InspectOptions, LayerAttention, LayerPrecision, LoadStage, ModelInfo, Timings, Token,
} from '../protocol';
import { AttentionModel } from './attentionModel';
import { EngineError, throwIfCancelled } from './errors';
import { generate, type GenerateOptions, type Generation, type GenerationHooks, type GenerationStep } from './generation/generate';
import { inspectedInput } from './inspectedInput';
import type { StageInputs } from './stagedSessions';

export { truncationWarning } from './inspectedInput';

/** maxTokens when a request gives none: 0, the model's context within the provider's cap (src/engine/context.ts). */
export const DEFAULT_MAX_TOKENS = 0;

/** Where an inspection's results go as they are produced. */
export interface Delivery {
  /** What model loading is doing (only while a model loads). */
  onProgress?(stage: LoadStage): void;
  /**
   * The tokens and model shape, before any attention; `recompute` gives any layer again, exactly,
   * once the run is over and while its model stays loaded, if `keepsForRecompute` said so.
   */
  onStarted?(started: InspectionStarted, recompute: (layer: number) => Promise<Float32Array>): void;
  /**
   * Asked after onStarted: whether the run keeps its stage inputs (T × hidden per layer, never T × T)
   * for `recompute` (the attention store's recompute mode).
   */
  keepsForRecompute?(): boolean;
  /**
   * Asked after onStarted: 'float16' has onnxruntime round each layer to IEEE half bits before
   * onLayer (the attention store's float16 mode); float32 when not given.
   */
  layerPrecision?(): LayerPrecision;
  /**
   * One layer; its buffer is the caller's to keep. A float32 layer is the buffer the rest of its
   * stage reads: it is neither written to nor transferred before the inspection's run ends.
   */
  onLayer?(layer: LayerAttention): void;
  /** A line for the log about how the model runs (sent when a graph that cannot be cut is loaded). */
  onLog?(message: string): void;
}

/** What the pipeline answers once every layer is delivered. */
export interface InspectionRun {
  timings: Timings;
}

/** A continuation to write: the model and text as an inspection names them, and how to choose tokens. */
export type GenerateRequest = Pick<InspectOptions, 'model' | 'text' | 'provider' | 'precision' | 'cacheDir'> & GenerateOptions;

/** Where a continuation's prompt goes: its tokens before its run (with the model), then its attention. */
export interface GenerationDelivery {
  onPrompt?(prompt: Token[], longest: number, model: AttentionModel): void;
  onPromptRows?: GenerationHooks['onPromptRows'];
}

/** A written continuation, the model that wrote it, and what it cost. */
export interface GenerationRun {
  generation: Generation;
  model: ModelInfo & { provider: string };
  timings: Timings;
}

/** Inspections of one model at a time: the last model loaded stays loaded for the next request. */
export class Pipeline {
  private loaded: { key: string; model: Promise<AttentionModel> } | undefined;
  // Requests run one after another: a newer one waits for the session rather than competing for it.
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs one inspection after those already queued; `signal` abandons it between stages. */
  inspect(request: InspectOptions, delivery: Delivery = {}, signal?: AbortSignal): Promise<InspectionRun> {
    const run = this.queue.then(() => this.run(request, delivery, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Continues a text after the requests already queued, on the same loaded model as inspections;
   * `onStep` hears each token as it is written, `signal` stops between tokens.
   */
  generate(request: GenerateRequest, onStep?: (step: GenerationStep) => void, signal?: AbortSignal,
    delivery: Pick<Delivery, 'onProgress'> & GenerationDelivery = {}): Promise<GenerationRun> {
    const run = this.queue.then(async (): Promise<GenerationRun> => {
      const t0 = performance.now();
      const { model, loadMs } = await this.modelFor(request, delivery);
      const t1 = performance.now();
      const generation = await generate(model, request.text, request, onStep, signal, {
        onPrompt: delivery.onPrompt && ((prompt, longest) => delivery.onPrompt!(prompt, longest, model)),
        onPromptRows: delivery.onPromptRows,
      });
      const runMs = performance.now() - t1;
      return {
        generation, model: { ...model.info, provider: model.provider },
        timings: { tokenizeMs: 0, loadMs, runMs, totalMs: performance.now() - t0 },
      };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Releases the loaded model's session. */
  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await loaded?.model.then((m) => m.dispose(), () => undefined);
  }

  private async run(request: InspectOptions, delivery: Delivery, signal: AbortSignal | undefined): Promise<InspectionRun> {
    const stillWanted = (): void => throwIfCancelled(signal);
    const t0 = performance.now();
    stillWanted();
    const { model, loadMs } = await this.modelFor(request, delivery);
    if (loadMs > 0 && model.wholeReason) delivery.onLog?.(model.wholeReason);
    stillWanted();
    const t1 = performance.now();
    const { encoded, warnings, window } = inspectedInput(model, { ...request, maxTokens: request.maxTokens ?? DEFAULT_MAX_TOKENS });
    const tokenizeMs = performance.now() - t1;
    const T = encoded.tokens.length;
    let keep = false;
    let precision: LayerPrecision = 'float32';
    let kept: (inputs: StageInputs | undefined) => void = () => undefined;
    const recompute = recomputeFrom(model, new Promise<StageInputs | undefined>((resolve) => { kept = resolve; }));
    const started = (heads: number): void => {
      delivery.onStarted?.({
        type: 'started', model: { ...model.info, heads }, tokens: encoded.tokens, provider: model.provider,
        attempts: model.attempts, warnings, truncatedFrom: encoded.truncatedFrom, window,
      }, recompute);
      keep = delivery.keepsForRecompute?.() === true;
      precision = delivery.layerPrecision?.() ?? 'float32';
    };
    // Tokens go out before the run when config.json gives the head count, so they can be shown
    // while a large model is still running; otherwise the first layer's shape tells.
    if (model.info.heads) started(model.info.heads);
    const t2 = performance.now();
    let heads = model.info.heads;
    // Without the head count the caller decides only after the first layer: keep the inputs to be safe.
    const inputs = await model.runStages(encoded, (layer, data) => {
      if (!heads) started(heads = model.headsOf(data, T));
      // onnxruntime hands back a fresh buffer per output: pass it on whole when it is exactly the
      // layer, and copy only in the unexpected case that it is a view into something larger.
      const buffer = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data.buffer as ArrayBuffer : data.slice().buffer;
      delivery.onLayer?.({ type: 'layer', layer, heads, tokens: T, precision: data instanceof Uint16Array ? 'float16' : 'float32', data: buffer });
    }, signal, keep || !model.info.heads, () => precision).catch((err: unknown) => {
      kept(undefined);
      throw err;
    });
    kept(keep ? inputs : undefined);
    const runMs = performance.now() - t2;
    stillWanted();
    return { timings: { tokenizeMs, loadMs, runMs, totalMs: performance.now() - t0 } };
  }

  private async modelFor(request: InspectOptions, delivery: Delivery): Promise<{ model: AttentionModel; loadMs: number }> {
    const key = `${request.model}\0${request.provider ?? 'auto'}\0${request.precision ?? 'auto'}`;
    if (this.loaded?.key === key) return { model: await this.loaded.model, loadMs: 0 };
    const previous = this.loaded?.model;
    const progress = (stage: LoadStage): void => delivery.onProgress?.(stage);
    const loading = AttentionModel.load(request.model, request.provider ?? 'auto', request.cacheDir, progress, request.precision);
    this.loaded = { key, model: loading };
    previous?.then((m) => m.dispose()).catch(() => undefined);
    const start = performance.now();
    try {
      return { model: await loading, loadMs: performance.now() - start };
    } catch (err) {
      if (this.loaded?.model === loading) this.loaded = undefined; // a failed load is retried next time
      throw err;
    }
  }
}

// A layer of one run again, from the stage inputs it kept; none kept, or the model unloaded since,
// means the attention can only come from running the inspection again.
function recomputeFrom(model: AttentionModel, inputs: Promise<StageInputs | undefined>): (layer: number) => Promise<Float32Array> {
  return async (layer) => {
    const kept = await inputs;
    const gone = (detail?: string) => new EngineError('attention-evicted',
      'The attention of this inspection is no longer kept in memory. Run the inspection again.', detail);
    if (!kept) throw gone('the run kept no stage inputs');
    try {
      return await model.recomputeLayer(kept, layer);
    } catch (err) {
      throw gone(`recomputing layer ${layer}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
