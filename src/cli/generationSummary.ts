// What `attention-lens generate` prints: the continuation, then each new token with its probability
// and the earlier tokens it attends to most.
import { topK } from '../attention';
import type { Token } from '../protocol';
import type { Generation, GenerationStep } from '../engine/generation/generate';
import { sequenceTokens } from '../engine/generation/sequence';

/** Earlier tokens listed per new token. */
export const LINKS_PER_TOKEN = 3;

const STOPS: Record<Generation['stopped'], string> = {
  'end-of-sequence': 'the model ended the text',
  limit: 'the token limit was reached',
  context: 'the model\'s context is full',
};

/** Shows a piece the way a person reads it: space markers as spaces, quoted. */
function show(text: string): string {
  return JSON.stringify(text.replace(/[▁Ġ]/g, ' '));
}

/** A readable account of a continuation: its text, and per new token its candidates' lead and strongest links. */
export function summarizeGeneration(generation: Generation): string {
  const tokens = sequenceTokens(generation);
  const lines = [generation.text, ''];
  const how = generation.seed === undefined ? 'greedy' : `sampled, seed ${generation.seed}`;
  lines.push(`${generation.steps.length} new tokens (${how}; ${STOPS[generation.stopped]})` +
    `${generation.cached ? '' : ', each run over the whole sequence: the graph has no KV cache'}.`);
  lines.push(`Per new token: its probability, then the ${LINKS_PER_TOKEN} earlier tokens it attends to most ` +
    '(last layer, mean over heads; itself and special tokens left out):');
  for (const step of generation.steps) {
    const links = strongestLinks(step, tokens).map(({ index, weight }) => `${show(tokens[index].text)} ${weight.toFixed(3)} (${index})`);
    lines.push(`  ${String(step.step).padStart(3)}  ${show(step.text).padEnd(14)} p=${step.p.toFixed(3)}  → ${links.join(', ') || '(none)'}`);
  }
  return lines.join('\n');
}

/** The earlier, non-special tokens a new token attends to most in the last layer, heads averaged. */
export function strongestLinks(step: GenerationStep, tokens: readonly Token[]): { index: number; weight: number }[] {
  const row = step.attention[step.attention.length - 1];
  const keys = step.position + 1;
  const heads = row.length / keys;
  const mean = new Float32Array(keys);
  for (let h = 0; h < heads; h++) for (let k = 0; k < keys; k++) mean[k] += row[h * keys + k] / heads;
  // Its own key and special tokens (the usual attention sink) say little about what it drew on.
  const excluded = Array.from({ length: keys }, (_, k) => k === step.position || tokens[k].special);
  return topK(mean, LINKS_PER_TOKEN, excluded);
}
