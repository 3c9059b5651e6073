// How far rollout through kept means may be from rollout through the heads, for the tests that
// compare them. A step is A' = rownorm(mean + I); rows of A' sum to 1 and every term is non-negative.
//
// Float32 means: each mean is the float64 mean rounded once (relative 2^-24), the row scale is a sum
// of such means (2^-24 more), and every term of a step is a product of the two, so each entry of a
// row or column through L layers is within (1 + 2u)^L of the other's, and each answer is rounded to
// float32 once more: relative (2L + 2)·u to first order, u = 2^-24.
//
// Float16 means: each mean entry is within ε·m + η (ε = 2^-11, η = 2^-25 below 2^-14), so a row of a
// step is within 2(ε + T·η) in L1 (its terms and its scale), and stochastic steps do not grow
// earlier errors: a row through L layers is within 2L(ε + T·η) in L1, a column within that in max.
import { FLOAT16_MAX_RELATIVE_ERROR, FLOAT16_MAX_SUBNORMAL_ERROR } from '../../src/attention/quantize';

const FLOAT32_UNIT = 2 ** -24;

/** Relative bound on each entry of a rollout row or column through L layers of float32 means. */
export function float32Bound(L: number): number {
  // 1% over the first-order figure covers the second-order terms and float64 sums.
  return (2 * L + 2) * FLOAT32_UNIT * 1.01;
}

/** L1 bound on a rollout row (max bound on a column) through L layers of float16 means of T tokens. */
export function float16Bound(L: number, T: number): number {
  return 2 * L * (FLOAT16_MAX_RELATIVE_ERROR + T * FLOAT16_MAX_SUBNORMAL_ERROR) + 2 * FLOAT32_UNIT;
}

/** Sum of |a − b|. */
export function l1Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum;
}

/** The largest |a − b| − bound·max(|a|, |b|): at most 0 when every entry is within the relative bound. */
export function maxRelativeExcess(a: ArrayLike<number>, b: ArrayLike<number>, bound: number): number {
  if (a.length !== b.length) return Infinity;
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i] - b[i]) - bound * Math.max(Math.abs(a[i]), Math.abs(b[i]));
    if (!(excess <= worst)) worst = excess;
  }
  return a.length === 0 ? 0 : worst;
}
