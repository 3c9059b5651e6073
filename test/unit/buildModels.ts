// Tiny random checkpoints of each family the builder supports, with HF parameter names,
// their config.json, and the float64 reference that should reproduce their attention.
import { normalSampler, randomParam, type Params, type Row } from './buildCheckpoint';
import { bertReference, gpt2Reference, llamaReference, type Attentions } from './buildReference';

/** A random model: what goes in the folder, and how its attention should come out. */
export interface TinyModel {
  config: Record<string, unknown>;
  params: Params;
  causal: boolean;
  reference: (row: Row) => Attentions;
}

const VOCAB = 50;
const HIDDEN = 32;
const HEADS = 4;
const LAYERS = 2;

// Projection spreads large enough that attention is far from uniform (scores of a few units).
const PROJ = 0.3;
const OTHER = 0.15;

/** Llama-family variants: each exercises a different part of the block. */
export type LlamaVariant = 'qwen2' | 'mistral' | 'qwen3' | 'llama3-biased';

/** A Llama-family model; see the switch for what each variant turns on. */
export function tinyLlama(variant: LlamaVariant, seed: number): TinyModel {
  const n = normalSampler(seed);
  const kvHeads = variant === 'mistral' ? 1 : variant === 'llama3-biased' ? 4 : 2;
  const headDim = variant === 'qwen3' ? 16 : HIDDEN / HEADS;
  const theta = variant === 'qwen2' || variant === 'qwen3' ? 1e6 : 1e4;
  const inter = 48;
  const config: Record<string, unknown> = {
    model_type: variant === 'llama3-biased' ? 'llama' : variant,
    architectures: ['ForCausalLM'], hidden_size: HIDDEN, num_attention_heads: HEADS, num_key_value_heads: kvHeads,
    num_hidden_layers: LAYERS, intermediate_size: inter, rms_norm_eps: 1e-6, rope_theta: theta, vocab_size: VOCAB,
    hidden_act: 'silu', tie_word_embeddings: variant === 'qwen2' || variant === 'qwen3',
  };
  if (variant === 'qwen3') config.head_dim = headDim;
  if (variant === 'mistral') config.sliding_window = 5;
  if (variant === 'qwen2') Object.assign(config, { sliding_window: 4, use_sliding_window: false, max_window_layers: 1 });
  const rope = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 };
  if (variant === 'llama3-biased') Object.assign(config, { attention_bias: true, mlp_bias: true, rope_scaling: rope });

  const p: Params = { 'model.embed_tokens.weight': randomParam(n, [VOCAB, HIDDEN], 1) };
  const q = HEADS * headDim;
  const kv = kvHeads * headDim;
  for (let l = 0; l < LAYERS; l++) {
    const a = `model.layers.${l}.self_attn.`;
    const m = `model.layers.${l}.mlp.`;
    Object.assign(p, {
      [`model.layers.${l}.input_layernorm.weight`]: randomParam(n, [HIDDEN], 0.1, 1),
      [`${a}q_proj.weight`]: randomParam(n, [q, HIDDEN], PROJ),
      [`${a}k_proj.weight`]: randomParam(n, [kv, HIDDEN], PROJ),
      [`${a}v_proj.weight`]: randomParam(n, [kv, HIDDEN], OTHER),
      [`${a}o_proj.weight`]: randomParam(n, [HIDDEN, q], OTHER),
      [`model.layers.${l}.post_attention_layernorm.weight`]: randomParam(n, [HIDDEN], 0.1, 1),
      [`${m}gate_proj.weight`]: randomParam(n, [inter, HIDDEN], OTHER),
      [`${m}up_proj.weight`]: randomParam(n, [inter, HIDDEN], OTHER),
      [`${m}down_proj.weight`]: randomParam(n, [HIDDEN, inter], OTHER),
    });
    if (variant === 'qwen2' || variant === 'llama3-biased') {
      Object.assign(p, {
        [`${a}q_proj.bias`]: randomParam(n, [q], 0.5), [`${a}k_proj.bias`]: randomParam(n, [kv], 0.5),
        [`${a}v_proj.bias`]: randomParam(n, [kv], 0.2),
      });
    }
    if (variant === 'llama3-biased') {
      Object.assign(p, {
        [`${a}o_proj.bias`]: randomParam(n, [HIDDEN], 0.2), [`${m}gate_proj.bias`]: randomParam(n, [inter], 0.2),
        [`${m}up_proj.bias`]: randomParam(n, [inter], 0.2), [`${m}down_proj.bias`]: randomParam(n, [HIDDEN], 0.2),
      });
    }
    if (variant === 'qwen3') {
      Object.assign(p, { [`${a}q_norm.weight`]: randomParam(n, [headDim], 0.2, 1), [`${a}k_norm.weight`]: randomParam(n, [headDim], 0.2, 1) });
    }
  }
  p['model.norm.weight'] = randomParam(n, [HIDDEN], 0.1, 1);
  if (!config.tie_word_embeddings) p['lm_head.weight'] = randomParam(n, [VOCAB, HIDDEN], OTHER);

  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => theta ** (-(2 * i) / headDim))
    .map((f) => variant === 'llama3-biased' ? llama3(f, rope) : f);
  const spec = { prefix: 'model.', layers: LAYERS, heads: HEADS, kvHeads, headDim, eps: 1e-6, invFreq,
    window: variant === 'mistral' ? 5 : undefined };
  return { config, params: p, causal: true, reference: (row) => llamaReference((k) => p[k], spec, row) };
}

