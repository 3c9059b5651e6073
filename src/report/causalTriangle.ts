// Causal models attend only backwards, so a report may keep just the lower triangle of each head's
// matrix: row q holds keys 0..q. The `--html` page and notebook outputs store attention this way;
// the page script and the notebook renderer unpack it. No Node imports: the browser bundles use it.

/** Whether every weight above the diagonal is exactly zero, so packing loses nothing. */
export function upperTriangleIsZero(layer: Float32Array, T: number): boolean {
  const heads = layer.length / (T * T);
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < T; q++) {
      const row = (h * T + q) * T;
      for (let k = q + 1; k < T; k++) if (layer[row + k] !== 0) return false;
    }
  }
  return true;
}

/** [heads][T][T] → per head, rows 0..T-1 of lengths 1..T, one after another. */
export function packLowerTriangle(layer: Float32Array, T: number): Float32Array {
  const heads = layer.length / (T * T);
  const out = new Float32Array((heads * T * (T + 1)) / 2);
  let at = 0;
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < T; q++) {
      const row = (h * T + q) * T;
      out.set(layer.subarray(row, row + q + 1), at);
      at += q + 1;
    }
  }
  return out;
}

/** The inverse of packLowerTriangle: the upper triangle comes back as zeros. */
export function unpackLowerTriangle(packed: Float32Array, T: number): Float32Array {
  const heads = T === 0 ? 0 : packed.length / ((T * (T + 1)) / 2);
  const out = new Float32Array(heads * T * T);
  let at = 0;
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < T; q++) {
      out.set(packed.subarray(at, at + q + 1), (h * T + q) * T);
      at += q + 1;
    }
  }
  return out;
}
