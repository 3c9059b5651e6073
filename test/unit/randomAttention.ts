// Random attention for property tests and the rollout timings: a seeded generator, so a failing
// test replays the same values, and row-stochastic layers built from it.

/** xorshift32 from a fixed seed: uniform numbers in [0, 1). */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/**
 * A layer of `heads` random row-stochastic T×T matrices; causal ones are lower-triangular, and
 * `sparsity` zeroes that share of the off-diagonal weights to exercise the zero-skipping paths.
 */
export function randomLayer(random: () => number, heads: number, T: number, causal = false, sparsity = 0): Float32Array {
  const layer = new Float32Array(heads * T * T);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < T; i++) {
      const row = (h * T + i) * T;
      const keys = causal ? i + 1 : T;
      let sum = 0;
      for (let j = 0; j < keys; j++) {
        const w = j === i || random() >= sparsity ? Math.exp(4 * random()) : 0;
        layer[row + j] = w;
        sum += w;
      }
      for (let j = 0; j < keys; j++) layer[row + j] /= sum;
    }
  }
  return layer;
}