// Llama 3.1 frequency scaling, written out independently of the builder.
function llama3(freq: number, r: { factor: number; low_freq_factor: number; high_freq_factor: number; original_max_position_embeddings: number }): number {
  const wavelength = 2 * Math.PI / freq;
  const lowWavelength = r.original_max_position_embeddings / r.low_freq_factor;
  const highWavelength = r.original_max_position_embeddings / r.high_freq_factor;
  if (wavelength > lowWavelength) return freq / r.factor;
  if (wavelength < highWavelength) return freq;
  const t = (r.original_max_position_embeddings / wavelength - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
  return (1 - t) * freq / r.factor + t * freq;
}

/** GPT2LMHeadModel, saved with the `transformer.` prefix or (as GPT2Model) without. */
export function tinyGpt2(prefix: string, seed: number): TinyModel {
  const n = normalSampler(seed);
  const E = HIDDEN;
  const p: Params = { [`${prefix}wte.weight`]: randomParam(n, [VOCAB, E], 1), [`${prefix}wpe.weight`]: randomParam(n, [64, E], 0.5) };
  for (let l = 0; l < LAYERS; l++) {
    const b = `${prefix}h.${l}.`;
    Object.assign(p, {
      [`${b}ln_1.weight`]: randomParam(n, [E], 0.1, 1), [`${b}ln_1.bias`]: randomParam(n, [E], 0.1),
      [`${b}attn.c_attn.weight`]: randomParam(n, [E, 3 * E], PROJ), [`${b}attn.c_attn.bias`]: randomParam(n, [3 * E], 0.3),
      [`${b}attn.c_proj.weight`]: randomParam(n, [E, E], OTHER), [`${b}attn.c_proj.bias`]: randomParam(n, [E], 0.1),
      [`${b}ln_2.weight`]: randomParam(n, [E], 0.1, 1), [`${b}ln_2.bias`]: randomParam(n, [E], 0.1),
      [`${b}mlp.c_fc.weight`]: randomParam(n, [E, 4 * E], OTHER), [`${b}mlp.c_fc.bias`]: randomParam(n, [4 * E], 0.1),
      [`${b}mlp.c_proj.weight`]: randomParam(n, [4 * E, E], OTHER), [`${b}mlp.c_proj.bias`]: randomParam(n, [E], 0.1),
    });
  }
  Object.assign(p, { [`${prefix}ln_f.weight`]: randomParam(n, [E], 0.1, 1), [`${prefix}ln_f.bias`]: randomParam(n, [E], 0.1) });
  const config = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: E, n_head: HEADS, n_layer: LAYERS,
    n_positions: 64, vocab_size: VOCAB, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 };
  return { config, params: p, causal: true, reference: (row) => gpt2Reference((k) => p[k], prefix, LAYERS, HEADS, row) };
}

