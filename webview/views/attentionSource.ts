// The attention an inspection has received so far, and the matrices the views show from it: one head,
// the mean or max over heads, or the rollout, with special tokens optionally hidden. Views ask for a
// matrix by state; results are cached because hovering redraws often and the state rarely changes.
import { hideTokens, maxOverHeads, meanOverHeads, selectHead, checkLayerShape } from '../../src/attention/index';
import type { ModelInfo, Token } from '../../src/protocol';
import type { Aggregation } from '../state';

/** A square matrix as drawn: row/column r stands for token `kept[r]`. */
export interface ShownMatrix {
  values: Float32Array;
  size: number;
  kept: readonly number[];
  /** Token index → row/column in this matrix, or -1 for a hidden token. */
  position: Int32Array;
  /** The largest value, which the colour scale runs to. */
  max: number;
  renormalised: boolean;
}

/** Why a matrix cannot be drawn yet. */
export type Pending = { pending: 'layer'; layer: number } | { pending: 'rollout' };

/** Which matrix to show: the parts of the view state that pick one. */
export interface MatrixChoice {
  layer: number;
  head: number;
  aggregation: Aggregation;
  hideSpecial: boolean;
}

// Enough for every head of a 12-head layer plus a few aggregates; each entry is at most T² floats.
const CACHE_LIMIT = 40;

export class AttentionSource {
  readonly T: number;
  readonly heads: number;
  readonly layerCount: number;
  private readonly layers: (Float32Array | undefined)[];
  private readonly cache = new Map<string, ShownMatrix>();
  private rolloutByLayer: Float32Array[] = [];
  private readonly special: Set<number>;
  private readonly everyToken: Int32Array;
  private readonly allTokens: number[];

  constructor(readonly model: ModelInfo, readonly tokens: readonly Token[]) {
    this.T = tokens.length;
    this.heads = model.heads;
    this.layerCount = model.layers;
    this.layers = new Array<Float32Array | undefined>(model.layers).fill(undefined);
    this.special = new Set(tokens.flatMap((token, i) => (token.special ? [i] : [])));
    this.everyToken = Int32Array.from({ length: this.T }, (_, i) => i);
    this.allTokens = Array.from({ length: this.T }, (_, i) => i);
  }

  /** Stores one layer's [heads][T][T] attention; throws a RangeError on a wrong shape. */
  addLayer(layer: number, data: Float32Array): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layerCount) {
      throw new RangeError(`layer ${layer} is outside 0..${this.layerCount - 1}`);
    }
    checkLayerShape(data, this.heads, this.T);
    this.layers[layer] = data;
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${layer}:`) || key.startsWith('r')) this.cache.delete(key);
  }

  has(layer: number): boolean {
    return this.layers[layer] !== undefined;
  }

  /** How many layers have arrived. */
  received(): number {
    return this.layers.reduce((n, layer) => n + (layer ? 1 : 0), 0);
  }

  /** Whether token `i` is hidden when special tokens are hidden. */
  isSpecial(i: number): boolean {
    return this.special.has(i);
  }

  /** One head's raw T×T matrix (a view into the layer), or undefined before the layer arrives. */
  rawHead(layer: number, head: number): Float32Array | undefined {
    const data = this.layers[layer];
    return data && selectHead(data, this.heads, this.T, head);
  }

  /** Token indices left when `hideSpecial` is on (all of them otherwise). */
  visibleTokens(hideSpecial: boolean): number[] {
    return hideSpecial ? this.allTokens.filter((i) => !this.special.has(i)) : [...this.allTokens];
  }

  /** The matrix for a choice of layer, head and aggregation, or why it is not ready. */
  matrix(choice: MatrixChoice): ShownMatrix | Pending {
    const { layer, head, aggregation, hideSpecial } = choice;
    const hide = hideSpecial && this.special.size > 0;
    const key = aggregation === 'rollout' ? `r${layer}:${hide}` : `${layer}:${aggregation}:${aggregation === 'head' ? head : ''}:${hide}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting keeps recently used entries at the end.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    let full: Float32Array;
    if (aggregation === 'rollout') {
      const missing = this.firstMissing(layer);
      if (missing !== undefined) return { pending: 'layer', layer: missing };
      if (this.rolloutByLayer.length <= layer) return { pending: 'rollout' };
      full = this.rolloutByLayer[layer];
    } else {
      const data = this.layers[layer];
      if (!data) return { pending: 'layer', layer };
      full =
        aggregation === 'head' ? selectHead(data, this.heads, this.T, head)
        : aggregation === 'mean' ? meanOverHeads(data, this.heads, this.T)
        : maxOverHeads(data, this.heads, this.T);
    }
    const shown = hide ? this.hidden(full) : this.whole(full);
    this.cache.set(key, shown);
    if (this.cache.size > CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    return shown;
  }

  /**
   * The layers the rollout needs next: every layer that has arrived in an unbroken run from layer
   * 0, or undefined when the rollout through them is already known. The rollout costs O(L·T³)
   * (about a second for 12 layers of 512 tokens), so the app computes it off the main thread
   * (webview/rolloutComputer.ts), and only when rollout is asked for.
   */
  rolloutInput(): Float32Array[] | undefined {
    const prefix: Float32Array[] = [];
    for (const data of this.layers) {
      if (!data) break;
      prefix.push(data);
    }
    return prefix.length > this.rolloutByLayer.length ? prefix : undefined;
  }

  /** Stores the cumulative rollout after each of layers 0..n−1, computed from `rolloutInput()`. */
  setRollout(byLayer: Float32Array[]): void {
    if (byLayer.length <= this.rolloutByLayer.length) return;
    this.rolloutByLayer = byLayer;
    for (const key of [...this.cache.keys()]) if (key.startsWith('r')) this.cache.delete(key);
  }

  private firstMissing(upTo: number): number | undefined {
    for (let l = 0; l <= upTo; l++) if (!this.layers[l]) return l;
    return undefined;
  }

  private whole(values: Float32Array): ShownMatrix {
    return { values, size: this.T, kept: this.allTokens, position: this.everyToken, max: maxOf(values), renormalised: false };
  }

  private hidden(values: Float32Array): ShownMatrix {
    const visible = hideTokens(values, this.T, this.special);
    const position = new Int32Array(this.T).fill(-1);
    visible.kept.forEach((token, r) => (position[token] = r));
    return { values: visible.matrix, size: visible.size, kept: visible.kept, position, max: maxOf(visible.matrix), renormalised: true };
  }
}

/** Type guard: a matrix rather than a reason it is not ready. */
export function isReady(m: ShownMatrix | Pending): m is ShownMatrix {
  return !('pending' in m);
}

function maxOf(values: Float32Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  return max;
}
