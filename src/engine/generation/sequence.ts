// The whole sequence a continuation leaves, prompt and new tokens, in the shapes an inspection's
// report has: one token list, and per layer a [heads][N][N] matrix whose row q is position q's
// attention. The prompt's rows come from its run; each new token's row is its own step's.
import type { GeneratedToken, Token } from '../../protocol';
import type { Generation } from './generate';

/** The prompt's tokens and then the new ones, every range in the generation's text. */
export function sequenceTokens(generation: Generation): Token[] {
  return [
    ...generation.prompt,
    ...generation.steps.map(({ id, text, start, end, special }): Token => ({ id, text, start, end, special })),
  ];
}

/** The new tokens as a report lists them under `generated`. */
export function generatedTokens(generation: Generation): GeneratedToken[] {
  return generation.steps.map(({ step, id, text, start, end, topk }) => ({ step, id, text, start, end, topk }));
}

/** Per layer, [heads][N][N] for the N tokens of the sequence; zeros past each row's own position. */
export function sequenceAttention(generation: Pick<Generation, 'prompt' | 'promptAttention' | 'steps'>): Float32Array[] {
  const T = generation.prompt.length;
  const N = T + generation.steps.length;
  return generation.promptAttention.map((prompt, layer) => {
    const heads = prompt.length / (T * T);
    const out = new Float32Array(heads * N * N);
    for (let h = 0; h < heads; h++) {
      for (let q = 0; q < T; q++) out.set(prompt.subarray((h * T + q) * T, (h * T + q + 1) * T), (h * N + q) * N);
      for (const step of generation.steps) {
        const keys = step.position + 1;
        out.set(step.attention[layer].subarray(h * keys, (h + 1) * keys), (h * N + step.position) * N);
      }
    }
    return out;
  });
}