/** BertModel (no prefix) or BertFor… (`bert.` prefix); `legacy` stores LayerNorm gamma/beta as TF-converted BERTs do. */
export function tinyBert(prefix: string, seed: number, legacy = false): TinyModel {
  const n = normalSampler(seed);
  const H = HIDDEN;
  const I = 64;
  const e = `${prefix}embeddings.`;
  const p: Params = {
    [`${e}word_embeddings.weight`]: randomParam(n, [VOCAB, H], 1), [`${e}position_embeddings.weight`]: randomParam(n, [64, H], 0.5),
    [`${e}token_type_embeddings.weight`]: randomParam(n, [2, H], 0.5),
    [`${e}LayerNorm.weight`]: randomParam(n, [H], 0.1, 1), [`${e}LayerNorm.bias`]: randomParam(n, [H], 0.1),
  };
  for (let l = 0; l < LAYERS; l++) {
    const b = `${prefix}encoder.layer.${l}.`;
    for (const [name, shape, std] of [['attention.self.query', [H, H], PROJ], ['attention.self.key', [H, H], PROJ],
      ['attention.self.value', [H, H], OTHER], ['attention.output.dense', [H, H], OTHER],
      ['intermediate.dense', [I, H], OTHER], ['output.dense', [H, I], OTHER]] as [string, number[], number][]) {
      p[`${b}${name}.weight`] = randomParam(n, shape, std);
      p[`${b}${name}.bias`] = randomParam(n, [shape[0]], 0.1);
    }
    for (const norm of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      p[`${b}${norm}.weight`] = randomParam(n, [H], 0.1, 1);
      p[`${b}${norm}.bias`] = randomParam(n, [H], 0.1);
    }
  }
  const config = { model_type: 'bert', architectures: ['BertModel'], hidden_size: H, num_attention_heads: HEADS,
    num_hidden_layers: LAYERS, intermediate_size: I, hidden_act: 'gelu', layer_norm_eps: 1e-12, max_position_embeddings: 64,
    type_vocab_size: 2, vocab_size: VOCAB, position_embedding_type: 'absolute' };
  if (legacy) {
    for (const name of Object.keys(p).filter((k) => k.includes('LayerNorm.'))) {
      p[name.replace(/weight$/, 'gamma').replace(/bias$/, 'beta')] = p[name];
      delete p[name];
    }
  }
  const lookup = (k: string) => p[k] ?? p[k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')];
  return { config, params: p, causal: false, reference: (row) => bertReference(lookup, prefix, LAYERS, HEADS, row) };
}

/** Two rows of T random tokens: one full, one padded (left for decoders, with HF generate's positions; right for encoders). */
export function paddedBatch(causal: boolean, T: number, seed: number): Row[] {
  const n = normalSampler(seed);
  const ids = () => Array.from({ length: T }, () => Math.floor(Math.abs(n(1)) * 1e6) % VOCAB);
  const pad = 3;
  const mask = Array.from({ length: T }, (_, i) => causal ? (i < pad ? 0 : 1) : (i < T - pad ? 1 : 0));
  const positions = mask.map((m, i) => m ? i - (causal ? pad : 0) : 1);
  return [
    { ids: ids(), mask: new Array<number>(T).fill(1), positions: [...Array(T).keys()], typeIds: Array.from({ length: T }, (_, i) => i < T / 2 ? 0 : 1) },
    { ids: ids(), mask, positions, typeIds: new Array<number>(T).fill(0) },
  ];
}
