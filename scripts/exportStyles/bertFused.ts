// Fused-attention exports of bert-tiny-random, from its own weights:
// - attention-o2: Optimum `--optimize O2` layout: EmbedLayerNormalization (whose mask_index feeds
//   every layer), com.microsoft.Attention with packed QKV weight and bias, SkipLayerNormalization with
//   the dense bias folded in, BiasGelu (BERT's GELU is the exact erf form, which BiasGelu computes);
// - mha: com.microsoft.MultiHeadAttention over separate Q/K/V projections with the packed bias and a
//   2-D key_padding_mask;
// - attention23: the standard ONNX Attention op (opset 23) with a boolean attn_mask.
import * as path from 'node:path';
import { readBertWeights, type BertWeights, type Linear, type Norm } from './bertWeights';
import { fixture, readJson, startFolder } from './folder';
import { BOOL, FLOAT, INT32, INT64, MS, StyleGraph, type Tensor } from './styleGraph';
import type { ExportStyle } from './index';

const FIXTURE = 'bert-tiny-random';
type Kind = 'attention' | 'mha' | 'attention23';

function buildBert(kind: Kind): (outDir: string) => Promise<void> {
  return async (outDir) => {
    startFolder(outDir, FIXTURE);
    const config = readJson(path.join(fixture(FIXTURE), 'config.json'));
    const hidden = config.hidden_size as number;
    const heads = config.num_attention_heads as number;
    const layers = config.num_hidden_layers as number;
    const eps = config.layer_norm_eps as number;
    const w = readBertWeights(FIXTURE, layers);
    const g = new StyleGraph(`bert ${kind}`, kind === 'attention23' ? 23 : 17);
    const dims = ['batch_size', 'sequence_length'];
    g.input('input_ids', INT64, dims);
    g.input('attention_mask', INT64, dims);
    g.input('token_type_ids', INT64, dims);
    let x: Tensor;
    let mask: Tensor;
    if (kind === 'attention') {
      const ids = g.one('Cast', ['input_ids'], { to: INT32 });
      const types = g.one('Cast', ['token_type_ids'], { to: INT32 });
      const mask32 = g.one('Cast', ['attention_mask'], { to: INT32 });
      [x, mask] = g.op('EmbedLayerNormalization', [ids, types, g.weight('embeddings.word_embeddings.weight', w.word, [w.vocab, hidden]),
        g.weight('embeddings.position_embeddings.weight', w.position, [w.positions, hidden]), g.weight('embeddings.token_type_embeddings.weight', w.tokenType, [w.types, hidden]),
        g.weight('embeddings.LayerNorm.weight', w.embedNorm.weight, [hidden]), g.weight('embeddings.LayerNorm.bias', w.embedNorm.bias, [hidden]), mask32],
      { epsilon: { f: eps } }, { domain: MS, outputs: ['/embeddings/output', '/embeddings/mask_index'], name: '/embeddings/EmbedLayerNormalization' });
    } else {
      x = plainEmbeddings(g, w, hidden, eps);
      if (kind === 'mha') {
        mask = g.one('Cast', ['attention_mask'], { to: INT32 });
      } else {
        // onnxruntime's Attention wants the mask's query axis spelt out: [B, 1, 1, T] → [B, 1, S, T].
        const keep = g.one('Unsqueeze', [g.one('Cast', ['attention_mask'], { to: BOOL }), g.ints([1, 2])]);
        const queries = g.one('Gather', [g.one('Shape', ['input_ids']), g.ints([1])], { axis: 0 });
        mask = g.one('Expand', [keep, g.one('Concat', [g.ints([1, 1]), queries, g.ints([1])], { axis: 0 })], {}, { output: '/attn_mask' });
      }
      if (kind === 'attention23') g.declare(mask, BOOL, ['batch_size', 1, 'sequence_length', 'sequence_length']);
    }
    w.layers.forEach((layer, l) => {
      const scope = `/encoder/layer.${l}`;
      const ctx = attentionBlock(g, kind, x, layer, mask, heads, hidden, scope);
      const o = g.one('MatMul', [ctx, g.weight(`${scope}.attention.output.dense.weight`, layer.o.weight, layer.o.dims)]);
      const h = addNorm(g, kind, o, x, layer.o.bias, layer.attnNorm, eps, `${scope}/attention/output`, hidden);
      const i = g.one('MatMul', [h, g.weight(`${scope}.intermediate.dense.weight`, layer.inter.weight, layer.inter.dims)]);
      const act = kind === 'attention'
        ? g.one('BiasGelu', [i, g.weight(`${scope}.intermediate.dense.bias`, layer.inter.bias, [layer.inter.dims[1]])], {}, { domain: MS })
        : erfGelu(g, g.one('Add', [i, g.weight(`${scope}.intermediate.dense.bias`, layer.inter.bias, [layer.inter.dims[1]])]));
      const out = g.one('MatMul', [act, g.weight(`${scope}.output.dense.weight`, layer.out.weight, layer.out.dims)]);
      x = addNorm(g, kind, out, h, layer.out.bias, layer.outNorm, eps, `${scope}/output`, hidden);
    });
    g.one('Identity', [x], {}, { output: 'last_hidden_state' });
    g.output('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hidden]);
    g.write(path.join(outDir, 'onnx'), 'model.onnx');
  };
}

function attentionBlock(g: StyleGraph, kind: Kind, x: Tensor, layer: BertWeights['layers'][number], mask: Tensor, heads: number, hidden: number, scope: string): Tensor {
  const name = `${scope}/attention/self`;
  if (kind === 'attention') {
    // Packed [hidden, 3·hidden] weight: Q columns, then K, then V.
    const packed = new Float32Array(hidden * 3 * hidden);
    [layer.q, layer.k, layer.v].forEach((lin, part) => {
      for (let r = 0; r < hidden; r++) packed.set(lin.weight.subarray(r * hidden, (r + 1) * hidden), r * 3 * hidden + part * hidden);
    });
    const bias = Float32Array.from([...layer.q.bias, ...layer.k.bias, ...layer.v.bias]);
    return g.one('Attention', [x, g.weight(`${name}.qkv.weight`, packed, [hidden, 3 * hidden]), g.weight(`${name}.qkv.bias`, bias, [3 * hidden]), mask],
      { num_heads: heads }, { domain: MS, name: `${name}/Attention` });
  }
  const project = (lin: Linear, which: string, withBias: boolean) => {
    const y = g.one('MatMul', [x, g.weight(`${name}.${which}.weight`, lin.weight, lin.dims)]);
    return withBias ? g.one('Add', [y, g.weight(`${name}.${which}.bias`, lin.bias, [hidden])]) : y;
  };
  if (kind === 'mha') {
    const bias = Float32Array.from([...layer.q.bias, ...layer.k.bias, ...layer.v.bias]);
    return g.one('MultiHeadAttention', [project(layer.q, 'query', false), project(layer.k, 'key', false), project(layer.v, 'value', false),
      g.weight(`${name}.qkv.bias`, bias, [3 * hidden]), mask], { num_heads: heads }, { domain: MS, name: `${name}/MultiHeadAttention` });
  }
  return g.one('Attention', [project(layer.q, 'query', true), project(layer.k, 'key', true), project(layer.v, 'value', true), mask],
    { q_num_heads: heads, kv_num_heads: heads }, { name: `${name}/Attention` });
}

// Residual + LayerNorm: one SkipLayerNormalization (dense bias folded in) in the O2 layout, plain ops otherwise.
function addNorm(g: StyleGraph, kind: Kind, y: Tensor, residual: Tensor, bias: Float32Array, norm: Norm, eps: number, scope: string, hidden: number): Tensor {
  const gamma = g.weight(`${scope}.LayerNorm.weight`, norm.weight, [hidden]);
  const beta = g.weight(`${scope}.LayerNorm.bias`, norm.bias, [hidden]);
  const b = g.weight(`${scope}.dense.bias`, bias, [hidden]);
  if (kind === 'attention') {
    return g.one('SkipLayerNormalization', [y, residual, gamma, beta, b], { epsilon: { f: eps } }, { domain: MS, name: `${scope}/SkipLayerNorm` });
  }
  return g.one('LayerNormalization', [g.one('Add', [g.one('Add', [y, b]), residual]), gamma, beta], { axis: -1, epsilon: { f: eps } });
}

function plainEmbeddings(g: StyleGraph, w: BertWeights, hidden: number, eps: number): Tensor {
  const word = g.one('Gather', [g.weight('embeddings.word_embeddings.weight', w.word, [w.vocab, hidden]), 'input_ids']);
  const types = g.one('Gather', [g.weight('embeddings.token_type_embeddings.weight', w.tokenType, [w.types, hidden]), 'token_type_ids']);
  const length = g.one('Gather', [g.one('Shape', ['input_ids']), g.ints([1], [])], { axis: 0 });
  const positions = g.one('Range', [g.ints([0], []), length, g.ints([1], [])]);
  const pos = g.one('Gather', [g.weight('embeddings.position_embeddings.weight', w.position, [w.positions, hidden]), positions]);
  const sum = g.one('Add', [g.one('Add', [word, types]), pos]);
  return g.one('LayerNormalization', [sum, g.weight('embeddings.LayerNorm.weight', w.embedNorm.weight, [hidden]), g.weight('embeddings.LayerNorm.bias', w.embedNorm.bias, [hidden])],
    { axis: -1, epsilon: { f: eps } });
}

function erfGelu(g: StyleGraph, x: Tensor): Tensor {
  const erf = g.one('Erf', [g.one('Div', [x, g.scalar(Math.SQRT2)])]);
  return g.one('Mul', [g.one('Mul', [x, g.scalar(0.5)]), g.one('Add', [erf, g.scalar(1)])]);
}

export const BERT_STYLES: ExportStyle[] = [
  { name: 'attention-o2', fixture: FIXTURE, graph: 'onnx/model.onnx', description: 'Optimum O2: EmbedLayerNormalization, com.microsoft.Attention (packed QKV, mask_index), SkipLayerNormalization, BiasGelu', build: buildBert('attention') },
  { name: 'mha', fixture: FIXTURE, graph: 'onnx/model.onnx', description: 'com.microsoft.MultiHeadAttention with packed bias and key_padding_mask', build: buildBert('mha') },
  { name: 'attention23', fixture: FIXTURE, graph: 'onnx/model.onnx', description: 'ONNX Attention (opset 23) with a boolean attn_mask', build: buildBert('attention23') },
];
