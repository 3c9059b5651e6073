// Each head's model-view thumbnail, max-pooled once as its layer arrives, so that the model view never
// makes a layer resident again: at 2048 tokens of a 24-layer model that was every layer decoded from
// float16 (or recomputed) for every resize, seconds and gigabytes. The holder of the layers keeps
// them at KEPT_THUMBNAIL_SIDE pixels a side, which is what thumbnail() gives for that size, and pools
// them again for a smaller canvas: each pixel is still the maximum of the cells it covers, so the
// strongest cell stays visible; for a side dividing KEPT_THUMBNAIL_SIDE the bins are the same ones.
import { binEdges, poolMax } from './pool';
import { float16Table } from './quantize';

// Float16 +∞: larger bits are NaNs, or values with the sign bit.
const POSITIVE_INFINITY_BITS = 0x7c00;

/**
 * The side kept: twice the model view's largest thumbnail (72 CSS pixels), so a HiDPI canvas gets
 * it as is and a 72-pixel one gets bins identical to pooling the layer directly.
 */
export const KEPT_THUMBNAIL_SIDE = 144;

/** The kept thumbnails that views read instead of the layers' heads. */
export interface ThumbnailAccess {
  /** Whether thumbnails are kept for matrices shown with special tokens hidden (`hidden`) or not. */
  keeps(hidden: boolean): boolean;
  /** Layer `layer`'s kept thumbnails, [heads][side][side] with side KEPT_THUMBNAIL_SIDE; read only for arrived layers. */
  thumbnails(layer: number, hidden: boolean): Float32Array;
}

/** Which tokens a kept set of thumbnails shows: all of them, or (`hidden`) those not special. */
export interface ThumbnailVariant {
  hidden: boolean;
  shown: Int32Array;
}

/**
 * The thumbnails kept for tokens whose specialness is `special`: of every token, and with special
 * tokens hidden when there are any; each only where pooling shrinks the matrix (more tokens than
 * KEPT_THUMBNAIL_SIDE), since a smaller one is cheap to pool from its layer.
 */
export function thumbnailVariants(special: readonly boolean[]): ThumbnailVariant[] {
  const every = Int32Array.from(special.keys());
  const notSpecial = every.filter((i) => !special[i]);
  const variants = [{ hidden: false, shown: every }];
  if (notSpecial.length < every.length) variants.push({ hidden: true, shown: notSpecial });
  return variants.filter((v) => v.shown.length > KEPT_THUMBNAIL_SIDE);
}

/** Bytes of every layer's kept thumbnails for an inspection of this shape. */
export function keptThumbnailBytes(shape: { layers: number; heads: number; special: readonly boolean[] }): number {
  return thumbnailVariants(shape.special).length * shape.layers * shape.heads * KEPT_THUMBNAIL_SIDE * KEPT_THUMBNAIL_SIDE * 4;
}

/**
 * Every head of `layer` (float32, or float16 bits) pooled to KEPT_THUMBNAIL_SIDE a side as
 * thumbnail() pools a cut: the rows and columns of tokens `shown` (increasing), each row divided by
 * its sum over the shown keys when `renormalise` (special tokens hidden). Exact: the same values.
 */
export function poolThumbnails(layer: Float32Array | Uint16Array, heads: number, T: number, shown: Int32Array, renormalise: boolean): Float32Array {
  if (layer.length !== heads * T * T) throw new RangeError(`a layer of ${heads} heads × ${T}² has ${heads * T * T} values, not ${layer.length}`);
  const side = KEPT_THUMBNAIL_SIDE;
  const n = shown.length;
  if (n < side) throw new RangeError(`${n} shown tokens are fewer than the ${side} pixels kept`);
  const edges = binEdges(n, side);
  const out = new Float32Array(heads * side * side).fill(Number.NEGATIVE_INFINITY);
  const contiguous = n === T;
  const table = layer instanceof Uint16Array ? float16Table() : undefined;
  for (let h = 0; h < heads; h++) {
    for (let b = 0; b < side; b++) {
      const at = (h * side + b) * side;
      for (let r = edges[b]; r < edges[b + 1]; r++) {
        const from = (h * T + shown[r]) * T;
        if (layer instanceof Float32Array) {
          const divisor = renormalise ? shownSum(layer, from, shown) : 1;
          poolRow(layer, from, shown, contiguous, edges, divisor, out, at);
        } else {
          const divisor = renormalise ? shownHalfSum(layer, table!, from, shown) : 1;
          poolHalfRow(layer, table!, from, shown, contiguous, edges, divisor, out, at);
        }
      }
    }
  }
  return out;
}

