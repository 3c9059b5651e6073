// The head view's lines: batched into one path per head and opacity step, so 512 tokens × 12 heads
// is a few dozen strokes rather than thousands of nodes (BertViz's one SVG line per pair breaks
// near 512 tokens).
import { headColor } from '../palette';
import type { Theme } from '../theme';
import type { ShownMatrix } from './attentionSource';

// Weights below this draw no line: at this opacity a line is invisible anyway.
const MIN_WEIGHT = 0.01;
const ALPHA_STEPS = 16;
// With no token active every row's lines are drawn, and 512 tokens × 12 heads can mean a quarter of
// a million long translucent lines: seconds of rasterising for a haze nobody can read. Past this many
// lines only the strongest opacity steps are drawn, and the caption says so. Lines get longer as the
// canvas gets taller, so long inputs get a smaller budget: at 512 tokens × 12 heads, 6000 lines made
// the notebook renderer's longest task 0.7–1.4 s in software rendering, 1500 lines 0.36–0.54 s.
const LINE_BUDGET = 6000;
const LONG_INPUT_TOKENS = 256;
const LONG_INPUT_LINE_BUDGET = 1500;

/**
 * Draws one line per weight from query rows (x1) to key rows (x2), only the active row's (or with
 * `received` the active column's) when a token is active. Returns whether weak lines were left out
 * to stay within the line budget.
 */
export function drawHeadLines(
  ctx: CanvasRenderingContext2D,
  theme: Theme,
  heads: { h: number; shown: ShownMatrix }[],
  received: boolean,
  at: number,
  x1: number,
  x2: number,
  y: (r: number) => number,
): boolean {
  ctx.lineWidth = theme.highContrast ? 2 : 1.5;
  // With a token active only its lines are drawn (its row, or its column for "received"):
  // everything else is noise while reading one token.
  const size = heads[0]?.shown.size ?? 0;
  const [r0, r1] = at >= 0 && !received ? [at, at + 1] : [0, size];
  const [c0, c1] = at >= 0 && received ? [at, at + 1] : [0, size];
  // Count lines per opacity step over all heads, then keep the strongest steps within budget.
  const counts = new Float64Array(ALPHA_STEPS);
  for (const { shown } of heads) {
    const values = shown.values;
    for (let r = r0; r < r1; r++) {
      for (let c = c0; c < c1; c++) {
        const w = values[r * size + c];
        if (w >= MIN_WEIGHT) counts[Math.min(ALPHA_STEPS - 1, (w * ALPHA_STEPS) | 0)]++;
      }
    }
  }
  const budget = size > LONG_INPUT_TOKENS ? LONG_INPUT_LINE_BUDGET : LINE_BUDGET;
  let lowest = ALPHA_STEPS - 1;
  let total = counts[lowest];
  while (lowest > 0 && total + counts[lowest - 1] <= budget) total += counts[--lowest];
  const thinned = counts.slice(0, lowest).some((n) => n > 0);
  const floor = Math.max(MIN_WEIGHT, lowest / ALPHA_STEPS);
  for (const { h, shown } of heads) {
    const values = shown.values;
    const paths = Array.from({ length: ALPHA_STEPS }, () => new Path2D());
    const used = new Uint8Array(ALPHA_STEPS);
    for (let r = r0; r < r1; r++) {
      for (let c = c0; c < c1; c++) {
        const w = values[r * size + c];
        if (!(w >= floor)) continue;
        const step = Math.min(ALPHA_STEPS - 1, (w * ALPHA_STEPS) | 0);
        paths[step].moveTo(x1, y(r));
        paths[step].lineTo(x2, y(c));
        used[step] = 1;
      }
    }
    ctx.strokeStyle = headColor(h);
    for (let step = lowest; step < ALPHA_STEPS; step++) {
      if (!used[step]) continue;
      ctx.globalAlpha = (step + 1) / ALPHA_STEPS;
      ctx.stroke(paths[step]);
    }
  }
  ctx.globalAlpha = 1;
  return thinned;
}
