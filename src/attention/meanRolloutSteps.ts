// One rollout step read from a layer's kept mean over heads instead of from its heads: the step is
// A'_m = rownorm(mean_m + I) as RolloutRows and residualAttention define it, and the mean is the one
// meanOverHeads gives (or that rounded to float16), so a row or column through kept means equals the
// one through the heads within the mean's rounding. A step reads T² values instead of heads × T².
import type { KeptMean } from './headMeans';
import { float16Table } from './quantize';

/** Per layer and row: where the row's keys end (-1 until first used), and 1 / the row sum of mean + I. */
export interface RowProfile {
  end: Int32Array;
  scale: Float64Array;
}

/** A profile of T rows, none of them filled yet. */
export function emptyProfile(T: number): RowProfile {
  return { end: new Int32Array(T).fill(-1), scale: new Float64Array(T) };
}

/** out = vector · A'_m, reading only the rows of the mean where the vector is non-zero, each up to its last non-zero key. */
export function meanRowStep(vector: Float64Array, mean: KeptMean, profile: RowProfile, T: number, out: Float64Array): void {
  out.fill(0);
  const blocks = T - (T % 4);
  for (let j = 0; j < blocks; j += 4) {
    const s0 = scaledWeight(vector, mean, profile, j, T);
    const s1 = scaledWeight(vector, mean, profile, j + 1, T);
    const s2 = scaledWeight(vector, mean, profile, j + 2, T);
    const s3 = scaledWeight(vector, mean, profile, j + 3, T);
    if (s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0) continue;
    // Rows with a zero weight add zeros, so the block reads up to the furthest end among the others.
    const end = Math.max(s0 && profile.end[j], s1 && profile.end[j + 1], s2 && profile.end[j + 2], s3 && profile.end[j + 3]);
    addRows(out, mean, j * T, T, end, s0, s1, s2, s3);
    out[j] += s0;
    out[j + 1] += s1;
    out[j + 2] += s2;
    out[j + 3] += s3;
  }
  for (let j = blocks; j < T; j++) {
    const s = scaledWeight(vector, mean, profile, j, T);
    if (s === 0) continue;
    addRows(out, mean, j * T, 0, profile.end[j], s, 0, 0, 0);
    out[j] += s;
  }
}

// vector[j] times row j's scale, filling the row's profile on its first use; 0 where the vector is.
function scaledWeight(vector: Float64Array, mean: KeptMean, profile: RowProfile, j: number, T: number): number {
  const v = vector[j];
  if (v === 0) return 0;
  if (profile.end[j] < 0) fillProfile(mean, profile, j, T);
  return v * profile.scale[j];
}

// out[k] += Σ s_r · row_r[k] for k < end over four consecutive rows from `at`, `stride` apart (0:
// one row, with the other weights 0). Four rows per pass read and write `out` a quarter as often,
// which V8 runs about twice as fast; one loop per kind of array keeps each loop's reads of one type.
function addRows(out: Float64Array, mean: KeptMean, at: number, stride: number, end: number, s0: number, s1: number, s2: number, s3: number): void {
  if (mean instanceof Uint16Array) addRows16(out, mean, at, stride, end, s0, s1, s2, s3);
  else addRows32(out, mean, at, stride, end, s0, s1, s2, s3);
}

function addRows32(out: Float64Array, mean: Float32Array, at: number, stride: number, end: number, s0: number, s1: number, s2: number, s3: number): void {
  const r1 = at + stride, r2 = r1 + stride, r3 = r2 + stride;
  for (let k = 0; k < end; k++) out[k] += s0 * mean[at + k] + s1 * mean[r1 + k] + s2 * mean[r2 + k] + s3 * mean[r3 + k];
}

