// The onnxruntime-genai model builder's layout, built from tinystories-656k's own safetensors:
// model.onnx + model.onnx.data + genai_config.json at the folder root; one GroupQueryAttention per
// layer with do_rotary (cos/sin caches as initializers, HF rotate_half, so rotary_interleaved 0),
// seqlens_k and total_sequence_length computed in the graph from attention_mask,
// SkipSimplifiedLayerNormalization between blocks, past_key_values.N.key/value → present.N.key/value.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Checkpoint } from '../../src/engine/checkpoint/checkpoint';
import { inverseFrequencies } from '../../src/engine/graphs/rope';
import { fixture, readJson, startFolder } from './folder';
import { FLOAT, INT32, INT64, MS, StyleGraph, transposed, type Tensor } from './styleGraph';
import type { ExportStyle } from './index';

const FIXTURE = 'tinystories-656k';

async function buildGqa(outDir: string): Promise<void> {
  startFolder(outDir, FIXTURE);
  const config = readJson(path.join(fixture(FIXTURE), 'config.json'));
  const hidden = config.hidden_size as number;
  const heads = config.num_attention_heads as number;
  const kvHeads = config.num_key_value_heads as number;
  const layers = config.num_hidden_layers as number;
  const vocab = config.vocab_size as number;
  const inter = config.intermediate_size as number;
  const maxPositions = config.max_position_embeddings as number;
  const eps = config.rms_norm_eps as number;
  const headDim = hidden / heads;
  const ck = await Checkpoint.open(fixture(FIXTURE));
  const g = new StyleGraph('genai-builder style GroupQueryAttention', 21);
  try {
    const linear = async (name: string, x: Tensor, out: number, inp: number): Promise<Tensor> =>
      g.one('MatMul', [x, g.weight(`${name}.MatMul.weight`, transposed(await ck.read(`${name}.weight`), out, inp), [inp, out])], {}, { name: `/${name}/MatMul` });

    g.input('input_ids', INT64, ['batch_size', 'sequence_length']);
    g.input('attention_mask', INT64, ['batch_size', 'total_sequence_length']);
    // seqlens_k = Σ mask − 1 per row (int32), total_sequence_length = the mask's width, as the builder computes them.
    const seqlensK = g.one('Cast', [g.one('Sub', [g.one('ReduceSum', ['attention_mask', g.ints([1])], { keepdims: 0 }), g.ints([1], [])])], { to: INT32 }, { output: '/model/attn_mask_reformat/seqlens_k' });
    const total = g.one('Cast', [g.one('Gather', [g.one('Shape', ['attention_mask']), g.ints([1], [])], { axis: 0 })], { to: INT32 }, { output: '/model/attn_mask_reformat/total_seq_len' });

    const embed = await ck.read('model.embed_tokens.weight');
    const x = g.one('Gather', [g.weight('model.embed_tokens.weight', embed, [vocab, hidden]), 'input_ids'], {}, { name: '/model/embed_tokens/Gather' });
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

    let residual: Tensor = x;
    let normed = g.one('SimplifiedLayerNormalization', [x, g.weight('model.layers.0.input_layernorm.weight', await ck.read('model.layers.0.input_layernorm.weight'), [hidden])],
      { axis: -1, epsilon: { f: eps }, stash_type: 1 }, { name: '/model/layers.0/input_layernorm/LayerNorm' });
    for (let l = 0; l < layers; l++) {
      const p = `model.layers.${l}`;
      const q = await linear(`${p}.self_attn.q_proj`, normed, heads * headDim, hidden);
      const k = await linear(`${p}.self_attn.k_proj`, normed, kvHeads * headDim, hidden);
      const v = await linear(`${p}.self_attn.v_proj`, normed, kvHeads * headDim, hidden);
      const pastK = g.input(`past_key_values.${l}.key`, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]);
      const pastV = g.input(`past_key_values.${l}.value`, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]);
      const [attn] = g.op('GroupQueryAttention', [q, k, v, pastK, pastV, seqlensK, total, cosCache, sinCache],
        { num_heads: heads, kv_num_heads: kvHeads, scale: { f: 1 / Math.sqrt(headDim) }, local_window_size: -1, do_rotary: 1, rotary_interleaved: 0, softcap: { f: 0 } },
        { domain: MS, name: `/model/layers.${l}/attn/GroupQueryAttention`, outputs: [`/model/layers.${l}/attn/output`, `present.${l}.key`, `present.${l}.value`] });
      g.output(`present.${l}.key`, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]);
      g.output(`present.${l}.value`, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]);
      const o = await linear(`${p}.self_attn.o_proj`, attn, hidden, heads * headDim);
      [normed, , , residual] = g.op('SkipSimplifiedLayerNormalization', [o, residual, g.weight(`${p}.post_attention_layernorm.weight`, await ck.read(`${p}.post_attention_layernorm.weight`), [hidden])],
        { epsilon: { f: eps } }, { domain: MS, outputs: 4, name: `/model/layers.${l}/post_attention_layernorm/SkipLayerNorm` });
      const gate = await linear(`${p}.mlp.gate_proj`, normed, inter, hidden);
      const up = await linear(`${p}.mlp.up_proj`, normed, inter, hidden);
      const act = g.one('Mul', [gate, g.one('Sigmoid', [gate])]);
      const down = await linear(`${p}.mlp.down_proj`, g.one('Mul', [act, up]), hidden, inter);
      const nextNorm = l + 1 < layers ? `model.layers.${l + 1}.input_layernorm.weight` : 'model.norm.weight';
      [normed, , , residual] = g.op('SkipSimplifiedLayerNormalization', [down, residual, g.weight(nextNorm, await ck.read(nextNorm), [hidden])],
        { epsilon: { f: eps } }, { domain: MS, outputs: 4, name: `/model/layers.${l + 1}/input_layernorm/SkipLayerNorm` });
    }
    // Tied embeddings: the builder writes lm_head as its own (transposed) MatMul weight.
    g.one('MatMul', [normed, g.weight('lm_head.MatMul.weight', transposed(embed, vocab, hidden), [hidden, vocab])], {}, { name: '/lm_head/MatMul', output: 'logits' });
    g.output('logits', FLOAT, ['batch_size', 'sequence_length', vocab]);
  } finally {
    await ck.close();
  }
  g.write(outDir, 'model.onnx', 'model.onnx.data');
  writeFileSync(path.join(outDir, 'genai_config.json'), JSON.stringify(genaiConfig(config, headDim), null, 2));
}