/** One head's kept thumbnail (KEPT_THUMBNAIL_SIDE²) pooled again to `side` ≤ KEPT_THUMBNAIL_SIDE a side. */
export function poolKept(kept: Float32Array, side: number): Float32Array<ArrayBuffer> {
  const every = Int32Array.from({ length: KEPT_THUMBNAIL_SIDE }, (_, i) => i);
  return poolMax({ matrix: kept, T: KEPT_THUMBNAIL_SIDE, rows: every, cols: every }, side, side);
}

// A row of float16 bits summed as shownSum sums its decoded values.
function shownHalfSum(bits: Uint16Array, table: Float32Array, from: number, shown: Int32Array): number {
  let sum = 0;
  for (let c = 0; c < shown.length; c++) sum += table[bits[from + shown[c]]];
  return sum === 0 ? 1 : sum;
}

// poolRow over float16 bits, comparing the bits: for halves without the sign bit their order is the
// order of the values (probabilities are never negative), so each bin's largest bits are its largest
// value, decoded once. A bin whose largest bits are a NaN or carry the sign bit is compared decoded.
function poolHalfRow(
  bits: Uint16Array, table: Float32Array, from: number, shown: Int32Array, contiguous: boolean, edges: Int32Array, divisor: number,
  out: Float32Array, at: number,
): void {
  for (let x = 0; x < edges.length - 1; x++) {
    let most = 0;
    if (contiguous) {
      for (let k = from + edges[x], end = from + edges[x + 1]; k < end; k++) if (bits[k] > most) most = bits[k];
    } else {
      for (let c = edges[x]; c < edges[x + 1]; c++) if (bits[from + shown[c]] > most) most = bits[from + shown[c]];
    }
    let best = table[most];
    if (most > POSITIVE_INFINITY_BITS) {
      best = Number.NEGATIVE_INFINITY;
      for (let c = edges[x]; c < edges[x + 1]; c++) {
        const value = table[bits[from + (contiguous ? c : shown[c])]];
        if (value > best) best = value;
      }
    }
    const value = best / divisor;
    if (value > out[at + x]) out[at + x] = value;
  }
}

// A row's sum over the shown keys in key order, in float64, as keptRowSums sums (0 gives 1).
function shownSum(values: Float32Array, from: number, shown: Int32Array): number {
  let sum = 0;
  for (let c = 0; c < shown.length; c++) sum += values[from + shown[c]];
  return sum === 0 ? 1 : sum;
}

// Folds one shown row into its output row: each column bin's maximum, divided by the row's divisor
// (the maximum of a row divided by a positive number is that of the divided row).
function poolRow(
  values: Float32Array, from: number, shown: Int32Array, contiguous: boolean, edges: Int32Array, divisor: number,
  out: Float32Array, at: number,
): void {
  for (let x = 0; x < edges.length - 1; x++) {
    let best = Number.NEGATIVE_INFINITY;
    if (contiguous) {
      for (let k = from + edges[x], end = from + edges[x + 1]; k < end; k++) {
        const value = values[k];
        if (value > best) best = value;
      }
    } else {
      for (let c = edges[x]; c < edges[x + 1]; c++) {
        const value = values[from + shown[c]];
        if (value > best) best = value;
      }
    }
    const value = best / divisor;
    if (value > out[at + x]) out[at + x] = value;
  }
}
