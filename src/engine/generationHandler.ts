// The engine's answer to 'generate': the pipeline continues the text, and the attention store keeps
// the whole sequence under the request's inspection id so that every view works on it. After the
// prompt's run the entry is the prompt's [T][T]; after each new token it is reopened one position
// larger, the token's row filled in (zeros past its own position, as a causal model's rows are), so
// a view asked after a step's event already sees that token. Rebuilding costs layers × heads × N²
// floats per token, small next to the token's own run for the sequences a person reads.
import type { GenerateParams, GenerationDone, GenerationEvent, Token } from '../protocol';
import type { AttentionStore, ReportFacts } from './attentionStore';
import type { GenerationStep } from './generation/generate';
import { sequenceAttention } from './generation/sequence';
import type { Pipeline } from './pipeline';
import { budgetBytes } from './storeBudget';

/** Continues `params.text`, streaming the prompt's tokens and each new token once the store holds it. */
export async function generateInto(
  pipeline: Pipeline, store: AttentionStore, params: GenerateParams,
  emit: (event: GenerationEvent) => void, signal: AbortSignal,
): Promise<GenerationDone> {
  const id = params.inspection;
  let prompt: Token[] = [];
  let promptAttention: Float32Array[] = [];
  const steps: GenerationStep[] = [];
  let facts: Omit<ReportFacts, 'tokens' | 'generated'> | undefined;
  // Puts the sequence so far into the store, replacing what it held under `id`.
  const keep = (): void => {
    const tokens = [...prompt, ...steps.map(({ id: tokenId, text, start, end, special }) => ({ id: tokenId, text, start, end, special }))];
    const layers = sequenceAttention({ prompt, promptAttention, steps });
    const heads = layers[0] ? layers[0].length / (tokens.length * tokens.length) : 0;
    const shape = { T: tokens.length, heads, layers: layers.length, special: tokens.map((t) => t.special), causal: true };
    // The rows are kept here as well, so a layer the store lets go is rebuilt exactly from them.
    const upTo = steps.slice();
    store.open(id, shape, async (layer) => sequenceAttention({ prompt, promptAttention, steps: upTo })[layer], params.onScreen);
    layers.forEach((data, layer) => store.put(id, layer, data));
    store.end(id);
    const text = params.text + steps.map((s) => s.added).join('');
    if (facts) store.describe(id, { ...facts, text, tokens, generated: steps.map(({ step, id: tokenId, text, start, end, topk }) => ({ step, id: tokenId, text, start, end, topk })) });
  };
  try {
    store.budget = budgetBytes(params.memoryBudgetMB);
    const { generation, timings } = await pipeline.generate(
      { ...params, temperature: params.temperature || undefined },
      (step) => {
        steps.push(step);
        keep();
        const { attention: _rows, position: _position, ...token } = step;
        emit({ type: 'step', ...token });
      },
      signal,
      {
        onProgress: (stage) => emit({ type: 'progress', stage }),
        onPrompt: (tokens, attention, model) => {
          prompt = tokens;
          promptAttention = attention;
          const heads = attention[0] ? attention[0].length / (tokens.length * tokens.length) : model.info.heads;
          facts = { model: { ...model.info, heads, provider: model.provider }, text: params.text, warnings: [] };
          keep();
          emit({
            type: 'started', model: { ...model.info, heads }, tokens, provider: model.provider, attempts: model.attempts, warnings: [],
          });
        },
      },
    );
    return { stopped: generation.stopped, seed: generation.seed, continuation: generation.continuation, timings };
  } catch (err) {
    store.end(id, err);
    throw err;
  }
}
