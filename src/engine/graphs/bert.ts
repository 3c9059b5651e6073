import { attention, idInputs, MaskBuilder, positions, sequenceLength } from './attention';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { configProblem, unsupportedFeature } from '../checkpoint/failures';
import { intField, numberField, WeightReader, type Config, type FamilyBuilder } from './family';
import { FLOAT, GraphBuilder, type Tensor } from './graph';
import { activation, layerNorm, linear, param, type Weight } from './layers';

interface Shape {
  hidden: number;
  heads: number;
  headDim: number;
  intermediate: number;
  eps: number;
  act: string;
}

type Norm = [Weight, Weight];

interface LayerWeights {
  query: Weight; queryBias: Weight;
  key: Weight; keyBias: Weight;
  value: Weight; valueBias: Weight;
  dense: Weight; denseBias: Weight; attnNorm: Norm;
  inter: Weight; interBias: Weight;
  out: Weight; outBias: Weight; outNorm: Norm;
}

/** BertModel: word + position + token-type embeddings, post-LayerNorm encoder, padding mask; outputs last_hidden_state. */
export const buildBert: FamilyBuilder = async (checkpoint: Checkpoint, config: Config) => {
  const hidden = intField(config, 'hidden_size');
  const heads = intField(config, 'num_attention_heads');
  const layers = intField(config, 'num_hidden_layers');
  const s: Shape = {
    hidden, heads, headDim: hidden / heads,
    intermediate: intField(config, 'intermediate_size'),
    eps: numberField(config, 'layer_norm_eps', 1e-12),
    act: String(config.hidden_act ?? 'gelu'),
  };
  if (!Number.isInteger(s.headDim)) throw configProblem(`hidden_size ${hidden} does not split into ${heads} heads.`);
  const positionType = config.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw unsupportedFeature('bert', `position_embedding_type "${String(positionType)}"`);

  // BertModel saves without a prefix; BertForMaskedLM and friends nest it under `bert.`.
  const prefix = checkpoint.prefix(['bert.', ''], 'embeddings.word_embeddings.weight');
  if (prefix === undefined) throw configProblem('The checkpoint has no BERT embeddings (bert.embeddings.word_embeddings.weight).');
  const w = new WeightReader(checkpoint, prefix);

  const g = new GraphBuilder('bert built from safetensors');
  const [ids, mask, typeIds] = idInputs(g, ['input_ids', 'attention_mask', 'token_type_ids']);
  const e = 'embeddings.';
  const words = await w.get(`${e}word_embeddings.weight`);
  if (words.shape[1] !== hidden) throw configProblem(`word_embeddings has width ${words.shape[1]}, but config.json says hidden_size ${hidden}.`);
  const place = await w.get(`${e}position_embeddings.weight`);
  const types = await w.get(`${e}token_type_embeddings.weight`);
  const embNorm = await readNorm(w, `${e}LayerNorm`, hidden);
  let x = g.scope('embeddings', () => {
    const sum = g.add(
      g.add(g.gather(param(g, words), ids), g.gather(param(g, types), typeIds)),
      // Absolute positions 0 … T−1, as BertEmbeddings' position_ids buffer gives them.
      g.gather(param(g, place), positions(g, sequenceLength(g, ids))));
    return g.scope('LayerNorm', () => layerNorm(g, sum, ...embNorm, s.eps));
  });
  const masks = new MaskBuilder(g, mask);

  for (let l = 0; l < layers; l++) {
    const weights = await readLayer(w, `encoder.layer.${l}.`, s);
    x = g.scope(`encoder/layer.${l}`, () => encoderLayer(g, x, weights, s, masks.padding()));
  }
  g.output(x, FLOAT, ['batch_size', 'sequence_length', hidden], 'last_hidden_state');
  return g.encode(`bert, ${layers} layers, ${heads} heads, built by Attention Lens from safetensors`);
};

function encoderLayer(g: GraphBuilder, x: Tensor, w: LayerWeights, s: Shape, mask: Tensor): Tensor {
  const attn = g.scope('attention', () => {
    const context = g.scope('self', () => {
      const q = g.scope('query', () => linear(g, x, w.query, w.queryBias));
      const k = g.scope('key', () => linear(g, x, w.key, w.keyBias));
      const v = g.scope('value', () => linear(g, x, w.value, w.valueBias));
      const out = attention(g, q, k, v, { heads: s.heads, kvHeads: s.heads, headDim: s.headDim, mask, divisor: Math.sqrt(s.headDim) });
      g.output(out.probs, FLOAT, ['batch_size', s.heads, 'sequence_length', 'sequence_length']);
      return out.context;
    });
    // Post-LN: the residual is added before the norm, unlike GPT-2 and Llama.
    return g.scope('output', () => layerNorm(g, g.add(linear(g, context, w.dense, w.denseBias), x), ...w.attnNorm, s.eps));
  });
  const inter = g.scope('intermediate', () => {
    const act = activation(g, linear(g, attn, w.inter, w.interBias), s.act);
    if (!act) throw unsupportedFeature('bert', `the activation "${s.act}"`);
    return act;
  });
  return g.scope('output', () => layerNorm(g, g.add(linear(g, inter, w.out, w.outBias), attn), ...w.outNorm, s.eps));
}

async function readLayer(w: WeightReader, p: string, s: Shape): Promise<LayerWeights> {
  const H = s.hidden;
  const I = s.intermediate;
  const self = `${p}attention.self.`;
  return {
    query: await w.get(`${self}query.weight`, [H, H]), queryBias: await w.get(`${self}query.bias`, [H]),
    key: await w.get(`${self}key.weight`, [H, H]), keyBias: await w.get(`${self}key.bias`, [H]),
    value: await w.get(`${self}value.weight`, [H, H]), valueBias: await w.get(`${self}value.bias`, [H]),
    dense: await w.get(`${p}attention.output.dense.weight`, [H, H]),
    denseBias: await w.get(`${p}attention.output.dense.bias`, [H]),
    attnNorm: await readNorm(w, `${p}attention.output.LayerNorm`, H),
    inter: await w.get(`${p}intermediate.dense.weight`, [I, H]),
    interBias: await w.get(`${p}intermediate.dense.bias`, [I]),
    out: await w.get(`${p}output.dense.weight`, [H, I]),
    outBias: await w.get(`${p}output.dense.bias`, [H]),
    outNorm: await readNorm(w, `${p}output.LayerNorm`, H),
  };
}

// Checkpoints converted from the original TensorFlow BERT keep gamma/beta for LayerNorm weight/bias.
async function readNorm(w: WeightReader, name: string, size: number): Promise<Norm> {
  return [await w.first([`${name}.weight`, `${name}.gamma`], [size]), await w.first([`${name}.bias`, `${name}.beta`], [size])];
}
