// One inspection's attention as the store keeps it: every layer as float32, every layer as float16,
// or (recompute) none of them, each layer recomputed exactly when a view needs it. Float16 and
// recompute keep a few decoded float32 layers, least recently used first out. Layers arrive while
// the model runs; a request for one not there yet waits for it.
//
// Each layer's mean over heads is taken as the layer arrives, while its float32 values are at hand
// (one pass over the layer, a small share of the time the run took to compute it), and kept as the
// plan says (src/engine/storeBudget.ts). Taking it later would mean decoding or recomputing the layer.
// So are its heads' model-view thumbnails, max-pooled (src/attention/keptThumbnails.ts), where its
// layers are not kept as float32.
import { keepMean, type KeptMean, type MeanPrecision } from '../attention/headMeans';
import { poolThumbnails, thumbnailVariants, type ThumbnailVariant } from '../attention/keptThumbnails';
import { decodeFloat16, encodeFloat16 } from '../attention/quantize';
import { ChannelError } from '../channel';
import type { StoreMode } from '../protocol';
import { layerBytes, type AttentionShape, type StorePlan } from './storeBudget';

/** Recomputes layer `layer` exactly (Float32 [heads][T][T]) from what the engine kept of the run. */
export type RecomputeLayer = (layer: number, signal?: AbortSignal) => Promise<Float32Array>;

/**
 * Frees what is no longer referenced, soon (the engine process runs V8's gc() at its next event-loop
 * turn). A dropped layer is hundreds of MB that the JavaScript heap frees only at its next
 * collection, which on a busy machine came after onnxruntime had computed another layer beside it.
 */
export type Collect = () => void;
/**
 * Resolves when the engine may start long synchronous work (decoding or recomputing a layer) without
 * holding back what it has already answered: see engineProcess.ts.
 */
