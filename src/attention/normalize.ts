// Row normalisation and hiding tokens. A query's attention row is a probability distribution over
// keys; after dropping keys (special tokens such as [CLS], <s>, [SEP] that soak up attention) the
// remaining weights are rescaled so each row is again a distribution over what the user sees.

/** Tokens picked out by index: a Set of indices, or an array where `true` marks a token. */
export type TokenSelection = ReadonlySet<number> | readonly boolean[];

/** A matrix with some tokens hidden: `size`×`size`, row r/column c being original token `kept[r]`/`kept[c]`. */
export interface VisibleAttention {
  matrix: Float32Array;
  size: number;
  kept: number[];
}

/** Whether token `index` is in the selection. */
export function isSelected(selection: TokenSelection, index: number): boolean {
  return isSet(selection) ? selection.has(index) : selection[index] === true;
}

/** A copy of a rows×cols matrix with each row scaled to sum to 1; all-zero rows stay zero. */
export function normalizeRows(matrix: Float32Array, rows: number, cols: number = rows): Float32Array {
  return normalizeRowsInPlace(matrix.slice(), rows, cols);
}

/** Scales each row of a rows×cols matrix in place to sum to 1; all-zero rows stay zero. */
export function normalizeRowsInPlace(matrix: Float32Array, rows: number, cols: number = rows): Float32Array {
  checkMatrixShape(matrix, rows, cols);
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const end = start + cols;
    // Float64 sum: 512 float32 additions lose enough bits to show in a "sums to 1" check.
    let sum = 0;
    for (let c = start; c < end; c++) sum += matrix[c];
    // A zero row means the query saw no visible keys; inventing a distribution would mislead.
    if (sum === 0) continue;
    for (let c = start; c < end; c++) matrix[c] = matrix[c] / sum;
  }
  return matrix;
}

/** Removes the rows and columns of hidden tokens from a T×T matrix and renormalises its rows. */
export function hideTokens(matrix: Float32Array, T: number, hidden: TokenSelection): VisibleAttention {
  checkMatrixShape(matrix, T, T);
  const kept: number[] = [];
  for (let i = 0; i < T; i++) if (!isSelected(hidden, i)) kept.push(i);
  const size = kept.length;
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    const from = kept[r] * T;
    const to = r * size;
    for (let c = 0; c < size; c++) out[to + c] = matrix[from + kept[c]];
  }
  return { matrix: normalizeRowsInPlace(out, size, size), size, kept };
}

function checkMatrixShape(matrix: Float32Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new RangeError(`matrix dimensions must be non-negative integers, got ${rows}×${cols}`);
  }
  if (matrix.length !== rows * cols) {
    throw new RangeError(`a ${rows}×${cols} matrix needs ${rows * cols} values, got ${matrix.length}`);
  }
}

function isSet(selection: TokenSelection): selection is ReadonlySet<number> {
  return !Array.isArray(selection);
}
