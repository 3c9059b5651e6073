// One query's attention row for a view state, fast enough for every mouse move. The extension host
// is shared with every other extension, so a hover may cost one row, never a T×T recomputation:
// aggregates over heads are computed once per (layer, aggregate) and kept, and rollout rows are
// computed as a vector through the cached per-layer step matrices (O(L·T²) per row instead of the
// O(L·T³) of a full rollout). No `vscode` import.
import { maxOverHeads, meanOverHeads, residualAttention, selectHead } from '../attention';
import type { ViewState } from '../protocol';
import { headChoice } from '../viewState';

// Each aggregate is T² floats (1 MiB at 512 tokens); a few cover flipping between layers.
const AGGREGATES_KEPT = 4;
// Rollout rows already computed, per layer; cleared whole when it grows past this.
const ROLLOUT_ROWS_KEPT = 4096;

export class AttentionRows {
  private readonly aggregates = new Map<string, Float32Array>();
  private steps: Float64Array[] | undefined;
  private readonly rolloutRows = new Map<string, Float32Array>();

  /** `layers[l]` is Float32 [heads][T][T], as the engine sends it. */
  constructor(
    private readonly layers: readonly Float32Array[],
    readonly heads: number,
    readonly tokens: number,
  ) {}

  /** How much query `query` attends to each key under `view`; a view into a cache, do not write. */
  row(query: number, view: ViewState): Float32Array {
    const T = this.tokens;
    if (!Number.isInteger(query) || query < 0 || query >= T) throw new RangeError(`query ${query} is outside 0..${T - 1}`);
    const head = headChoice(view);
    if (head === 'rollout') return this.rolloutRow(query, view.layer);
    const matrix = typeof head === 'number'
      ? selectHead(this.layer(view.layer), this.heads, T, head)
      : this.aggregate(view.layer, head);
    return matrix.subarray(query * T, (query + 1) * T);
  }

  private layer(index: number): Float32Array {
    const layer = this.layers[index];
    if (!layer) throw new RangeError(`layer ${index} is outside 0..${this.layers.length - 1}`);
    return layer;
  }

  private aggregate(layer: number, kind: 'mean' | 'max'): Float32Array {
    const key = `${kind}:${layer}`;
    let matrix = this.aggregates.get(key);
    if (matrix) {
      // Re-insert so the map's order is least recently used first.
      this.aggregates.delete(key);
    } else {
      const data = this.layer(layer);
      matrix = kind === 'mean' ? meanOverHeads(data, this.heads, this.tokens) : maxOverHeads(data, this.heads, this.tokens);
      if (this.aggregates.size >= AGGREGATES_KEPT) this.aggregates.delete(this.aggregates.keys().next().value!);
    }
    this.aggregates.set(key, matrix);
    return matrix;
  }

  // rollout_l = A'_l · A'_(l-1) · … · A'_0, so row q is e_q·A'_l, then times each earlier step.
  private rolloutRow(query: number, layer: number): Float32Array {
    const key = `${layer}:${query}`;
    const cached = this.rolloutRows.get(key);
    if (cached) return cached;
    const T = this.tokens;
    let vector = new Float64Array(T);
    vector.set(this.step(layer).subarray(query * T, (query + 1) * T));
    let next = new Float64Array(T);
    for (let l = layer - 1; l >= 0; l--) {
      const step = this.step(l);
      next.fill(0);
      for (let j = 0; j < T; j++) {
        const v = vector[j];
        if (v === 0) continue; // causal rows are zero past the query: skip their whole step row
        const base = j * T;
        for (let k = 0; k < T; k++) next[k] += v * step[base + k];
      }
      [vector, next] = [next, vector];
    }
    const row = new Float32Array(vector);
    if (this.rolloutRows.size >= ROLLOUT_ROWS_KEPT) this.rolloutRows.clear();
    this.rolloutRows.set(key, row);
    return row;
  }

  private step(layer: number): Float64Array {
    const steps = (this.steps ??= []);
    return (steps[layer] ??= residualAttention(this.layer(layer), this.heads, this.tokens));
  }
}
