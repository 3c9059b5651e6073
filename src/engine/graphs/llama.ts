import { attention, idInputs, MaskBuilder, rotaryTables, type Rotary } from './attention';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { configProblem, unsupportedFeature } from '../checkpoint/failures';
import { checkHeads, intField, numberField, WeightReader, type Config, type FamilyBuilder } from './family';
import { FLOAT, GraphBuilder, type Tensor } from './graph';
import { activation, linear, param, project, rmsNorm, type Weight } from './layers';
import { inverseFrequencies, type RopeScaling } from './rope';

/** model_type values of the Llama family: same block, differing in biases, head norms and sliding windows. */
export const LLAMA_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3'];

interface Shape {
  type: string;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  eps: number;
  act: string;
}

interface LayerWeights {
  inputNorm: Weight;
  q: Weight; k: Weight; v: Weight; o: Weight;
  qBias?: Weight; kBias?: Weight; vBias?: Weight; oBias?: Weight;
  qNorm?: Weight; kNorm?: Weight;
  postNorm: Weight;
  gate: Weight; up: Weight; down: Weight;
  gateBias?: Weight; upBias?: Weight; downBias?: Weight;
}

/** LlamaForCausalLM and its relatives: RMSNorm, RoPE (rotate_half), grouped-query attention, gated MLP, causal mask. */
export const buildLlama: FamilyBuilder = async (checkpoint: Checkpoint, config: Config) => {
  const type = String(config.model_type);
  const hidden = intField(config, 'hidden_size');
  const heads = intField(config, 'num_attention_heads');
  const shape: Shape = {
    type, hidden, heads,
    kvHeads: intField(config, 'num_key_value_heads', heads),
    headDim: intField(config, 'head_dim', hidden / heads),
    intermediate: intField(config, 'intermediate_size'),
    eps: numberField(config, 'rms_norm_eps', 1e-6),
    act: String(config.hidden_act ?? 'silu'),
  };
  checkHeads(type, heads, shape.kvHeads, shape.headDim);
  const layers = intField(config, 'num_hidden_layers');
  const invFreq = inverseFrequencies(type, shape.headDim, numberField(config, 'rope_theta', 10000),
    config.rope_scaling as RopeScaling | null | undefined);
  const windows = slidingWindows(type, config, layers);

  const prefix = checkpoint.prefix(['model.', ''], 'layers.0.self_attn.q_proj.weight');
  if (prefix === undefined) throw configProblem(`The checkpoint has no ${type} decoder layers (model.layers.0.self_attn.q_proj.weight).`);
  const w = new WeightReader(checkpoint, prefix);
  const root = new WeightReader(checkpoint, '');

  const g = new GraphBuilder(`${type} built from safetensors`);
  const [ids, mask, positionIds] = idInputs(g, ['input_ids', 'attention_mask', 'position_ids']);
  const tied = config.tie_word_embeddings === true;
  // Tied checkpoints may keep only lm_head.weight; torch usually records the alias, but not every converter does.
  const embed = await w.maybe('embed_tokens.weight') ?? (tied ? await root.maybe('lm_head.weight') : undefined) ?? await w.get('embed_tokens.weight');
  if (embed.shape[1] !== hidden) throw configProblem(`embed_tokens has width ${embed.shape[1]}, but config.json says hidden_size ${hidden}.`);
  const embedding = param(g, embed);
  let x = g.scope('model/embed_tokens', () => g.gather(embedding, ids));
  const masks = new MaskBuilder(g, mask, ids);
  const rotary = g.scope('model', () => rotaryTables(g, positionIds, invFreq));

  for (let l = 0; l < layers; l++) {
    const weights = await readLayer(w, `layers.${l}.`, shape);
    const layerMask = masks.causal(windows[l]);
    x = g.scope(`model/layers.${l}`, () => decoderLayer(g, x, weights, shape, layerMask, rotary, l));
  }

  const norm = await w.get('norm.weight', [hidden]);
  x = g.scope('model/norm', () => rmsNorm(g, x, norm, shape.eps));
  // Tied models share the embedding (transposed at load, not stored twice); LlamaModel checkpoints have no head.
  const head = tied ? undefined : await root.maybe('lm_head.weight', [embed.shape[0], hidden]);
  if (head) {
    g.output(g.scope('lm_head', () => linear(g, x, head)), FLOAT, ['batch_size', 'sequence_length', head.shape[0]], 'logits');
  } else if (tied) {
    g.output(g.scope('lm_head', () => project(g, x, embedding, embed.shape[0], hidden)), FLOAT, ['batch_size', 'sequence_length', embed.shape[0]], 'logits');
  } else {
    g.output(x, FLOAT, ['batch_size', 'sequence_length', hidden], 'last_hidden_state');
  }
  return g.encode(`${type}, ${layers} layers, ${heads} heads (${shape.kvHeads} KV), built by Attention Lens from safetensors`);
};

