// Which token comes next, given the logits of the last position: the most likely one (greedy), or a
// draw from the tempered distribution cut to its nucleus (top-p). Pure: the tests call it directly.
import { topK } from '../../attention/topk';

/** How the next token is chosen: greedy unless a temperature above 0 is given. */
export interface Sampling {
  /** Divides the logits before the softmax; 0 or absent means greedy (always the most likely token). */
  temperature?: number;
  /** Draws only among the most likely tokens whose probabilities add up to this (default 1: all). */
  topP?: number;
}

/** A candidate next token and its probability. */
export interface TokenProbability {
  id: number;
  p: number;
}

/** softmax(logits / temperature), summed in float64 and stored as float32. */
export function softmax(logits: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  // One pass of exponentials and one of scaling: this runs once per generated token, over the
  // whole vocabulary, beside a model step that may take well under a millisecond.
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] - max) / temperature);
    out[i] = e;
    sum += e;
  }
  const scale = 1 / sum;
  for (let i = 0; i < out.length; i++) out[i] *= scale;
  return out;
}

/** The k most likely tokens, most likely first (ties: lower id first). */
export function mostLikely(probabilities: Float32Array, k: number): TokenProbability[] {
  return topK(probabilities, k).map(({ index, weight }) => ({ id: index, p: weight }));
}

/** Whether `sampling` asks for draws rather than the most likely token. */
export function isSampling(sampling: Sampling): boolean {
  return (sampling.temperature ?? 0) > 0;
}

/** The next token: the argmax of the logits (first on ties) when greedy, else a draw using `random`. */
export function chooseToken(logits: Float32Array, sampling: Sampling, random: () => number): number {
  if (!isSampling(sampling)) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const probabilities = softmax(logits, sampling.temperature);
  const topP = sampling.topP ?? 1;
  // Without a nucleus every id is a candidate, in id order: no list of them is needed.
  const candidates = topP >= 1 ? undefined : nucleus(probabilities, topP);
  const count = candidates?.length ?? probabilities.length;
  const idAt = (i: number): number => candidates ? candidates[i] : i;
  let total = 0;
  for (let i = 0; i < count; i++) total += probabilities[idAt(i)];
  let u = random() * total;
  for (let i = 0; i < count; i++) {
    u -= probabilities[idAt(i)];
    if (u < 0) return idAt(i);
  }
  // Rounding can leave a sliver past the last candidate: it belongs to the last one.
  return idAt(count - 1);
}

// The fewest most-likely ids whose probabilities reach topP (< 1), most likely first.
function nucleus(probabilities: Float32Array, topP: number): number[] {
  const ids = Array.from(probabilities.keys());
  ids.sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  let mass = 0;
  let n = 0;
  while (n < ids.length && (n === 0 || mass < topP)) mass += probabilities[ids[n++]];
  return ids.slice(0, n);
}
