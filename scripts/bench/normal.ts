// Seeded random numbers for synthetic weights: the same seed gives the same model bytes on every
// machine, so a cached synthetic model and a freshly generated one time the same work.

/** A seeded uniform generator in [0, 1) (mulberry32: tiny, fast, good enough for weights). */
export function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` with normal(0, std) samples (Box–Muller, both outputs used). */
export function fillNormal(out: Float32Array, std: number, next: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    // 1 - u keeps the logarithm's argument in (0, 1].
    const radius = std * Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