export type Settle = () => Promise<void>;

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class StoredInspection {
  readonly mode: StoreMode;
  private readonly float32: (Float32Array | undefined)[] = [];
  private readonly float16: (Uint16Array | undefined)[] = [];
  private readonly means: (KeptMean | undefined)[] = [];
  private readonly variants: ThumbnailVariant[];
  // Per variant (as `variants` lists them), per layer: [heads][side][side].
  private readonly pooled: (Float32Array | undefined)[][];
  // Map order is least recently used first.
  private readonly decoded = new Map<number, Float32Array>();
  private readonly recomputing = new Map<number, Promise<Float32Array>>();
  private readonly arrived: boolean[] = [];
  private readonly waiters = new Map<number, Set<Waiter>>();
  private readonly cacheLayers: number;
  private readonly computingLayers: number;
  private readonly meanLayers: number;
  private readonly meanPrecision: MeanPrecision;
  private ended: { error?: unknown } | undefined;
  private dropped: ChannelError | undefined;

  /** `special` says which tokens are special, for the thumbnails kept with special tokens hidden; none when absent. */
  constructor(
    readonly shape: AttentionShape, plan: StorePlan, private readonly recompute: RecomputeLayer, special?: readonly boolean[],
    private readonly collect: Collect = () => undefined, private readonly settle: Settle = () => Promise.resolve(),
  ) {
    this.variants = plan.thumbnails ? thumbnailVariants(special ?? Array<boolean>(shape.T).fill(false)) : [];
    this.pooled = this.variants.map(() => []);
    this.mode = plan.mode;
    this.cacheLayers = plan.cacheLayers;
    this.computingLayers = plan.computingLayers;
    this.meanLayers = plan.meanLayers;
    this.meanPrecision = plan.meanPrecision;
  }

  /** Bytes held now: stored layers, decoded ones, means and thumbnails. */
  get bytes(): number {
    const layer = layerBytes(this.shape);
    const stored = this.float32.filter(Boolean).length * layer + this.float16.filter(Boolean).length * (layer / 2);
    const thumbnails = this.pooled.flat().reduce((sum, kept) => sum + (kept?.byteLength ?? 0), 0);
    return stored + this.decoded.size * layer + this.meanBytes + thumbnails;
  }

  /** Bytes held now by the layers' means over heads. */
  get meanBytes(): number {
    return this.means.reduce((sum, mean) => sum + (mean?.byteLength ?? 0), 0);
  }

  /** Whether every layer has arrived. */
  get complete(): boolean {
    return this.arrived.filter(Boolean).length === this.shape.layers;
  }

  /**
   * Layer `layer` as the run produced it: float32 values, or in float16 mode their half bits as
   * encodeFloat16 would give them. The store keeps `data` itself in float32 mode and bits as they are.
   */
  put(layer: number, data: Float32Array | Uint16Array): void {
    this.checkLayer(layer);
    const { heads, T } = this.shape;
    if (this.keepsMean(layer)) this.means[layer] = keepMean(data, heads, T, this.meanPrecision);
    this.variants.forEach((variant, i) => { this.pooled[i][layer] = poolThumbnails(data, heads, T, variant.shown, variant.hidden); });
    if (data instanceof Uint16Array) {
      if (this.mode !== 'float16') throw new ChannelError('internal', `Layer ${layer} arrived as float16 for an inspection kept as ${this.mode}.`);
      this.float16[layer] = data;
    } else if (this.mode === 'float32') this.float32[layer] = data;
    else if (this.mode === 'float16') this.float16[layer] = encodeFloat16(data);
    else this.keepArrived(layer, data);
    this.arrived[layer] = true;
    const waiting = this.waiters.get(layer);
    this.waiters.delete(layer);
    for (const waiter of waiting ?? []) waiter.resolve();
  }

  /** The run ended: with `error`, layers that never arrived fail the requests waiting for them. */
  end(error?: unknown): void {
    this.ended = { error };
    for (const [layer, waiting] of this.waiters) {
      this.waiters.delete(layer);
      for (const waiter of waiting) waiter.reject(this.missing(layer));
    }
  }

  /** Layers `layers` as float32, waiting for those not computed yet; the map holds them for the caller. */
  async resident(layers: readonly number[], signal?: AbortSignal): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    for (const layer of new Set(layers)) out.set(layer, await this.layer(layer, signal));
    return out;
  }

  /** Whether the mean over heads of `layer` is kept once the layer has arrived. */
  keepsMean(layer: number): boolean {
    return layer < this.meanLayers;
  }

  /** The kept mean over heads of `layer`, which has arrived. */
  mean(layer: number): KeptMean {
    const mean = this.means[layer];
    if (!mean) throw new ChannelError('internal', `The mean over heads of layer ${layer + 1} is not kept.`);
    return mean;
  }

  /** Whether thumbnails are kept for matrices shown with special tokens hidden (`hidden`) or not. */
  keepsThumbnails(hidden: boolean): boolean {
    return this.variants.some((variant) => variant.hidden === hidden);
  }

  /** Layer `layer`'s kept thumbnails, which has arrived, with special tokens hidden or not. */
  thumbnails(layer: number, hidden: boolean): Float32Array {
    const kept = this.pooled[this.variants.findIndex((variant) => variant.hidden === hidden)]?.[layer];
    if (!kept) throw new ChannelError('internal', `No thumbnails are kept for layer ${layer + 1}.`);
    return kept;
  }

  /** Waits until layers `layers` have arrived, without making them resident. */
  async arrivals(layers: readonly number[], signal?: AbortSignal): Promise<void> {
    for (const layer of new Set(layers)) {
      this.checkLayer(layer);
      if (!this.arrived[layer]) await this.arrival(layer, signal);
    }
  }

  /** Forgets everything; requests still waiting fail with `reason`. */
  drop(reason: ChannelError): void {
    this.dropped = reason;
    this.float32.length = 0;
    this.float16.length = 0;
    this.means.length = 0;
    for (const kept of this.pooled) kept.length = 0;
    this.decoded.clear();
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.reject(reason);
    this.waiters.clear();
    this.ended ??= { error: reason };
    // Its means, thumbnails and the run's stage inputs (through `recompute`) go before the next run grows.
    this.collect();
  }

  private async layer(layer: number, signal?: AbortSignal): Promise<Float32Array> {
    this.checkLayer(layer);
    if (!this.arrived[layer]) await this.arrival(layer, signal);
    const ready = this.atHand(layer);
    if (ready) return ready;
    // Decoding a layer holds the engine's thread for a while, and recomputing one its cores (0.3 s
    // and 3 s at 4096 tokens of a 0.5B model): the views answered meanwhile go to the host first.
    if (!this.recomputing.has(layer)) await abortable(this.settle(), signal);
    if (this.dropped) throw this.dropped;
    const settled = this.atHand(layer);
    if (settled) return settled;
    const bits = this.float16[layer];
    if (bits) return this.cache(layer, decodeFloat16(bits));
    return abortable(this.recomputed(layer), signal);
  }

  // Layer `layer` as float32 if it is at hand (kept so, or decoded and cached), marked as just used.
  private atHand(layer: number): Float32Array | undefined {
    const kept = this.float32[layer];
    if (kept) return kept;
    const hit = this.decoded.get(layer);
    if (hit) {
      this.decoded.delete(layer);
      this.decoded.set(layer, hit);
    }
    return hit;
  }

  // One recompute per layer however many requests want it; an abandoned request lets it finish for the cache.
  private recomputed(layer: number): Promise<Float32Array> {
    let running = this.recomputing.get(layer);
    if (!running) {
      // Room for its working memory first (a view reading a dropped layer holds it until answered).
      this.trim(this.computingLayers);
      running = this.recompute(layer).then((data) => this.cache(layer, data)).finally(() => this.recomputing.delete(layer));
      this.recomputing.set(layer, running);
    }
    return running;
  }

  private arrival(layer: number, signal?: AbortSignal): Promise<void> {
    if (this.ended) return Promise.reject(this.missing(layer));
    // A request aborted already waits for nothing: no abort event would come to take its waiter back.
    if (signal?.aborted) return abortable(Promise.resolve(), signal);
    return abortable(new Promise<void>((resolve, reject) => {
      const waiting = this.waiters.get(layer) ?? new Set<Waiter>();
      this.waiters.set(layer, waiting);
      const waiter: Waiter = { resolve, reject };
      waiting.add(waiter);
      signal?.addEventListener('abort', () => waiting.delete(waiter), { once: true });
    }), signal);
  }

  // Recompute mode: the run goes on after this layer, so it is kept only where the plan leaves room
  // for the next layer's working memory beside it; a view of it then waits for the run to end and
  // recomputes it (the stage inputs are complete only then).
  private keepArrived(layer: number, data: Float32Array): void {
    if (this.computingLayers > 0) this.cache(layer, data);
    if (!this.trim(this.computingLayers) && this.computingLayers === 0) this.collect();
  }

  private cache(layer: number, data: Float32Array): Float32Array {
    this.decoded.delete(layer);
    this.decoded.set(layer, data);
    this.trim(this.cacheLayers);
    return data;
  }

  // Least recently used out until at most `most` decoded layers are kept; says whether any went (and
  // was collected).
  private trim(most: number): boolean {
    if (this.decoded.size <= most) return false;
    while (this.decoded.size > most) this.decoded.delete(this.decoded.keys().next().value!);
    this.collect();
    return true;
  }

  private missing(layer: number): unknown {
    const error = this.ended?.error;
    if (error) return error;
    return new ChannelError('attention-incomplete', `Layer ${layer + 1} was never computed: the inspection ended before it.`);
  }

  private checkLayer(layer: number): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.shape.layers) {
      throw new ChannelError('bad-request', `There is no layer ${layer}: the model has layers 0..${this.shape.layers - 1}.`);
    }
  }
}

/** `promise`, or a rejection with code 'cancelled' as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  const cancelled = () => new ChannelError('cancelled', 'The request was cancelled.');
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
