// Per-layer views over heads. A layer arrives from the engine as one flat Float32Array laid out
// [head][query][key], row-major, so each head's T×T matrix is a contiguous slice.

/** Throws a RangeError unless `layer` holds exactly `heads` matrices of T×T. */
export function checkLayerShape(layer: { length: number }, heads: number, T: number): void {
  if (!Number.isInteger(heads) || heads < 1) throw new RangeError(`heads must be a positive integer, got ${heads}`);
  if (!Number.isInteger(T) || T < 0) throw new RangeError(`T must be a non-negative integer, got ${T}`);
  if (layer.length !== heads * T * T) {
    throw new RangeError(`a layer of ${heads} heads × ${T}×${T} needs ${heads * T * T} values, got ${layer.length}`);
  }
}

/** One head's T×T matrix as a view into the layer: no copy, writes go through to the layer. */
export function selectHead(layer: Float32Array, heads: number, T: number, h: number): Float32Array {
  checkLayerShape(layer, heads, T);
  if (!Number.isInteger(h) || h < 0 || h >= heads) throw new RangeError(`head ${h} is outside 0..${heads - 1}`);
  const size = T * T;
  return layer.subarray(h * size, (h + 1) * size);
}

/** The mean over heads of a layer: a T×T matrix whose rows still sum to 1 when each head's do. */
export function meanOverHeads(layer: Float32Array, heads: number, T: number): Float32Array {
  checkLayerShape(layer, heads, T);
  const size = T * T;
  const out = new Float32Array(size);
  // Summing in a float64 local keeps the mean within [min, max] over heads after rounding back.
  for (let cell = 0; cell < size; cell++) {
    let sum = 0;
    for (let offset = cell; offset < layer.length; offset += size) sum += layer[offset];
    out[cell] = sum / heads;
  }
  return out;
}

/** The maximum over heads of a layer: where any head attends strongly. Rows need not sum to 1. */
export function maxOverHeads(layer: Float32Array, heads: number, T: number): Float32Array {
  checkLayerShape(layer, heads, T);
  const size = T * T;
  // Start from head 0 rather than -Infinity so a T=0 layer and all-zero heads behave alike.
  const out = layer.slice(0, size);
  for (let h = 1; h < heads; h++) {
    const base = h * size;
    for (let cell = 0; cell < size; cell++) {
      const value = layer[base + cell];
      if (value > out[cell]) out[cell] = value;
    }
  }
  return out;
}

/** One query row of the mean or max over heads: the values meanOverHeads or maxOverHeads give, without the other rows. */
export function aggregateRow(layer: Float32Array, heads: number, T: number, query: number, kind: 'mean' | 'max'): Float32Array {
  const out = new Float32Array(T);
  const size = T * T;
  const base = query * T;
  for (let k = 0; k < T; k++) {
    let acc = kind === 'mean' ? 0 : layer[base + k];
    for (let offset = base + k; offset < layer.length; offset += size) {
      const value = layer[offset];
      if (kind === 'mean') acc += value;
      else if (value > acc) acc = value;
    }
    out[k] = kind === 'mean' ? acc / heads : acc;
  }
  return out;
}
