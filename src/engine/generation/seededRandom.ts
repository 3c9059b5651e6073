// Sampling draws from a generator of its own, not Math.random: a seed then reproduces a whole
// continuation, in the CLI, the editor and the tests alike.

/** Uniform numbers in [0, 1) from a 32-bit seed: the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  // A Weyl sequence (adding an odd constant) visits every 32-bit state once; the finalising
  // multiply-xorshift rounds spread each state's bits so that nearby seeds give unrelated draws.
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

/** A seed for when none is given, reported with the result so the run can be repeated. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
