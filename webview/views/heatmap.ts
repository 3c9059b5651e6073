// Weights to pixels through a precomputed colour table: one multiply, one truncation and one table
// read per pixel, written as whole 32-bit pixels. No per-pixel colour maths and no fillRect per cell,
// which is what keeps a redraw of a canvas-sized matrix within a frame.
import { HEAT_STEPS } from '../palette';

/** Paints row-major values into every pixel of `image` (width × height of them), scaled so `max` gets the hottest colour. */
export function paintHeat(values: Float32Array, max: number, lut: Uint32Array, image: ImageData): void {
  const count = image.width * image.height;
  const pixels = new Uint32Array(image.data.buffer, image.data.byteOffset, count);
  const scale = max > 0 ? (HEAT_STEPS - 1) / max : 0;
  const top = HEAT_STEPS - 1;
  for (let i = 0; i < count; i++) {
    // `| 0` truncates; +0.5 rounds. NaN (and a value past the end) becomes 0, the background colour.
    let step = (values[i] * scale + 0.5) | 0;
    if (step > top) step = top;
    else if (step < 0) step = 0;
    pixels[i] = lut[step];
  }
}

/** A width × height canvas of row-major values painted through `lut`, scaled so `max` is the hottest. */
export function heatImage(values: Float32Array, width: number, height: number, max: number, lut: Uint32Array): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, width);
  canvas.height = Math.max(1, height);
  const image = new ImageData(canvas.width, canvas.height);
  paintHeat(values, max, lut, image);
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}
