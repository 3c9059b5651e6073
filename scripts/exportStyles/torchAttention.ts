// The layout torch.onnx.export (dynamo, opset 23) gives a Llama with SDPA, built from
// tinystories-656k's own safetensors: RotaryEmbedding-23 (HF rotate_half, so interleaved 0) on q and
// k, one standard Attention per layer with q_num_heads 8 over kv_num_heads 4, is_causal plus a
// boolean padding mask, past_key_values.N.key/value in and present.N.key/value out, RMSNormalization.
import * as path from 'node:path';
import { Checkpoint } from '../../src/engine/checkpoint/checkpoint';
import { inverseFrequencies } from '../../src/engine/graphs/rope';
import { fixture, readJson, startFolder } from './folder';
import { BOOL, FLOAT, INT64, StyleGraph, transposed, type Tensor } from './styleGraph';
import type { ExportStyle } from './index';

const FIXTURE = 'tinystories-656k';

async function buildLlamaAttention23(outDir: string): Promise<void> {
  startFolder(outDir, FIXTURE);
  const config = readJson(path.join(fixture(FIXTURE), 'config.json'));
  const hidden = config.hidden_size as number;
  const heads = config.num_attention_heads as number;
  const kvHeads = config.num_key_value_heads as number;
  const vocab = config.vocab_size as number;
  const inter = config.intermediate_size as number;
  const maxPositions = config.max_position_embeddings as number;
  const eps = config.rms_norm_eps as number;
  const headDim = hidden / heads;
  const ck = await Checkpoint.open(fixture(FIXTURE));
  const g = new StyleGraph('torch.onnx.export style Attention-23', 23);
  try {
    const linear = async (name: string, x: Tensor, out: number, inp: number): Promise<Tensor> =>
      g.one('MatMul', [x, g.weight(`${name}.weight`, transposed(await ck.read(`${name}.weight`), out, inp), [inp, out])]);
    const norm = async (name: string, x: Tensor): Promise<Tensor> =>
      g.one('RMSNormalization', [x, g.weight(name, await ck.read(name), [hidden])], { axis: -1, epsilon: { f: eps } });

    const dims = ['batch_size', 'sequence_length'];
    g.input('input_ids', INT64, dims);
    g.input('attention_mask', INT64, ['batch_size', 'total_sequence_length']);
    g.input('position_ids', INT64, dims);
    const invFreq = inverseFrequencies('llama', headDim, (config.rope_theta as number) ?? 10000, null);
    const cos = new Float32Array(maxPositions * headDim / 2);
    const sin = new Float32Array(maxPositions * headDim / 2);
    for (let p = 0; p < maxPositions; p++) {
      for (let i = 0; i < headDim / 2; i++) {
        const angle = Math.fround(p * invFreq[i]);
        cos[p * headDim / 2 + i] = Math.cos(angle);
        sin[p * headDim / 2 + i] = Math.sin(angle);
      }
    }
    const cosCache = g.weight('cos_cache', cos, [maxPositions, headDim / 2]);
    const sinCache = g.weight('sin_cache', sin, [maxPositions, headDim / 2]);
    // Padding as a boolean [B, 1, S, T] mask (true = attend); is_causal adds the causal part.
    const keep = g.one('Unsqueeze', [g.one('Cast', ['attention_mask'], { to: BOOL }), g.ints([1, 2])]);
    const queries = g.one('Gather', [g.one('Shape', ['input_ids']), g.ints([1])], { axis: 0 });
    const mask = g.one('Expand', [keep, g.one('Concat', [g.ints([1, 1]), queries, g.ints([1])], { axis: 0 })], {}, { output: '/model/attn_mask' });
    g.declare(mask, BOOL, ['batch_size', 1, 'sequence_length', 'total_sequence_length']);

    const embed = await ck.read('model.embed_tokens.weight');
    let x = g.one('Gather', [g.weight('model.embed_tokens.weight', embed, [vocab, hidden]), 'input_ids']);
    for (let l = 0; l < (config.num_hidden_layers as number); l++) {
      const p = `model.layers.${l}`;
      const h = await norm(`${p}.input_layernorm.weight`, x);
      const rotate = (t: Tensor, n: number) => g.one('RotaryEmbedding', [t, cosCache, sinCache, 'position_ids'], { interleaved: 0, num_heads: n });
      const q = rotate(await linear(`${p}.self_attn.q_proj`, h, heads * headDim, hidden), heads);
      const k = rotate(await linear(`${p}.self_attn.k_proj`, h, kvHeads * headDim, hidden), kvHeads);
      const v = await linear(`${p}.self_attn.v_proj`, h, kvHeads * headDim, hidden);
      const past = ['key', 'value'].map((kv) => g.input(`past_key_values.${l}.${kv}`, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
      const [attn] = g.op('Attention', [q, k, v, mask, ...past], { q_num_heads: heads, kv_num_heads: kvHeads, is_causal: 1 },
        { name: `/model/layers.${l}/self_attn/Attention`, outputs: [`/model/layers.${l}/self_attn/output`, `present.${l}.key`, `present.${l}.value`] });
      for (const kv of ['key', 'value']) g.output(`present.${l}.${kv}`, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]);
      const mid = g.one('Add', [x, await linear(`${p}.self_attn.o_proj`, attn, hidden, heads * headDim)]);
      const h2 = await norm(`${p}.post_attention_layernorm.weight`, mid);
      const gate = await linear(`${p}.mlp.gate_proj`, h2, inter, hidden);
      const up = await linear(`${p}.mlp.up_proj`, h2, inter, hidden);
      const act = g.one('Mul', [g.one('Mul', [gate, g.one('Sigmoid', [gate])]), up]);
      x = g.one('Add', [mid, await linear(`${p}.mlp.down_proj`, act, hidden, inter)]);
    }
    const normed = await norm('model.norm.weight', x);
    g.one('MatMul', [normed, g.weight('lm_head.weight', transposed(embed, vocab, hidden), [hidden, vocab])], {}, { output: 'logits' });
    g.output('logits', FLOAT, ['batch_size', 'sequence_length', vocab]);
  } finally {
    await ck.close();
  }
  g.write(path.join(outDir, 'onnx'), 'model.onnx');
}

export const TORCH_STYLES: ExportStyle[] = [
  { name: 'attention23-llama', fixture: FIXTURE, graph: 'onnx/model.onnx', description: 'torch.onnx.export (opset 23): RotaryEmbedding + Attention with grouped KV heads, is_causal, boolean mask, past/present', build: buildLlamaAttention23 },
];
