// The head view's links with no token active: every query–key weight of the chosen heads above a
// floor, as few opacity steps as fit a line budget. Thousands of translucent lines are a haze nobody
// can read and take seconds to rasterise, so past the budget only the strongest steps are kept and
// the reply says weaker ones were left out.
import type { AttentionReply } from '../protocol';
import type { MatrixCut } from './pool';

/** Weights below this draw no line: at that opacity a line is invisible anyway. */
export const MIN_LINK_WEIGHT = 0.01;
/** Lines are drawn in this many opacity steps; a link's step is ⌊weight · steps⌋, at most steps − 1. */
export const LINK_OPACITY_STEPS = 16;

/** One head's shown matrix, by head index. */
export interface HeadCut {
  h: number;
  cut: MatrixCut;
}

/**
 * The links of `heads` in the strongest opacity steps whose lines together stay within `budget`
 * (the strongest step always, even past it), as token indices; `thinned` when any link was left out.
 */
export function strongestLinks(heads: readonly HeadCut[], budget: number): Extract<AttentionReply, { type: 'links' }> {
  const counts = new Float64Array(LINK_OPACITY_STEPS);
  for (const { cut } of heads) visit(cut, MIN_LINK_WEIGHT, (w) => counts[step(w)]++);
  let lowest = LINK_OPACITY_STEPS - 1;
  let total = counts[lowest];
  while (lowest > 0 && total + counts[lowest - 1] <= budget) total += counts[--lowest];
  const thinned = counts.slice(0, lowest).some((n) => n > 0);
  const floor = Math.max(MIN_LINK_WEIGHT, lowest / LINK_OPACITY_STEPS);
  const head: number[] = [];
  const query: number[] = [];
  const key: number[] = [];
  const weight: number[] = [];
  for (const { h, cut } of heads) {
    visit(cut, floor, (w, r, c) => {
      head.push(h);
      query.push(cut.rows[r]);
      key.push(cut.cols[c]);
      weight.push(w);
    });
  }
  return {
    type: 'links',
    head: Int32Array.from(head).buffer,
    query: Int32Array.from(query).buffer,
    key: Int32Array.from(key).buffer,
    weight: Float32Array.from(weight).buffer,
    thinned,
  };
}

function step(weight: number): number {
  return Math.min(LINK_OPACITY_STEPS - 1, (weight * LINK_OPACITY_STEPS) | 0);
}

// Calls `each` with every shown weight of the cut at or above `floor`, and its shown row and column.
function visit(cut: MatrixCut, floor: number, each: (weight: number, r: number, c: number) => void): void {
  const { matrix, T, rows, cols, rowSums } = cut;
  for (let r = 0; r < rows.length; r++) {
    const source = rows[r] * T;
    const divisor = rowSums ? rowSums[r] : 1;
    for (let c = 0; c < cols.length; c++) {
      // Rounded to float32 as the matrix shows it, so a link and its cell agree on its step.
      const w = Math.fround(matrix[source + cols[c]] / divisor);
      if (w >= floor) each(w, r, c);
    }
  }
}