function decoderLayer(g: GraphBuilder, x: Tensor, w: LayerWeights, s: Shape, mask: Tensor, rotary: Rotary, layer: number): Tensor {
  const h = g.scope('input_layernorm', () => rmsNorm(g, x, w.inputNorm, s.eps));
  const attn = g.scope('self_attn', () => {
    const q = g.scope('q_proj', () => linear(g, h, w.q, w.qBias));
    const k = g.scope('k_proj', () => linear(g, h, w.k, w.kBias));
    const v = g.scope('v_proj', () => linear(g, h, w.v, w.vBias));
    const { qNorm, kNorm } = w;
    const headNorm = qNorm && kNorm ? {
      q: (t: Tensor) => g.scope('q_norm', () => rmsNorm(g, t, qNorm, s.eps)),
      k: (t: Tensor) => g.scope('k_norm', () => rmsNorm(g, t, kNorm, s.eps)),
    } : undefined;
    const { context, probs } = attention(g, q, k, v, { ...s, mask, divisor: Math.sqrt(s.headDim), rotary, headNorm, cacheLayer: layer });
    g.output(probs, FLOAT, ['batch_size', s.heads, 'sequence_length', 'total_sequence_length']);
    return g.scope('o_proj', () => linear(g, context, w.o, w.oBias));
  });
  const mid = g.add(x, attn);
  const h2 = g.scope('post_attention_layernorm', () => rmsNorm(g, mid, w.postNorm, s.eps));
  const mlp = g.scope('mlp', () => {
    const gate = g.scope('gate_proj', () => linear(g, h2, w.gate, w.gateBias));
    const act = activation(g, gate, s.act);
    if (!act) throw unsupportedFeature(s.type, `the activation "${s.act}"`);
    const up = g.scope('up_proj', () => linear(g, h2, w.up, w.upBias));
    return g.scope('down_proj', () => linear(g, g.mul(act, up), w.down, w.downBias));
  });
  return g.add(mid, mlp);
}

async function readLayer(w: WeightReader, p: string, s: Shape): Promise<LayerWeights> {
  const qOut = s.heads * s.headDim;
  const kvOut = s.kvHeads * s.headDim;
  const a = `${p}self_attn.`;
  const m = `${p}mlp.`;
  return {
    inputNorm: await w.get(`${p}input_layernorm.weight`, [s.hidden]),
    q: await w.get(`${a}q_proj.weight`, [qOut, s.hidden]),
    k: await w.get(`${a}k_proj.weight`, [kvOut, s.hidden]),
    v: await w.get(`${a}v_proj.weight`, [kvOut, s.hidden]),
    o: await w.get(`${a}o_proj.weight`, [s.hidden, qOut]),
    // Qwen2 always has q/k/v biases; Llama has them (and an o bias) when attention_bias is set.
    qBias: await w.maybe(`${a}q_proj.bias`, [qOut]),
    kBias: await w.maybe(`${a}k_proj.bias`, [kvOut]),
    vBias: await w.maybe(`${a}v_proj.bias`, [kvOut]),
    oBias: await w.maybe(`${a}o_proj.bias`, [s.hidden]),
    qNorm: await w.maybe(`${a}q_norm.weight`, [s.headDim]),
    kNorm: await w.maybe(`${a}k_norm.weight`, [s.headDim]),
    postNorm: await w.get(`${p}post_attention_layernorm.weight`, [s.hidden]),
    gate: await w.get(`${m}gate_proj.weight`, [s.intermediate, s.hidden]),
    up: await w.get(`${m}up_proj.weight`, [s.intermediate, s.hidden]),
    down: await w.get(`${m}down_proj.weight`, [s.hidden, s.intermediate]),
    gateBias: await w.maybe(`${m}gate_proj.bias`, [s.intermediate]),
    upBias: await w.maybe(`${m}up_proj.bias`, [s.intermediate]),
    downBias: await w.maybe(`${m}down_proj.bias`, [s.hidden]),
  };
}

// Which layers attend through a sliding window, following HF: `layer_types` when config.json lists them;
// otherwise every Mistral layer, and Qwen layers from max_window_layers on when use_sliding_window is set.
function slidingWindows(type: string, config: Config, layers: number): (number | undefined)[] {
  const window = typeof config.sliding_window === 'number' ? config.sliding_window : undefined;
  const none = new Array<number | undefined>(layers).fill(undefined);
  if (window === undefined) return none;
  if (Array.isArray(config.layer_types)) {
    return none.map((_, l) => (config.layer_types as unknown[])[l] === 'sliding_attention' ? window : undefined);
  }
  if (type === 'mistral') return none.map(() => window);
  if ((type === 'qwen2' || type === 'qwen3') && config.use_sliding_window === true) {
    const from = typeof config.max_window_layers === 'number' ? config.max_window_layers : 0;
    return none.map((_, l) => l >= from ? window : undefined);
  }
  return none;
}
