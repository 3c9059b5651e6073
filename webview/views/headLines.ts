// The head view's lines: batched into one path per head and opacity step, so thousands of lines are
// a few dozen strokes rather than thousands of nodes (BertViz's one SVG line per pair breaks near 512
// tokens). The lines come from the attention data: a layer's strongest links when no token is active,
// or every head's row for the active token.
import type { AttentionReply } from '../../src/protocol';
import { headColor } from '../palette';
import type { Theme } from '../theme';

// Weights below this draw no line: at this opacity a line is invisible anyway.
const MIN_WEIGHT = 0.01;
const ALPHA_STEPS = 16;
// With no token active every row's lines would be drawn, and 512 tokens × 12 heads can mean a quarter
// of a million long translucent lines: seconds of rasterising for a haze nobody can read. So only the
// strongest links are asked for, and the caption says when weaker ones were left out. Lines get
// longer as the canvas gets taller, so long inputs get a smaller budget: at 512 tokens × 12 heads,
// 6000 lines made the notebook renderer's longest task 0.7–1.4 s in software rendering, 1500 lines
// 0.36–0.54 s.
const LINE_BUDGET = 6000;
const LONG_INPUT_TOKENS = 256;
const LONG_INPUT_LINE_BUDGET = 1500;

/** How many links to ask for when `shown` tokens are shown and none is active. */
export function lineBudget(shown: number): number {
  return shown > LONG_INPUT_TOKENS ? LONG_INPUT_LINE_BUDGET : LINE_BUDGET;
}

/** Lines as parallel arrays, one entry per line: its head, its query row and key row (shown positions), its weight. */
export interface HeadLineSet {
  head: Int32Array;
  from: Int32Array;
  to: Int32Array;
  weight: Float32Array;
}

/** The lines of a links reply, in shown positions (`position`: token index → row, -1 when hidden). */
export function linesOfLinks(reply: Extract<AttentionReply, { type: 'links' }>, position: Int32Array): HeadLineSet {
  const query = new Int32Array(reply.query);
  const key = new Int32Array(reply.key);
  return {
    head: new Int32Array(reply.head),
    from: query.map((token) => position[token] ?? -1),
    to: key.map((token) => position[token] ?? -1),
    weight: new Float32Array(reply.weight),
  };
}

/**
 * The lines of the active token (row `at`) for each head in `heads`, from a headRows reply: its
 * queries' weights, or with `received` the weights other tokens give it.
 */
export function linesOfRows(
  reply: Extract<AttentionReply, { type: 'headRows' }>,
  heads: readonly number[],
  at: number,
  received: boolean,
  position: Int32Array,
): HeadLineSet {
  const values = new Float32Array(reply.values);
  const T = position.length;
  const lines = { head: [] as number[], from: [] as number[], to: [] as number[], weight: [] as number[] };
  for (const h of heads) {
    if (h >= reply.heads) continue;
    for (let token = 0; token < T; token++) {
      const w = values[h * T + token];
      const other = position[token];
      if (!(w >= MIN_WEIGHT) || other < 0) continue;
      lines.head.push(h);
      lines.from.push(received ? other : at);
      lines.to.push(received ? at : other);
      lines.weight.push(w);
    }
  }
  return { head: Int32Array.from(lines.head), from: Int32Array.from(lines.from), to: Int32Array.from(lines.to), weight: Float32Array.from(lines.weight) };
}

/** Draws each line from its query row at x1 to its key row at x2, its weight as its opacity, in its head's colour. */
export function drawHeadLines(ctx: CanvasRenderingContext2D, theme: Theme, lines: HeadLineSet, x1: number, x2: number, y: (row: number) => number): void {
  ctx.lineWidth = theme.highContrast ? 2 : 1.5;
  const paths = new Map<number, Path2D>();
  for (let i = 0; i < lines.weight.length; i++) {
    const w = lines.weight[i];
    if (!(w >= MIN_WEIGHT) || lines.from[i] < 0 || lines.to[i] < 0) continue;
    const step = Math.min(ALPHA_STEPS - 1, (w * ALPHA_STEPS) | 0);
    const slot = lines.head[i] * ALPHA_STEPS + step;
    let path = paths.get(slot);
    if (!path) paths.set(slot, (path = new Path2D()));
    path.moveTo(x1, y(lines.from[i]));
    path.lineTo(x2, y(lines.to[i]));
  }
  // Heads in order and, within a head, faint before strong, so strong lines stay on top.
  for (const slot of [...paths.keys()].sort((a, b) => a - b)) {
    ctx.strokeStyle = headColor(Math.floor(slot / ALPHA_STEPS));
    ctx.globalAlpha = ((slot % ALPHA_STEPS) + 1) / ALPHA_STEPS;
    ctx.stroke(paths.get(slot)!);
  }
  ctx.globalAlpha = 1;
}
