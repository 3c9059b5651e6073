// The whole sequence a continuation leaves, prompt and new tokens, in the shapes an inspection's
// report has: one token list, and per layer a [heads][N][N] matrix whose row q is position q's
// attention. The prompt's rows come from its run; each new token's row is its own step's.
import type { GeneratedToken, Token } from '../../protocol';
import { assembleRows, type AttentionRows } from './attentionRows';
import type { Generation, GenerationStep } from './generate';

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
export function sequenceAttention(generation: Pick<Generation, 'promptRows' | 'steps'>): Float32Array[] {
  return assembleRows([...generation.promptRows, ...generation.steps.map(stepRows)]);
}

/** A new token's attention as a run of one row: its position's row in every layer. */
export function stepRows(step: Pick<GenerationStep, 'position' | 'attention'>): AttentionRows {
  return { from: step.position, count: 1, layers: step.attention };
}
