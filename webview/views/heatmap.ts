// Weights to pixels through a precomputed colour table: one multiply, one truncation and one table
// read per pixel, written as whole 32-bit pixels. No per-pixel colour maths and no fillRect per cell,
// which is what keeps a 512×512 redraw within a frame.
import { HEAT_STEPS } from '../palette';

/** Paints a size×size matrix into `image` (size×size pixels), scaled so `max` gets the hottest colour. */
export function paintHeat(values: Float32Array, size: number, max: number, lut: Uint32Array, image: ImageData): void {
  const pixels = new Uint32Array(image.data.buffer, image.data.byteOffset, size * size);
  const scale = max > 0 ? (HEAT_STEPS - 1) / max : 0;
  const top = HEAT_STEPS - 1;
  for (let i = 0; i < size * size; i++) {
    // `| 0` truncates; +0.5 rounds. NaN becomes 0, the background colour.
    let step = (values[i] * scale + 0.5) | 0;
    if (step > top) step = top;
    else if (step < 0) step = 0;
    pixels[i] = lut[step];
  }
}

/**
 * Downsamples one head to side×side values in `pooled` and returns their maximum. Where several cells
 * share a pixel the pixel shows their maximum, so a thin diagonal (attend to the previous token)
 * survives shrinking 512 rows into 48. Only tokens in `kept` are drawn; with `renormalise`, each row
 * is rescaled to sum to 1 over them, as the matrix view does when special tokens are hidden.
 */
export function poolThumbnail(
  head: Float32Array,
  T: number,
  kept: readonly number[],
  renormalise: boolean,
  side: number,
  pooled: Float32Array,
): number {
  const n = kept.length;
  pooled.fill(0, 0, side * side);
  if (n >= side && n === T && !renormalise) {
    // Every token shown, nothing rescaled: the common case, without the index indirection. Each
    // source row is reduced one pixel column at a time, over the contiguous run of cells it covers.
    const edges = new Int32Array(side + 1);
    for (let x = 0; x <= side; x++) edges[x] = Math.ceil((x * n) / side);
    for (let r = 0; r < n; r++) {
      const row = r * T;
      const out = (((r * side) / n) | 0) * side;
      for (let x = 0; x < side; x++) {
        let v = pooled[out + x];
        for (let c = row + edges[x], end = row + edges[x + 1]; c < end; c++) if (head[c] > v) v = head[c];
        pooled[out + x] = v;
      }
    }
  } else if (n >= side) {
    const column = new Int32Array(n);
    for (let c = 0; c < n; c++) column[c] = ((c * side) / n) | 0;
    for (let r = 0; r < n; r++) {
      const row = kept[r] * T;
      let scale = 1;
      if (renormalise) {
        let sum = 0;
        for (let c = 0; c < n; c++) sum += head[row + kept[c]];
        scale = sum > 0 ? 1 / sum : 0;
      }
      const out = (((r * side) / n) | 0) * side;
      for (let c = 0; c < n; c++) {
        const v = head[row + kept[c]] * scale;
        if (v > pooled[out + column[c]]) pooled[out + column[c]] = v;
      }
    }
  } else {
    // Fewer tokens than pixels: each pixel samples the one cell it falls in.
    for (let y = 0; y < side; y++) {
      const row = kept[((y * n) / side) | 0] * T;
      let scale = 1;
      if (renormalise) {
        let sum = 0;
        for (let c = 0; c < n; c++) sum += head[row + kept[c]];
        scale = sum > 0 ? 1 / sum : 0;
      }
      for (let x = 0; x < side; x++) pooled[y * side + x] = head[row + kept[((x * n) / side) | 0]] * scale;
    }
  }
  let max = 0;
  for (let i = 0; i < side * side; i++) if (pooled[i] > max) max = pooled[i];
  return max;
}
