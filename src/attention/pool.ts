// Max-pooling a window of a shown attention matrix down to a canvas. Pooling by maximum rather than
// mean keeps a single strong cell (a thin diagonal, one key everything attends to) visible when
// thousands of rows share a pixel; the mean would wash it out.

/**
 * A rectangle of a T×T matrix as a view shows it: `rows` and `cols` are the token indices of the
 * window's shown rows and columns, and each shown row is divided by `rowSums[r]` when given (the
 * renormalisation over kept keys when special tokens are hidden, as normalizeRows divides).
 */
export interface MatrixCut {
  matrix: Float32Array;
  T: number;
  rows: Int32Array;
  cols: Int32Array;
  rowSums?: Float64Array;
}

/** Where each of `bins` bins over n items starts: bin b covers [edges[b], edges[b+1]), edges[b] = ⌊b·n/bins⌋. */
export function binEdges(n: number, bins: number): Int32Array {
  const edges = new Int32Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = Math.floor((b * n) / bins);
  return edges;
}

/**
 * The cut pooled to `outRows` × `outCols` (each at most the cut's size): every output cell holds the
 * maximum of the cells in its bins, as `binEdges` lays them out. With one cell per bin the values
 * are the cut's, exactly.
 */
export function poolMax(cut: MatrixCut, outRows: number, outCols: number): Float32Array<ArrayBuffer> {
  const { matrix, T, rows, cols, rowSums } = cut;
  if (outRows > rows.length || outCols > cols.length) throw new RangeError('pooling cannot enlarge a window');
  const out = new Float32Array(outRows * outCols);
  if (outRows === 0 || outCols === 0) return out;
  const colBin = binOf(cols.length, outCols);
  const rowEdges = binEdges(rows.length, outRows);
  // Every bin holds at least one cell (outRows ≤ rows), so starting from -∞ leaves no bin unset
  // and keeps the values exact when each bin holds one cell.
  out.fill(Number.NEGATIVE_INFINITY);
  for (let b = 0; b < outRows; b++) {
    const base = b * outCols;
    for (let r = rowEdges[b]; r < rowEdges[b + 1]; r++) {
      const source = rows[r] * T;
      const divisor = rowSums ? rowSums[r] : 1;
      for (let c = 0; c < cols.length; c++) {
        const value = matrix[source + cols[c]] / divisor;
        const at = base + colBin[c];
        if (value > out[at]) out[at] = value;
      }
    }
  }
  return out;
}

/**
 * The cut sampled to `side` × `side` when it has fewer rows or columns than pixels: each pixel shows
 * the one cell it falls in, as the model view's thumbnails always have.
 */
export function sampleUp(cut: MatrixCut, side: number): Float32Array<ArrayBuffer> {
  const { matrix, T, rows, cols, rowSums } = cut;
  const out = new Float32Array(side * side);
  if (rows.length === 0 || cols.length === 0) return out;
  for (let y = 0; y < side; y++) {
    const r = Math.floor((y * rows.length) / side);
    const source = rows[r] * T;
    const divisor = rowSums ? rowSums[r] : 1;
    for (let x = 0; x < side; x++) out[y * side + x] = matrix[source + cols[Math.floor((x * cols.length) / side)]] / divisor;
  }
  return out;
}

/**
 * Each of `rows`' sums over the keys `keys` (token indices), in float64 and in key order as
 * normalizeRows sums; a zero sum gives 1, since its row is all zeros over those keys and stays so.
 */
export function keptRowSums(matrix: Float32Array, T: number, rows: Int32Array, keys: Int32Array): Float64Array {
  const sums = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const source = rows[r] * T;
    let sum = 0;
    for (let c = 0; c < keys.length; c++) sum += matrix[source + keys[c]];
    sums[r] = sum === 0 ? 1 : sum;
  }
  return sums;
}

/** One thumbnail: the cut max-pooled to `side` × `side`, or sampled up when it has fewer tokens than pixels. */
export function thumbnail(cut: MatrixCut, side: number): Float32Array<ArrayBuffer> {
  return cut.rows.length >= side && cut.cols.length >= side ? poolMax(cut, side, side) : sampleUp(cut, side);
}

/** The largest value, or 0 when every value is smaller (attention is never negative). */
export function maxOf(values: Float32Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  return max;
}

// Item → bin under binEdges(n, bins).
function binOf(n: number, bins: number): Int32Array {
  const edges = binEdges(n, bins);
  const bin = new Int32Array(n);
  for (let b = 0; b < bins; b++) bin.fill(b, edges[b], edges[b + 1]);
  return bin;
}
