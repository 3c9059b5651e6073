// The colours data is drawn in: one colour per head for the head view, and the heat ramp for the
// matrix, the model view thumbnails and the token strip.
import { mixOklab, packPixel, type Rgba } from './views/color';

/**
 * Head colours, distinguishable with normal vision and under simulated protanopia, deuteranopia and
 * tritanopia (every pair at least 0.057 apart in OKLab after simulation), and with at least 3:1
 * contrast on a dark editor and 2:1 on a white one, so lines show on either. The first six are the
 * Okabe–Ito colours; the rest were picked one at a time as the candidate farthest from all before.
 */
export const HEAD_COLORS: readonly string[] = [
  '#E69F00', '#56B4E9', '#009E73', '#D55E00', '#CC79A7', '#0072B2',
  '#A569FF', '#C3B4A5', '#696969', '#960FFF', '#B44B2D', '#C32DC3',
  '#87C369', '#D20F96', '#8796FF', '#D296C3', '#E1783C', '#00B469',
];

/** The colour of head `h`; past the palette's end colours repeat (the legend still names each head). */
export function headColor(h: number): string {
  return HEAD_COLORS[h % HEAD_COLORS.length];
}

/** Entries in a heat lookup table: weights are bucketed to 1/1023. */
export const HEAT_STEPS = 1024;

/**
 * A lookup table from a weight scaled to [0, 1] (index = round(w·1023)) to a packed pixel, running
 * from the background through the accent towards the foreground. Lightness moves away from the background the whole way, in dark
 * and light themes alike. The square root spreads the small weights most attention rows are made of.
 */
export function heatLut(background: Rgba, accent: Rgba, foreground: Rgba): Uint32Array {
  const lut = new Uint32Array(HEAT_STEPS);
  for (let i = 0; i < HEAT_STEPS; i++) lut[i] = packPixel(heatColor(background, accent, foreground, Math.sqrt(i / (HEAT_STEPS - 1))));
  return lut;
}

/** The ramp's colour at position `t` in [0, 1] (after the square root), for legends. */
export function heatColor(background: Rgba, accent: Rgba, foreground: Rgba, t: number): Rgba {
  // Ending half way from the accent to the foreground keeps the hottest cells in the accent's hue
  // while still the farthest in lightness from the background.
  return t < 0.6 ? mixOklab(background, accent, t / 0.6) : mixOklab(accent, foreground, ((t - 0.6) / 0.4) * 0.55);
}
