// Answers the views' requests (src/protocol.ts, "views on demand") from an inspection's layers, so
// only what a view shows leaves the process that holds the attention. Pure: the layers come from an
// accessor, and the caller (the engine's store, or LocalAttention) makes them resident first.
import type { AttentionChoice, AttentionReply, AttentionRequest, MatrixWindow } from '../protocol';
import { BoundedCache } from './boundedCache';
import { HeadAggregates } from './headAggregates';
import type { MeanAccess } from './headMeans';
import { KEPT_THUMBNAIL_SIDE, poolKept, type ThumbnailAccess } from './keptThumbnails';
import { strongestLinks } from './links';
import { keptRowSums, maxOf, poolMax, thumbnail, type MatrixCut } from './pool';
import type { LayerAccess } from './rolloutRows';
import { RolloutView } from './rolloutView';
import { topK } from './topk';

/** What AttentionViews needs to know of an inspection: tokens, heads, layers and which tokens are special. */
export interface AttentionShape {
  T: number;
  heads: number;
  layers: number;
  /** Per token: hidden when a view hides special tokens. */
  special: readonly boolean[];
  /** Causal models' rows are zero past the diagonal, which makes the full rollout cheaper. */
  causal?: boolean;
}

// Kept-key sums are T float64s per choice, for the received view with special tokens hidden.
const SUMS_KEPT = 64;
const SUM_BYTES = 64 * 2 ** 20;

// What a request reads: layers made resident, and layers whose kept means or thumbnails it reads instead.
interface ViewReads {
  layers: number[];
  kept: number[];
}

/**
 * The views of one inspection's attention: `answer` computes any AttentionRequest from the layers
 * and, where the holder keeps them, each layer's mean over heads and pooled thumbnails; `needs` and
 * `needsKept` say which it reads. Caches aggregates, rollout matrices and rows it reuses.
 */
export class AttentionViews {
  readonly T: number;
  readonly heads: number;
  readonly layerCount: number;
  private readonly everyToken: Int32Array;
  private readonly keptTokens: Int32Array;
  private readonly special: readonly boolean[];
  private readonly overHeads: HeadAggregates;
  private readonly sums = new BoundedCache<Float64Array>(SUMS_KEPT, SUM_BYTES);
  private readonly rollout: RolloutView;

  /**
   * `layer(l)` returns layer l as Float32 [heads][T][T]; it is called only for layers `needs` named.
   * `means` and `thumbnails`, where given, are read only for the layers `needsKept` named.
   */
  constructor(shape: AttentionShape, private readonly layer: LayerAccess, means?: MeanAccess, private readonly pooled?: ThumbnailAccess) {
    const { T, heads, layers, special } = shape;
    if (special.length !== T) throw new RangeError(`special has ${special.length} entries for ${T} tokens`);
    this.T = T;
    this.heads = heads;
    this.layerCount = layers;
    this.special = special;
    this.everyToken = Int32Array.from({ length: T }, (_, i) => i);
    this.keptTokens = this.everyToken.filter((i) => !special[i]);
    this.overHeads = new HeadAggregates(T, heads, layer, means);
    this.rollout = new RolloutView(T, heads, shape.causal === true, layer, means);
  }

  /** The layers `answer(request)` reads, in increasing order: rollout through layer l reads those of 0..l without a kept mean. */
  needs(request: AttentionRequest): number[] {
    return this.reads(request).layers;
  }

  /** The layers whose kept means or thumbnails `answer(request)` reads instead of their heads: they must have arrived. */
  needsKept(request: AttentionRequest): number[] {
    return this.reads(request).kept;
  }

  /** The reply to `request`, computed from the layers `needs(request)` names. */
  answer(request: AttentionRequest): AttentionReply {
    switch (request.type) {
      case 'matrix':
        return this.matrix(request.choice, request.window, request.cells);
      case 'row':
        return { type: 'row', values: this.shownRow(request.choice, request.token, request.received).buffer };
      case 'headRows':
        return { type: 'headRows', heads: this.heads, values: this.headRows(request).buffer };
      case 'topk': {
        const row = this.shownRow(request.choice, request.token, request.received);
        const best = topK(row, request.k, this.hiding(request.choice.hideSpecial) ? this.special : undefined);
        return { type: 'topk', tokens: best.map((b) => b.index), weights: best.map((b) => b.weight) };
      }
      case 'links': {
        const heads = request.heads.map((h) => ({ h, cut: this.cut(this.headMatrix(request.layer, h), request.hideSpecial) }));
        return strongestLinks(heads, request.budget);
      }
      case 'thumbnails':
        return this.thumbnails(request.layers, request.pixels, request.hideSpecial);
    }
  }

  /** Drops every cached result (the caller's layers changed, or memory is wanted back). */
  clear(): void {
    this.overHeads.clear();
    this.sums.clear();
    this.rollout.clear();
  }

