// A causal sequence's attention as it is computed while a model writes: in runs of rows. The prompt's
// run (or each chunk of it) gives rows 0 … T − 1 at once, each new token its own row. A row of a causal
// model is zero past its own position, so a run of rows is kept only as wide as its last row.

/** Rows `from` … `from + count − 1` of each layer's attention: per layer, [heads][count][from + count]. */
export interface AttentionRows {
  from: number;
  count: number;
  layers: Float32Array[];
}

/** The number of keys of every row in `rows` (the last row's position + 1). */
export function rowWidth(rows: Pick<AttentionRows, 'from' | 'count'>): number {
  return rows.from + rows.count;
}

/** Heads in a run of rows, from the size of its first layer. */
export function rowHeads(rows: AttentionRows): number {
  return rows.layers[0] ? rows.layers[0].length / (rows.count * rowWidth(rows)) : 0;
}

/**
 * Copies one layer's run of rows ([heads][count][width]) into `out`, a [heads][N][N] matrix with
 * N ≥ from + count; keys past `width` are left as they are (zero in a fresh matrix).
 */
export function placeRows(run: Pick<AttentionRows, 'from' | 'count'>, data: Float32Array, heads: number, out: Float32Array, N: number): void {
  const width = rowWidth(run);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < run.count; r++) {
      const at = (h * run.count + r) * width;
      out.set(data.subarray(at, at + width), (h * N + run.from + r) * N);
    }
  }
}

/** Each layer as [heads][N][N] from runs that cover rows 0 … N − 1; zeros past each row's own position. */
export function assembleRows(runs: readonly AttentionRows[]): Float32Array[] {
  if (runs.length === 0) return [];
  const N = Math.max(...runs.map(rowWidth));
  const heads = rowHeads(runs[0]);
  return runs[0].layers.map((_, layer) => {
    const out = new Float32Array(heads * N * N);
    for (const run of runs) placeRows(run, run.layers[layer], heads, out, N);
    return out;
  });
}
