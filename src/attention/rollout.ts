// Attention rollout (Abnar & Zuidema, 2020): how much each input token flows into each position
// after l layers. Each layer's heads are averaged, the residual connection is modelled by adding
// the identity and renormalising rows (0.5·A + 0.5·I when rows of A sum to 1), and layers compose
// by matrix product: rollout_l = A'_l · rollout_{l-1}, with rollout_0 = A'_0.
//
// Products run in float64 so that rows of twelve chained products still sum to 1 to float32
// precision. The cost is O(L·T³); dot products skip the all-zero ends of rows and columns, so
// causal (lower-triangular) models do about a sixth of the work of bidirectional ones.

import { checkLayerShape } from './aggregate';

/** Cumulative rollout after each layer: element l is the T×T rollout through layers 0..l. */
export function rollout(layers: readonly Float32Array[], heads: number, T: number): Float32Array[] {
  const out: Float32Array[] = [];
  rolloutEach(layers, heads, T, (product) => out.push(new Float32Array(product)));
  return out;
}

/** The rollout through every layer as one T×T matrix; the identity when there are no layers. */
export function finalRollout(layers: readonly Float32Array[], heads: number, T: number): Float32Array {
  if (layers.length === 0) return identity(T);
  let last: Float64Array = new Float64Array(0);
  rolloutEach(layers, heads, T, (product, layer) => {
    if (layer === layers.length - 1) last = product;
  });
  return new Float32Array(last);
}

/** One layer's rollout step matrix A' = rownorm(mean over heads + I), in float64. */
export function residualAttention(layer: Float32Array, heads: number, T: number): Float64Array {
  checkLayerShape(layer, heads, T);
  const out = new Float64Array(T * T);
  fillResidualAttention(layer, heads, T, out);
  return out;
}

/**
 * The same rollout as `rollout`, computed in steps: the generator pauses after every `rows` rows of
 * each layer's product (and after each layer's residual step), so a caller on a UI thread can yield
 * to the event loop between steps. Returns the cumulative rollout after each layer.
 */
export function* rolloutInSteps(layers: readonly Float32Array[], heads: number, T: number, rows = 16): Generator<void, Float32Array[]> {
  const out: Float32Array[] = [];
  yield* rolloutSteps(layers, heads, T, Math.max(4, Math.ceil(rows / 4) * 4), (product) => out.push(new Float32Array(product)));
  return out;
}

// Calls `visit` with the float64 rollout after each layer. The buffer passed is reused on the
// next step, so a visitor that keeps it must copy it.
function rolloutEach(
  layers: readonly Float32Array[],
  heads: number,
  T: number,
  visit: (product: Float64Array, layer: number) => void,
): void {
  const steps = rolloutSteps(layers, heads, T, T, visit);
  while (!steps.next().done);
}

// The rollout loop, pausing after the residual step of each layer and after every `rows` rows
// (a multiple of 4, or T) of each product.
function* rolloutSteps(
  layers: readonly Float32Array[],
  heads: number,
  T: number,
  rows: number,
  visit: (product: Float64Array, layer: number) => void,
): Generator<void, void> {
  for (const layer of layers) checkLayerShape(layer, heads, T);
  const size = T * T;
  const step = new Float64Array(size);
  let product = new Float64Array(size);
  let next = new Float64Array(size);
  const scratch: ProductScratch = {
    bt: new Float64Array(size),
    aStart: new Int32Array(T),
    aEnd: new Int32Array(T),
    btStart: new Int32Array(T),
    btEnd: new Int32Array(T),
  };
  for (let l = 0; l < layers.length; l++) {
    if (l === 0) {
      fillResidualAttention(layers[0], heads, T, product);
    } else {
      fillResidualAttention(layers[l], heads, T, step);
      prepareProduct(step, product, scratch, T);
      for (let from = 0; from < T; from += rows) {
        if (rows < T) yield;
        multiplyRows(step, next, scratch, T, from, Math.min(T, from + rows));
      }
      [product, next] = [next, product];
    }
    visit(product, l);
    if (rows < T) yield;
  }
}

function fillResidualAttention(layer: Float32Array, heads: number, T: number, out: Float64Array): void {
  const size = T * T;
  // Head by head, in order: the same sums as cell by cell, reading memory sequentially.
  out.fill(0);
  for (let base = 0; base < layer.length; base += size) {
    for (let cell = 0; cell < size; cell++) out[cell] += layer[base + cell];
  }
  for (let cell = 0; cell < size; cell++) out[cell] /= heads;
  for (let i = 0; i < T; i++) {
    const row = i * T;
    out[row + i] += 1;
    let sum = 0;
    for (let j = 0; j < T; j++) sum += out[row + j];
    // The added identity makes every row sum positive for non-negative attention.
    const scale = 1 / sum;
    for (let j = 0; j < T; j++) out[row + j] *= scale;
  }
}

