// The rollout as the views read it: the whole matrix where computing it stays interactive
// (RolloutMatrices), else rows and columns stepped through the layers (RolloutRows), each step from
// the layer's kept mean where the holder of the layers keeps one. Rows and columns are cached per token.
import { BoundedCache } from './boundedCache';
import type { MeanAccess } from './headMeans';
import { keptRowSums } from './pool';
import { RolloutMatrices } from './rolloutMatrices';
import { RolloutRows, type LayerAccess } from './rolloutRows';

// Rows are T floats; thousands of them cover hovering along a long input.
const ROWS_KEPT = 4096;
const ROW_BYTES = 64 * 2 ** 20;

/** Rollout matrices, rows and columns of one inspection, computed on demand and cached. */
export class RolloutView {
  private readonly rows = new BoundedCache<Float32Array>(ROWS_KEPT, ROW_BYTES);
  private readonly stepped: RolloutRows;
  private readonly matrices: RolloutMatrices;

  constructor(readonly T: number, heads: number, causal: boolean, layer: LayerAccess, means?: MeanAccess) {
    this.stepped = new RolloutRows(T, heads, layer, means);
    this.matrices = new RolloutMatrices(T, heads, causal, layer);
  }

  /**
   * What rollout through `layer` reads: the whole matrix, every layer's heads (none past the limit);
   * a row or a column, each layer's kept mean where there is one and its heads where there is not.
   */
  reads(layer: number, whole: boolean): { layers: number[]; means: number[] } {
    const all = Array.from({ length: layer + 1 }, (_, l) => l);
    if (whole) return { layers: this.matrices.tooSlow(layer) ? [] : all, means: [] };
    return { layers: all.filter((l) => !this.stepped.fromMean(l)), means: all.filter((l) => this.stepped.fromMean(l)) };
  }

  /** Whether the whole matrix through `layer` would take too long to compute while the user waits. */
  tooSlow(layer: number): boolean {
    return this.matrices.tooSlow(layer);
  }

  /** Why the whole matrix is not shown, in the user's words. */
  reason(layer: number): string {
    return this.matrices.reason(layer);
  }

  /** The T×T rollout through `layer`. */
  matrix(layer: number): Float32Array {
    return this.matrices.through(layer);
  }

  /** How much `query` attends to each token after rollout through `layer`. */
  row(layer: number, query: number): Float32Array {
    const { T } = this;
    const whole = this.matrices.cached(layer);
    if (whole) return whole.subarray(query * T, (query + 1) * T);
    const key = `r${layer}:${query}`;
    return this.rows.get(key) ?? this.rows.set(key, Float32Array.from(this.stepped.row(query, layer)));
  }

  /** How much each token attends to `key` after rollout through `layer`. */
  column(layer: number, key: number): Float32Array {
    const { T } = this;
    const whole = this.matrices.cached(layer);
    if (whole) return Float32Array.from({ length: T }, (_, q) => whole[q * T + key]);
    const cacheKey = `c${layer}:${key}`;
    const hit = this.rows.get(cacheKey);
    if (hit) return hit;
    const start = new Float64Array(T);
    start[key] = 1;
    return this.rows.set(cacheKey, Float32Array.from(this.stepped.column(start, layer)));
  }

  /** Each token's row sum over the `kept` keys of the rollout through `layer` (`every` lists all tokens). */
  keptSums(layer: number, every: Int32Array, kept: Int32Array): Float64Array {
    const whole = this.matrices.cached(layer);
    if (whole) return keptRowSums(whole, this.T, every, kept);
    // rollout · (1 over kept keys) gives every row's kept sum in one pass through the layers.
    const ones = new Float64Array(this.T);
    for (const k of kept) ones[k] = 1;
    return this.stepped.column(ones, layer).map((sum) => (sum === 0 ? 1 : sum));
  }

  /** Drops every cached result (the layers changed). */
  clear(): void {
    this.rows.clear();
    this.matrices.clear();
    this.stepped.clear();
  }
}
