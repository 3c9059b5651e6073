import { attention, idInputs, MaskBuilder } from './attention';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { configProblem, unsupportedFeature } from '../checkpoint/failures';
import { intField, numberField, WeightReader, type Config, type FamilyBuilder } from './family';
import { FLOAT, GraphBuilder, type Tensor } from './graph';
import { activation, conv1d, layerNorm, linear, param, project, type Weight } from './layers';

interface Shape {
  hidden: number;
  heads: number;
  headDim: number;
  eps: number;
  act: string;
}

interface BlockWeights {
  ln1: [Weight, Weight];
  qkv: Weight; qkvBias: Weight;
  proj: Weight; projBias: Weight;
  ln2: [Weight, Weight];
  fc: Weight; fcBias: Weight;
  out: Weight; outBias: Weight;
}

/** GPT2LMHeadModel: learned positions, pre-LayerNorm blocks, Conv1D ([in, out]) projections, causal mask. */
export const buildGpt2: FamilyBuilder = async (checkpoint: Checkpoint, config: Config) => {
  const hidden = intField(config, 'n_embd');
  const heads = intField(config, 'n_head');
  const layers = intField(config, 'n_layer');
  const s: Shape = {
    hidden, heads, headDim: hidden / heads,
    eps: numberField(config, 'layer_norm_epsilon', 1e-5),
    act: String(config.activation_function ?? 'gelu_new'),
  };
  if (!Number.isInteger(s.headDim)) throw configProblem(`n_embd ${hidden} does not split into ${heads} heads.`);
  // GPT-2 scales by √d unless told not to, and optionally also by 1/(layer + 1) (scale_attn_by_inverse_layer_idx).
  const scaled = config.scale_attn_weights !== false;
  const byLayer = config.scale_attn_by_inverse_layer_idx === true;

  const prefix = checkpoint.prefix(['transformer.', ''], 'h.0.attn.c_attn.weight');
  if (prefix === undefined) throw configProblem('The checkpoint has no GPT-2 blocks (transformer.h.0.attn.c_attn.weight).');
  const w = new WeightReader(checkpoint, prefix);

  const g = new GraphBuilder('gpt2 built from safetensors');
  const [ids, mask, positionIds] = idInputs(g, ['input_ids', 'attention_mask', 'position_ids']);
  const wte = await w.get('wte.weight');
  if (wte.shape[1] !== hidden) throw configProblem(`wte has width ${wte.shape[1]}, but config.json says n_embd ${hidden}.`);
  const wpe = await w.get('wpe.weight');
  const tokens = param(g, wte);
  let x = g.scope('transformer', () =>
    g.add(g.gather(tokens, ids), g.gather(param(g, wpe), positionIds)));
  const masks = new MaskBuilder(g, mask, ids);

  for (let l = 0; l < layers; l++) {
    const weights = await readBlock(w, `h.${l}.`, s);
    const divisor = (scaled ? Math.sqrt(s.headDim) : 1) * (byLayer ? l + 1 : 1);
    x = g.scope(`transformer/h.${l}`, () => block(g, x, weights, s, masks.causal(), divisor, l));
  }

  const lnF: [Weight, Weight] = [await w.get('ln_f.weight', [hidden]), await w.get('ln_f.bias', [hidden])];
  x = g.scope('transformer/ln_f', () => layerNorm(g, x, ...lnF, s.eps));
  // The LM head is tied to wte unless config.json says otherwise and the checkpoint has its own.
  const head = config.tie_word_embeddings === false ? await new WeightReader(checkpoint, '').maybe('lm_head.weight') : undefined;
  const logits = g.scope('lm_head', () => head ? linear(g, x, head) : project(g, x, tokens, wte.shape[0], hidden));
  g.output(logits, FLOAT, ['batch_size', 'sequence_length', head ? head.shape[0] : wte.shape[0]], 'logits');
  return g.encode(`gpt2, ${layers} layers, ${heads} heads, built by Attention Lens from safetensors`);
};

function block(g: GraphBuilder, x: Tensor, w: BlockWeights, s: Shape, mask: Tensor, divisor: number, layer: number): Tensor {
  const h = g.scope('ln_1', () => layerNorm(g, x, ...w.ln1, s.eps));
  const attn = g.scope('attn', () => {
    const qkv = g.scope('c_attn', () => conv1d(g, h, w.qkv, w.qkvBias));
    const [q, k, v] = g.opN('Split', [qkv, g.ints([s.hidden, s.hidden, s.hidden])], 3, { axis: -1 });
    const { context, probs } = attention(g, q, k, v, { heads: s.heads, kvHeads: s.heads, headDim: s.headDim, mask, divisor, cacheLayer: layer });
    g.output(probs, FLOAT, ['batch_size', s.heads, 'sequence_length', 'total_sequence_length']);
    return g.scope('c_proj', () => conv1d(g, context, w.proj, w.projBias));
  });
  const mid = g.add(x, attn);
  const h2 = g.scope('ln_2', () => layerNorm(g, mid, ...w.ln2, s.eps));
  const mlp = g.scope('mlp', () => {
    const fc = g.scope('c_fc', () => conv1d(g, h2, w.fc, w.fcBias));
    const act = activation(g, fc, s.act);
    if (!act) throw unsupportedFeature('gpt2', `the activation "${s.act}"`);
    return g.scope('c_proj', () => conv1d(g, act, w.out, w.outBias));
  });
  return g.add(mid, mlp);
}

async function readBlock(w: WeightReader, p: string, s: Shape): Promise<BlockWeights> {
  const E = s.hidden;
  const fc = await w.get(`${p}mlp.c_fc.weight`);
  const inner = fc.shape[1];
  if (fc.shape[0] !== E) throw configProblem(`${p}mlp.c_fc.weight has shape [${fc.shape.join(', ')}], not [${E}, …].`);
  return {
    ln1: [await w.get(`${p}ln_1.weight`, [E]), await w.get(`${p}ln_1.bias`, [E])],
    qkv: await w.get(`${p}attn.c_attn.weight`, [E, 3 * E]),
    qkvBias: await w.get(`${p}attn.c_attn.bias`, [3 * E]),
    proj: await w.get(`${p}attn.c_proj.weight`, [E, E]),
    projBias: await w.get(`${p}attn.c_proj.bias`, [E]),
    ln2: [await w.get(`${p}ln_2.weight`, [E]), await w.get(`${p}ln_2.bias`, [E])],
    fc,
    fcBias: await w.get(`${p}mlp.c_fc.bias`, [inner]),
    out: await w.get(`${p}mlp.c_proj.weight`, [inner, E]),
    outBias: await w.get(`${p}mlp.c_proj.bias`, [E]),
  };
}