// out = a · b for T×T row-major matrices, as dot products of rows of a with rows of bᵀ. Each
// 4×2 block of out keeps eight sums in registers, which V8 runs several times faster than the
// textbook i-k-j loop. Dot products only span k where both operands can be non-zero.
// prepareProduct transposes b and finds the spans; multiplyRows then fills rows [from, to) of
// out, where `from` is a multiple of 4.
function prepareProduct(a: Float64Array, b: Float64Array, scratch: ProductScratch, T: number): void {
  const { bt, aStart, aEnd, btStart, btEnd } = scratch;
  for (let k = 0; k < T; k++) {
    for (let j = 0; j < T; j++) bt[j * T + k] = b[k * T + j];
  }
  findNonZeroSpans(a, T, aStart, aEnd);
  findNonZeroSpans(bt, T, btStart, btEnd);
}

function multiplyRows(a: Float64Array, out: Float64Array, scratch: ProductScratch, T: number, from: number, to: number): void {
  const { bt, aStart, aEnd, btStart, btEnd } = scratch;
  const rowsInBlocks = T - (T % 4);
  const colsInBlocks = T - (T % 2);
  for (let i = from; i < Math.min(to, rowsInBlocks); i += 4) {
    const a0 = i * T, a1 = a0 + T, a2 = a1 + T, a3 = a2 + T;
    const blockStart = Math.min(aStart[i], aStart[i + 1], aStart[i + 2], aStart[i + 3]);
    const blockEnd = Math.max(aEnd[i], aEnd[i + 1], aEnd[i + 2], aEnd[i + 3]);
    for (let j = 0; j < colsInBlocks; j += 2) {
      const b0 = j * T, b1 = b0 + T;
      const from = Math.max(blockStart, Math.min(btStart[j], btStart[j + 1]));
      const to = Math.min(blockEnd, Math.max(btEnd[j], btEnd[j + 1]));
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let k = from; k < to; k++) {
        const y0 = bt[b0 + k], y1 = bt[b1 + k];
        let x = a[a0 + k];
        s00 += x * y0; s01 += x * y1;
        x = a[a1 + k];
        s10 += x * y0; s11 += x * y1;
        x = a[a2 + k];
        s20 += x * y0; s21 += x * y1;
        x = a[a3 + k];
        s30 += x * y0; s31 += x * y1;
      }
      out[a0 + j] = s00; out[a0 + j + 1] = s01;
      out[a1 + j] = s10; out[a1 + j + 1] = s11;
      out[a2 + j] = s20; out[a2 + j + 1] = s21;
      out[a3 + j] = s30; out[a3 + j + 1] = s31;
    }
    for (let j = colsInBlocks; j < T; j++) {
      for (let r = i; r < i + 4; r++) out[r * T + j] = dot(a, bt, scratch, T, r, j);
    }
  }
  for (let i = Math.max(from, rowsInBlocks); i < to; i++) {
    for (let j = 0; j < T; j++) out[i * T + j] = dot(a, bt, scratch, T, i, j);
  }
}

// Cell (i, j) of a · b for the rows and columns left over by the 4×2 blocks.
function dot(a: Float64Array, bt: Float64Array, scratch: ProductScratch, T: number, i: number, j: number): number {
  const from = Math.max(scratch.aStart[i], scratch.btStart[j]);
  const to = Math.min(scratch.aEnd[i], scratch.btEnd[j]);
  let sum = 0;
  for (let k = from; k < to; k++) sum += a[i * T + k] * bt[j * T + k];
  return sum;
}

// For each row, the half-open column span outside which it is all zeros (empty: start = end).
function findNonZeroSpans(m: Float64Array, T: number, start: Int32Array, end: Int32Array): void {
  for (let r = 0; r < T; r++) {
    const row = r * T;
    let s = 0;
    while (s < T && m[row + s] === 0) s++;
    let e = T;
    while (e > s && m[row + e - 1] === 0) e--;
    start[r] = s;
    end[r] = e;
  }
}

interface ProductScratch {
  bt: Float64Array;
  aStart: Int32Array;
  aEnd: Int32Array;
  btStart: Int32Array;
  btEnd: Int32Array;
}

function identity(T: number): Float32Array {
  const out = new Float32Array(T * T);
  for (let i = 0; i < T; i++) out[i * T + i] = 1;
  return out;
}
