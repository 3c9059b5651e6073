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
  const table = mean instanceof Uint16Array ? float16Table() : undefined;
  for (let j = 0; j < T; j++) {
    const v = vector[j];
    if (v === 0) continue;
    if (profile.end[j] < 0) fillProfile(mean, profile, j, T);
    const scaled = v * profile.scale[j];
    const end = profile.end[j];
    const row = j * T;
    // One loop per kind of array keeps each loop's reads of a single type, which V8 runs fastest.
    if (table) {
      const bits = mean as Uint16Array;
      for (let k = 0; k < end; k++) out[k] += scaled * table[bits[row + k]];
    } else {
      const values = mean as Float32Array;
      for (let k = 0; k < end; k++) out[k] += scaled * values[row + k];
    }
    out[j] += scaled;
  }
}

/** out = A'_m · vector, with dot products over the span where both the row and the vector can be non-zero. */
export function meanColumnStep(mean: KeptMean, profile: RowProfile, vector: Float64Array, T: number, out: Float64Array): void {
  const table = mean instanceof Uint16Array ? float16Table() : undefined;
  let lo = 0;
  while (lo < T && vector[lo] === 0) lo++;
  let hi = T;
  while (hi > lo && vector[hi - 1] === 0) hi--;
  for (let i = 0; i < T; i++) {
    if (profile.end[i] < 0) fillProfile(mean, profile, i, T);
    const to = Math.min(hi, profile.end[i]);
    const row = i * T;
    let dot = 0;
    if (table) {
      const bits = mean as Uint16Array;
      for (let k = lo; k < to; k++) dot += table[bits[row + k]] * vector[k];
    } else {
      const values = mean as Float32Array;
      for (let k = lo; k < to; k++) dot += values[row + k] * vector[k];
    }
    out[i] = (dot + vector[i]) * profile.scale[i];
  }
}

// Row j's end and scale, from one pass over it: the mean plus 1 on the diagonal, rescaled to sum 1.
function fillProfile(mean: KeptMean, profile: RowProfile, j: number, T: number): void {
  const table = mean instanceof Uint16Array ? float16Table() : undefined;
  const row = j * T;
  let total = 0;
  let end = 0;
  for (let k = 0; k < T; k++) {
    const value = table ? table[(mean as Uint16Array)[row + k]] : (mean as Float32Array)[row + k];
    total += value;
    // Attention is never negative, so a zero mean means every head's weight is zero.
    if (value !== 0) end = k + 1;
  }
  profile.end[j] = end;
  profile.scale[j] = 1 / (total + 1);
}