  private matrix(choice: AttentionChoice, window: MatrixWindow | undefined, cells: number): AttentionReply {
    this.checkChoice(choice);
    if (choice.aggregation === 'rollout' && this.rollout.tooSlow(choice.layer)) {
      return { type: 'unavailable', reason: this.rollout.reason(choice.layer) };
    }
    const kept = this.kept(choice.hideSpecial);
    const shown = clampWindow(window, kept.length);
    const cut: MatrixCut = { matrix: this.matrixOf(choice), T: this.T, rows: kept.subarray(shown.q0, shown.q1), cols: kept.subarray(shown.k0, shown.k1) };
    if (this.hiding(choice.hideSpecial)) cut.rowSums = keptRowSums(cut.matrix, this.T, cut.rows, kept);
    const most = Math.max(1, Math.floor(cells));
    const rows = Math.min(cut.rows.length, most);
    const cols = Math.min(cut.cols.length, most);
    const values = poolMax(cut, rows, cols);
    const pooled = rows < cut.rows.length || cols < cut.cols.length;
    return { type: 'matrix', window: shown, rows, cols, pooled, max: maxOf(values), values: values.buffer };
  }

  // From the kept thumbnails where the holder keeps them (never larger than they are kept: the page
  // scales them up), else pooled from the layers' heads.
  private thumbnails(layers: number[], pixels: number, hideSpecial: boolean): AttentionReply {
    const fromKept = this.keptThumbnails(hideSpecial);
    const side = Math.max(1, Math.min(Math.floor(pixels), fromKept ? KEPT_THUMBNAIL_SIDE : Infinity));
    const values = new Float32Array(layers.length * this.heads * side * side);
    const max = new Float32Array(layers.length * this.heads);
    const area = KEPT_THUMBNAIL_SIDE * KEPT_THUMBNAIL_SIDE;
    layers.forEach((l, i) => {
      const kept = fromKept ? this.pooled!.thumbnails(this.checkLayer(l), this.hiding(hideSpecial)) : undefined;
      for (let h = 0; h < this.heads; h++) {
        const pooled = kept ? poolKept(kept.subarray(h * area, (h + 1) * area), side)
          : thumbnail(this.cut(this.headMatrix(l, h), hideSpecial), side);
        const at = i * this.heads + h;
        values.set(pooled, at * side * side);
        max[at] = maxOf(pooled);
      }
    });
    return { type: 'thumbnails', layers: [...layers], heads: this.heads, pixels: side, values: values.buffer, max: max.buffer };
  }

  private headRows(request: Extract<AttentionRequest, { type: 'headRows' }>): Float32Array<ArrayBuffer> {
    const out = new Float32Array(this.heads * this.T);
    for (let h = 0; h < this.heads; h++) {
      const choice: AttentionChoice = { layer: request.layer, aggregation: 'head', head: h, hideSpecial: request.hideSpecial };
      out.set(this.shownRow(choice, request.token, request.received), h * this.T);
    }
    return out;
  }

  // The shown row (or column with `received`) in token order: hidden tokens 0, and with special
  // tokens hidden every value divided by its query row's sum over kept keys, as the matrix shows it.
  private shownRow(choice: AttentionChoice, token: number, received: boolean): Float32Array<ArrayBuffer> {
    this.checkChoice(choice);
    if (!Number.isInteger(token) || token < 0 || token >= this.T) throw new RangeError(`token ${token} is outside 0..${this.T - 1}`);
    const raw = received ? this.rawColumn(choice, token) : this.rawRow(choice, token);
    if (!this.hiding(choice.hideSpecial)) return Float32Array.from(raw);
    const out = new Float32Array(this.T);
    const kept = this.keptTokens;
    if (received) {
      if (this.special[token]) return out;
      const sums = this.keptSums(choice);
      for (const q of kept) out[q] = raw[q] / sums[q];
    } else {
      if (this.special[token]) return out;
      let sum = 0;
      for (const k of kept) sum += raw[k];
      for (const k of kept) out[k] = raw[k] / (sum === 0 ? 1 : sum);
    }
    return out;
  }

  // How much `query` attends to each token under the choice, before hiding anything.
  private rawRow(choice: AttentionChoice, query: number): Float32Array {
    const { T } = this;
    const { layer, aggregation } = choice;
    if (aggregation === 'head') return this.headMatrix(layer, choice.head).subarray(query * T, (query + 1) * T);
    if (aggregation === 'rollout') return this.rollout.row(layer, query);
    return this.overHeads.row(aggregation, layer, query);
  }

  // How much each token attends to `key` under the choice, before hiding anything.
  private rawColumn(choice: AttentionChoice, key: number): Float32Array {
    const { T } = this;
    if (choice.aggregation === 'rollout') return this.rollout.column(choice.layer, key);
    const matrix = this.matrixOf(choice);
    const out = new Float32Array(T);
    for (let q = 0; q < T; q++) out[q] = matrix[q * T + key];
    return out;
  }

