// How many tokens one inspection runs: the model's context, within what the engine can compute and
// hold in reasonable time on its provider. Longer texts are inspected in windows of this many tokens
// (src/engine/windows.ts). No `vscode` import: the host, the CLI and the tests share the rule.
import type { ModelConfig } from './modelFolder';

/** What a model without a stated context gets, and what a model's context is never cut below. */
export const DEFAULT_CONTEXT = 512;

/**
 * Tokens one window may hold on CPU. Attention costs O(T²) per head in time and memory: on two CPU
 * cores a 2-layer, 8-head model takes about 0.25 s at 512 tokens, 2.4 s at 2048 and 9.4 s at 4096.
 */
export const CPU_TOKEN_CAP = 4096;

/** Tokens one window may hold on a GPU provider, where the same work is an order of magnitude faster. */
export const GPU_TOKEN_CAP = 8192;

/**
 * Attention weights (heads × T²) one layer may produce: 2^28, 1 GiB as float32. The run holds one
 * layer's probabilities at a time as its stage hands them over; the attention store keeps the whole
 * inspection within its own budget (float16, or recomputing layers, beyond it), so the number of
 * layers does not bound the length. A 14-head layer reaches it at about 4380 tokens.
 */
export const ATTENTION_WEIGHT_BUDGET = 2 ** 28;

/**
 * Token pairs (layers × heads × T²) one window may cost on CPU: 2^29. Past 512 tokens the time grows
 * faster than the pairs on two cores (a 24-layer, 14-head model: 3.4 s at 512 tokens, 239 s at 2048),
 * so a model's CPU window stays near the length it runs in seconds: 1024 tokens for that model, the
 * full 4096 for a 2-layer, 8-head one.
 */
export const CPU_PAIR_BUDGET = 2 ** 29;

/** The model's context as config.json states it, under whichever name its family uses. */
export function modelContext(config: ModelConfig): number | undefined {
  const stated = [config.max_position_embeddings, config.n_positions, config.n_ctx, config.max_sequence_length]
    .find((v) => typeof v === 'number' && Number.isInteger(v) && v > 0);
  return stated;
}

/** Model shape that decides how much attention a window produces; 0 for what is not known. */
export interface AttentionShape {
  layers: number;
  heads: number;
}

/** The most tokens the engine runs at once on `provider` for a model of `shape`. */
export function providerTokenCap(provider: string, shape: AttentionShape): number {
  const hard = provider === 'cpu' ? CPU_TOKEN_CAP : GPU_TOKEN_CAP;
  // Rounded down to a multiple of 256, and never below the common 512-token context.
  const within = (budget: number, perPair: number): number => Math.floor(Math.sqrt(budget / Math.max(1, perPair)) / 256) * 256;
  const byMemory = within(ATTENTION_WEIGHT_BUDGET, shape.heads);
  const byTime = provider === 'cpu' ? within(CPU_PAIR_BUDGET, Math.max(1, shape.layers) * Math.max(1, shape.heads)) : Infinity;
  return Math.min(hard, Math.max(DEFAULT_CONTEXT, Math.min(byMemory, byTime)));
}

/**
 * Tokens per window, special tokens included. `requested` is the setting (0 or absent: the model's
 * context, within the provider's cap); an explicit value wins over the cap but never exceeds the
 * context, since positions past it are undefined for learned position embeddings.
 */
export function windowTokens(requested: number | undefined, context: number | undefined, provider: string, shape: AttentionShape): number {
  if (requested !== undefined && requested > 0) return Math.max(2, Math.min(Math.floor(requested), context ?? Infinity));
  return Math.min(context ?? DEFAULT_CONTEXT, providerTokenCap(provider, shape));
}