function addRows16(out: Float64Array, bits: Uint16Array, at: number, stride: number, end: number, s0: number, s1: number, s2: number, s3: number): void {
  const table = float16Table();
  const r1 = at + stride, r2 = r1 + stride, r3 = r2 + stride;
  for (let k = 0; k < end; k++) {
    out[k] += s0 * table[bits[at + k]] + s1 * table[bits[r1 + k]] + s2 * table[bits[r2 + k]] + s3 * table[bits[r3 + k]];
  }
}

/** out = A'_m · vector, with dot products over the span where both the row and the vector can be non-zero. */
export function meanColumnStep(mean: KeptMean, profile: RowProfile, vector: Float64Array, T: number, out: Float64Array): void {
  let lo = 0;
  while (lo < T && vector[lo] === 0) lo++;
  let hi = T;
  while (hi > lo && vector[hi - 1] === 0) hi--;
  for (let i = 0; i < T; i++) if (profile.end[i] < 0) fillProfile(mean, profile, i, T);
  const dots = new Float64Array(4);
  // Four rows per pass share each read of the vector; past its own end a row holds zeros.
  const blocks = T - (T % 4);
  for (let i = 0; i < blocks; i += 4) {
    const to = Math.min(hi, Math.max(profile.end[i], profile.end[i + 1], profile.end[i + 2], profile.end[i + 3]));
    dotRows(dots, mean, i * T, T, lo, to, vector);
    for (let r = 0; r < 4; r++) out[i + r] = (dots[r] + vector[i + r]) * profile.scale[i + r];
  }
  for (let i = blocks; i < T; i++) {
    dotRows(dots, mean, i * T, 0, lo, Math.min(hi, profile.end[i]), vector);
    out[i] = (dots[0] + vector[i]) * profile.scale[i];
  }
}

function dotRows(dots: Float64Array, mean: KeptMean, at: number, stride: number, lo: number, to: number, vector: Float64Array): void {
  if (mean instanceof Uint16Array) dotRows16(dots, mean, at, stride, lo, to, vector);
  else dotRows32(dots, mean, at, stride, lo, to, vector);
}

// dots[r] = Σ_k row_r[k] · vector[k] over [lo, to) for four rows from `at`, `stride` apart (0: one row,
// repeated, of which only dots[0] is used).
function dotRows32(dots: Float64Array, mean: Float32Array, at: number, stride: number, lo: number, to: number, vector: Float64Array): void {
  const r1 = at + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  for (let k = lo; k < to; k++) {
    const v = vector[k];
    d0 += mean[at + k] * v;
    d1 += mean[r1 + k] * v;
    d2 += mean[r2 + k] * v;
    d3 += mean[r3 + k] * v;
  }
  dots[0] = d0; dots[1] = d1; dots[2] = d2; dots[3] = d3;
}

function dotRows16(dots: Float64Array, bits: Uint16Array, at: number, stride: number, lo: number, to: number, vector: Float64Array): void {
  const table = float16Table();
  const r1 = at + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  for (let k = lo; k < to; k++) {
    const v = vector[k];
    d0 += table[bits[at + k]] * v;
    d1 += table[bits[r1 + k]] * v;
    d2 += table[bits[r2 + k]] * v;
    d3 += table[bits[r3 + k]] * v;
  }
  dots[0] = d0; dots[1] = d1; dots[2] = d2; dots[3] = d3;
}

// Row j's end and scale, from one pass over it: the mean plus 1 on the diagonal, rescaled to sum 1.
function fillProfile(mean: KeptMean, profile: RowProfile, j: number, T: number): void {
  const row = j * T;
  let total = 0;
  let end = 0;
  // Attention is never negative, so a zero mean means every head's weight is zero.
  if (mean instanceof Uint16Array) {
    const table = float16Table();
    for (let k = 0; k < T; k++) {
      const value = table[mean[row + k]];
      total += value;
      if (value !== 0) end = k + 1;
    }
  } else {
    for (let k = 0; k < T; k++) {
      const value = mean[row + k];
      total += value;
      if (value !== 0) end = k + 1;
    }
  }
  profile.end[j] = end;
  profile.scale[j] = 1 / (total + 1);
}