// The fields onnxruntime-genai reads to run the decoder.
function genaiConfig(config: Record<string, unknown>, headDim: number): unknown {
  return {
    model: {
      bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id, pad_token_id: config.eos_token_id,
      context_length: config.max_position_embeddings, type: 'llama', vocab_size: config.vocab_size,
      decoder: {
        filename: 'model.onnx', session_options: { log_id: 'onnxruntime-genai', provider_options: [] },
        head_size: headDim, hidden_size: config.hidden_size, num_attention_heads: config.num_attention_heads,
        num_key_value_heads: config.num_key_value_heads, num_hidden_layers: config.num_hidden_layers,
        inputs: { input_ids: 'input_ids', attention_mask: 'attention_mask', past_key_names: 'past_key_values.%d.key', past_value_names: 'past_key_values.%d.value' },
        outputs: { logits: 'logits', present_key_names: 'present.%d.key', present_value_names: 'present.%d.value' },
      },
    },
    search: { max_length: config.max_position_embeddings, past_present_share_buffer: false, do_sample: false, num_beams: 1 },
  };
}

export const GENAI_STYLES: ExportStyle[] = [
  { name: 'gqa', fixture: FIXTURE, graph: 'model.onnx', description: 'onnxruntime-genai builder: GroupQueryAttention with do_rotary, SkipSimplifiedLayerNormalization, external data', build: buildGqa },
];