  // Each query row's sum over kept keys, by token, for the received view with special tokens hidden.
  private keptSums(choice: AttentionChoice): Float64Array {
    const key = `${choice.aggregation}:${choice.layer}:${choice.aggregation === 'head' ? choice.head : ''}`;
    const hit = this.sums.get(key);
    if (hit) return hit;
    const sums = choice.aggregation === 'rollout'
      ? this.rollout.keptSums(choice.layer, this.everyToken, this.keptTokens)
      : keptRowSums(this.matrixOf(choice), this.T, this.everyToken, this.keptTokens);
    return this.sums.set(key, sums);
  }

  // The whole T×T matrix the choice shows before hiding: a view into the layer for one head.
  private matrixOf(choice: AttentionChoice): Float32Array {
    const { layer, aggregation } = choice;
    if (aggregation === 'head') return this.headMatrix(layer, choice.head);
    if (aggregation === 'rollout') return this.rollout.matrix(layer);
    return this.overHeads.matrix(aggregation, layer);
  }

  private headMatrix(layer: number, head: number): Float32Array {
    this.checkLayer(layer);
    if (!Number.isInteger(head) || head < 0 || head >= this.heads) throw new RangeError(`head ${head} is outside 0..${this.heads - 1}`);
    const size = this.T * this.T;
    return this.layer(layer).subarray(head * size, (head + 1) * size);
  }

  // A whole matrix as shown: kept rows and columns, each row renormalised over kept keys when hiding.
  private cut(matrix: Float32Array, hideSpecial: boolean): MatrixCut {
    const kept = this.kept(hideSpecial);
    const cut: MatrixCut = { matrix, T: this.T, rows: kept, cols: kept };
    if (this.hiding(hideSpecial)) cut.rowSums = keptRowSums(matrix, this.T, kept, kept);
    return cut;
  }

  // Hiding only changes anything when some token is special; otherwise rows are shown as they are.
  private hiding(hideSpecial: boolean): boolean {
    return hideSpecial && this.keptTokens.length < this.T;
  }

  private kept(hideSpecial: boolean): Int32Array {
    return this.hiding(hideSpecial) ? this.keptTokens : this.everyToken;
  }

  private keptThumbnails(hideSpecial: boolean): boolean {
    return this.pooled?.keeps(this.hiding(hideSpecial)) === true;
  }

  private reads(request: AttentionRequest): ViewReads {
    switch (request.type) {
      case 'matrix':
      case 'row':
      case 'topk':
        return this.choiceReads(request.choice, request.type === 'matrix');
      case 'headRows':
      case 'links':
        return { layers: [this.checkLayer(request.layer)], kept: [] };
      case 'thumbnails': {
        const layers = [...new Set(request.layers.map((l) => this.checkLayer(l)))].sort((a, b) => a - b);
        return this.keptThumbnails(request.hideSpecial) ? { layers: [], kept: layers } : { layers, kept: [] };
      }
    }
  }

  // The mean over heads reads the kept mean where there is one; a head or the max reads the heads.
  private choiceReads(choice: AttentionChoice, whole: boolean): ViewReads {
    const layer = this.checkLayer(choice.layer);
    if (choice.aggregation === 'rollout') {
      const { layers, means } = this.rollout.reads(layer, whole);
      return { layers, kept: means };
    }
    const fromMean = choice.aggregation === 'mean' && this.overHeads.fromMean('mean', layer);
    return fromMean ? { layers: [], kept: [layer] } : { layers: [layer], kept: [] };
  }

  private checkChoice(choice: AttentionChoice): void {
    this.checkLayer(choice.layer);
    if (choice.aggregation === 'head' && !(Number.isInteger(choice.head) && choice.head >= 0 && choice.head < this.heads)) {
      throw new RangeError(`head ${choice.head} is outside 0..${this.heads - 1}`);
    }
  }

  private checkLayer(layer: number): number {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layerCount) throw new RangeError(`layer ${layer} is outside 0..${this.layerCount - 1}`);
    return layer;
  }
}

// The window within n shown positions, empty or whole spans clamped rather than refused: a view
// may ask with a window from before the user toggled hiding special tokens.
function clampWindow(window: MatrixWindow | undefined, n: number): MatrixWindow {
  const clamp = (x: number) => Math.min(n, Math.max(0, Math.floor(x)));
  if (!window) return { q0: 0, q1: n, k0: 0, k1: n };
  const q0 = clamp(window.q0);
  const k0 = clamp(window.k0);
  return { q0, q1: Math.max(q0, clamp(window.q1)), k0, k1: Math.max(k0, clamp(window.k1)) };
}
