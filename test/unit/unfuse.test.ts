// com.microsoft Attention and MultiHeadAttention and the ONNX Attention op rewritten into standard
// ops, on small hand-built graphs: the rewritten graph's outputs (context, presents) equal
// onnxruntime's fused kernel (or, where the CPU has no kernel for a layout, the same heads fed in a
// layout it has), and every row of the exposed probabilities is a distribution. Combinations the
// rewrite does not cover are refused by name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { EngineError } from '../../src/engine/errors';
import { exposeAttention } from '../../src/engine/surgery';
import { assertDistributions, BOOL, compareRewrite, encode, f32, floats, I32, maxDiff, node, valueInfo, F32 } from './fusedGraphs';

const MS = 'com.microsoft';
const TOL = 1e-4;
const B = 1;

function attentionGraph(attrs: Record<string, number | number[] | { f: number }>, maskDims: number[] | undefined, past: number, S: number, D: number): Uint8Array {
  const inputs = [valueInfo('x', F32, [B, S, D])];
  const ins = ['x', 'w', 'b', maskDims ? 'mask' : '', past ? 'past' : ''];
  if (maskDims) inputs.push(valueInfo('mask', I32, maskDims));
  if (past) inputs.push(valueInfo('past', F32, [2, B, 2, past, D / 2]));
  const outputs = [valueInfo('out', F32, [B, S, D])];
  if (past) outputs.push(valueInfo('present', F32, [2, B, 2, past + S, D / 2]));
  return encode({
    nodes: [node('Attention', ins, outputs.map((o) => o.name!), { num_heads: 2, ...attrs }, MS)],
    inputs, outputs,
    initializers: [floats('w', f32([D, 3 * D], 7, 0.5).data as Float32Array, [D, 3 * D]), floats('b', f32([3 * D], 8, 0.1).data as Float32Array, [3 * D])],
  });
}

describe('com.microsoft.Attention, rewritten', () => {
  const S = 6, D = 16;
  const cases: [string, Record<string, number>, number[] | undefined, Int32Array | undefined, number][] = [
    ['raw 2-D mask with padding', {}, [B, S], Int32Array.of(1, 1, 1, 1, 0, 0), 0],
    ['mask_index of lengths (right padding)', {}, [B], Int32Array.of(4), 0],
    ['mask_index of ends and starts (left padding)', {}, [2 * B], Int32Array.of(6, 2), 0],
    ['unidirectional (GPT-2) with a past of 3', { unidirectional: 1 }, undefined, undefined, 3],
    ['3-D mask', {}, [B, S, S], Int32Array.from({ length: S * S }, (_, i) => (i * 7) % 3 ? 1 : 0).map((v, i) => i % (S + 1) === 0 ? 1 : v), 0],
  ];
  for (const [what, attrs, maskDims, mask, past] of cases) {
    it(what, async () => {
      const feeds: Record<string, ort.Tensor> = { x: f32([B, S, D], 11) };
      if (mask) feeds.mask = new ort.Tensor('int32', mask, maskDims!);
      if (past) feeds.past = f32([2, B, 2, past, D / 2], 12);
      const result = await compareRewrite(attentionGraph(attrs, maskDims, past, S, D), feeds);
      assert.ok(result.outputDiff < TOL, `outputs differ from the fused kernel by ${result.outputDiff}`);
      assert.deepEqual([...result.attention[0].dims], [B, 2, S, past + S]);
      assertDistributions(result.attention[0]);
    });
  }

  it('masked keys get probability 0', async () => {
    const feeds = { x: f32([B, S, D], 11), mask: new ort.Tensor('int32', Int32Array.of(4), [1]) };
    const probs = (await compareRewrite(attentionGraph({}, [B], 0, S, D), feeds)).attention[0].data as Float32Array;
    for (let row = 0; row < 2 * S; row++) assert.deepEqual([probs[row * S + 4], probs[row * S + 5]], [0, 0]);
  });
});

describe('com.microsoft.MultiHeadAttention, rewritten', () => {
  const S = 5, D = 32, heads = 2;
  it('separate Q/K/V with bias, key_padding_mask, attention_bias and a past', async () => {
    const P = 2;
    const bytes = encode({
      nodes: [node('MultiHeadAttention', ['q', 'k', 'v', 'bias', 'kpm', 'ab', 'pk', 'pv'], ['out', 'prk', 'prv'], { num_heads: heads }, MS)],
      inputs: [valueInfo('q', F32, [B, S, D]), valueInfo('k', F32, [B, S, D]), valueInfo('v', F32, [B, S, D]), valueInfo('kpm', I32, [B, P + S]),
        valueInfo('ab', F32, [1, heads, S, P + S]), valueInfo('pk', F32, [B, heads, P, D / heads]), valueInfo('pv', F32, [B, heads, P, D / heads])],
      outputs: [valueInfo('out', F32, [B, S, D]), valueInfo('prk', F32, [B, heads, P + S, D / heads]), valueInfo('prv', F32, [B, heads, P + S, D / heads])],
      initializers: [floats('bias', f32([3 * D], 9, 0.2).data as Float32Array, [3 * D])],
    });
    const feeds = {
      q: f32([B, S, D], 1), k: f32([B, S, D], 2), v: f32([B, S, D], 3), kpm: new ort.Tensor('int32', Int32Array.of(1, 0, 1, 1, 1, 1, 0), [B, P + S]),
      ab: f32([1, heads, S, P + S], 4), pk: f32([B, heads, P, D / heads], 5), pv: f32([B, heads, P, D / heads], 6),
    };
    const result = await compareRewrite(bytes, feeds);
    assert.ok(result.outputDiff < TOL, `outputs and presents differ by ${result.outputDiff}`);
    assertDistributions(result.attention[0]);
  });

  const maskCases: [string, number[], Int32Array][] = [
    ['key_padding_mask of lengths [batch]', [B], Int32Array.of(3)],
    ['key_padding_mask [batch, query, total]', [B, S, S], Int32Array.from({ length: S * S }, (_, i) => (i % S <= Math.floor(i / S) ? 1 : 0))],
  ];
  for (const [what, dims, values] of maskCases) {
    it(what, async () => {
      const bytes = encode({
        nodes: [node('MultiHeadAttention', ['q', 'k', 'v', '', 'kpm'], ['out'], { num_heads: heads }, MS)],
        inputs: [valueInfo('q', F32, [B, S, D]), valueInfo('k', F32, [B, S, D]), valueInfo('v', F32, [B, S, D]), valueInfo('kpm', I32, dims)],
        outputs: [valueInfo('out', F32, [B, S, D])],
      });
      const result = await compareRewrite(bytes, { q: f32([B, S, D], 1), k: f32([B, S, D], 2), v: f32([B, S, D], 3), kpm: new ort.Tensor('int32', values, dims) });
      assert.ok(result.outputDiff < TOL, `outputs differ by ${result.outputDiff}`);
      assertDistributions(result.attention[0]);
    });
  }

  it('key and value already split into heads [batch, heads, kv length, head size] (cross attention)', async () => {
    const L = 7;
    const kv = [B, heads, L, D / heads];
    const bytes = encode({
      nodes: [node('MultiHeadAttention', ['q', 'k', 'v'], ['out'], { num_heads: heads }, MS)],
      inputs: [valueInfo('q', F32, [B, S, D]), valueInfo('k', F32, kv), valueInfo('v', F32, kv)],
      outputs: [valueInfo('out', F32, [B, S, D])],
    });
    const result = await compareRewrite(bytes, { q: f32([B, S, D], 1), k: f32(kv, 2), v: f32(kv, 3) });
    assert.ok(result.outputDiff < TOL, `outputs differ by ${result.outputDiff}`);
    assert.deepEqual([...result.attention[0].dims], [B, heads, S, L]);
  });

  it('packed QKV, unidirectional (CPU has no packed kernel: checked against the same heads fed separately)', async () => {
    const packedShape = [B, S, heads, 3, D / heads];
    const packed = encode({
      nodes: [node('MultiHeadAttention', ['qkv'], ['out'], { num_heads: heads, unidirectional: 1 }, MS)],
      inputs: [valueInfo('qkv', F32, packedShape)],
      outputs: [valueInfo('out', F32, [B, S, D])],
    });
    const separate = encode({
      nodes: [node('MultiHeadAttention', ['q', 'k', 'v'], ['out'], { num_heads: heads, unidirectional: 1 }, MS)],
      inputs: ['q', 'k', 'v'].map((n) => valueInfo(n, F32, [B, S, D])),
      outputs: [valueInfo('out', F32, [B, S, D])],
    });
    const qkv = f32(packedShape, 3);
    const data = qkv.data as Float32Array;
    const hd = D / heads;
    const part = (which: number) => new ort.Tensor('float32', Float32Array.from({ length: S * D }, (_, i) => {
      const s = Math.floor(i / D), n = Math.floor((i % D) / hd), x = i % hd;
      return data[(((s * heads) + n) * 3 + which) * hd + x];
    }), [B, S, D]);
    const exposed = exposeAttention(packed);
    const rewritten = await ort.InferenceSession.create(exposed.bytes);
    const mine = await rewritten.run({ qkv });
    const kernel = await ort.InferenceSession.create(separate);
    const theirs = await kernel.run({ q: part(0), k: part(1), v: part(2) });
    const d = maxDiff(theirs.out, mine.out);
    assert.ok(d < TOL, `outputs differ by ${d}`);
    const probs = mine[exposed.attentionOutputs[0]];
    assertDistributions(probs);
    assert.equal((probs.data as Float32Array)[1], 0, 'the first query sees only itself');
  });
});

describe('ONNX Attention (opset 23), rewritten', () => {
  const S = 5, qHeads = 4, kvHeads = 2, h = 8;
  function graph(attrs: Record<string, number | { f: number }>, mask: 'bool' | 'float' | undefined, past: number): Uint8Array {
    const inputs = [valueInfo('q', F32, [B, S, qHeads * h]), valueInfo('k', F32, [B, S, kvHeads * h]), valueInfo('v', F32, [B, S, kvHeads * h])];
    if (mask) inputs.push(valueInfo('mask', mask === 'bool' ? BOOL : F32, [S, past + S]));
    if (past) inputs.push(valueInfo('pk', F32, [B, kvHeads, past, h]), valueInfo('pv', F32, [B, kvHeads, past, h]));
    const outputs = [valueInfo('y', F32, [B, S, qHeads * h])];
    if (past) outputs.push(valueInfo('prk', F32, [B, kvHeads, past + S, h]), valueInfo('prv', F32, [B, kvHeads, past + S, h]));
    return encode({
      opset: 23,
      nodes: [node('Attention', ['q', 'k', 'v', mask ? 'mask' : '', ...(past ? ['pk', 'pv'] : [])], outputs.map((o) => o.name!), { q_num_heads: qHeads, kv_num_heads: kvHeads, ...attrs })],
      inputs, outputs,
    });
  }
  function feeds(mask: 'bool' | 'float' | undefined, past: number): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = { q: f32([B, S, qHeads * h], 1), k: f32([B, S, kvHeads * h], 2), v: f32([B, S, kvHeads * h], 3) };
    if (mask === 'bool') out.mask = new ort.Tensor('bool', Uint8Array.from({ length: S * (past + S) }, (_, i) => (i % 3 !== 1 ? 1 : 0)), [S, past + S]);
    if (mask === 'float') out.mask = f32([S, past + S], 4, 2);
    if (past) Object.assign(out, { pk: f32([B, kvHeads, past, h], 5), pv: f32([B, kvHeads, past, h], 6) });
    return out;
  }
  const cases: [string, Record<string, number | { f: number }>, 'bool' | 'float' | undefined, number][] = [
    ['is_causal, grouped heads', { is_causal: 1 }, undefined, 0],
    ['boolean attn_mask and softcap', { softcap: { f: 1.5 } }, 'bool', 0],
    ['additive attn_mask, custom scale, past of 3', { scale: { f: 0.3 } }, 'float', 3],
    ['is_causal with a past of 2', { is_causal: 1 }, undefined, 2],
  ];
  for (const [what, attrs, mask, past] of cases) {
    it(what, async () => {
      const result = await compareRewrite(graph(attrs, mask, past), feeds(mask, past));
      assert.ok(result.outputDiff < TOL, `outputs differ from onnxruntime's Attention by ${result.outputDiff}`);
      assertDistributions(result.attention[0]);
    });
  }
});

describe('ONNX Attention with 4-D inputs, rewritten', () => {
  it('head counts taken from the tensors: grouped heads, is_causal, softcap', async () => {
    const S = 4;
    const dims = (heads: number) => [B, heads, S, 8];
    const bytes = encode({
      opset: 23,
      nodes: [node('Attention', ['q', 'k', 'v'], ['y'], { is_causal: 1, softcap: { f: 3 } })],
      inputs: [valueInfo('q', F32, dims(6)), valueInfo('k', F32, dims(2)), valueInfo('v', F32, dims(2))],
      outputs: [valueInfo('y', F32, dims(6))],
    });
    const result = await compareRewrite(bytes, { q: f32(dims(6), 1, 2), k: f32(dims(2), 2, 2), v: f32(dims(2), 3) });
    assert.ok(result.outputDiff < TOL, `outputs differ by ${result.outputDiff}`);
    assert.deepEqual([...result.attention[0].dims], [B, 6, S, S]);
    assertDistributions(result.attention[0]);
  });
});

describe('unsupported combinations are refused by name', () => {
  const refusals: [string, Uint8Array, RegExp][] = [
    ['GQA smooth_softmax', encode({
      nodes: [node('GroupQueryAttention', ['q', 'k', 'v', '', '', 's', 't'], ['o'], { num_heads: 2, kv_num_heads: 1, smooth_softmax: 1 }, MS)],
      inputs: [valueInfo('q', F32, [1, 2, 32]), valueInfo('k', F32, [1, 2, 16]), valueInfo('v', F32, [1, 2, 16]), valueInfo('s', I32, [1]), valueInfo('t', I32, [])],
      outputs: [valueInfo('o', F32, [1, 2, 32])],
    }), /com\.microsoft\.GroupQueryAttention.*smooth_softmax/],
    ['GQA head_sink', encode({
      nodes: [node('GroupQueryAttention', ['q', 'k', 'v', '', '', 's', 't', '', '', '', '', 'sink'], ['o'], { num_heads: 2, kv_num_heads: 1 }, MS)],
      inputs: [valueInfo('q', F32, [1, 2, 32]), valueInfo('k', F32, [1, 2, 16]), valueInfo('v', F32, [1, 2, 16]), valueInfo('s', I32, [1]), valueInfo('t', I32, []), valueInfo('sink', F32, [2])],
      outputs: [valueInfo('o', F32, [1, 2, 32])],
    }), /GroupQueryAttention.*head_sink/],
    ['Attention do_rotary', encode({
      nodes: [node('Attention', ['x', 'w'], ['o'], { num_heads: 2, do_rotary: 1 }, MS)],
      inputs: [valueInfo('x', F32, [1, 2, 8]), valueInfo('w', F32, [8, 24])], outputs: [valueInfo('o', F32, [1, 2, 8])],
    }), /com\.microsoft\.Attention.*do_rotary/],
    ['MHA cache_indirection', encode({
      nodes: [node('MultiHeadAttention', ['q', 'k', 'v', '', '', '', '', '', '', 'ci'], ['o'], { num_heads: 2 }, MS)],
      inputs: [valueInfo('q', F32, [1, 2, 8]), valueInfo('k', F32, [1, 2, 8]), valueInfo('v', F32, [1, 2, 8]), valueInfo('ci', I32, [1, 1, 2])],
      outputs: [valueInfo('o', F32, [1, 2, 8])],
    }), /MultiHeadAttention.*cache_indirection/],
    ['ONNX Attention qk_matmul_output', encode({
      opset: 23,
      nodes: [node('Attention', ['q', 'k', 'v'], ['o', '', '', 'qk'], {})],
      inputs: [valueInfo('q', F32, [1, 2, 2, 4]), valueInfo('k', F32, [1, 2, 2, 4]), valueInfo('v', F32, [1, 2, 2, 4])],
      outputs: [valueInfo('o', F32, [1, 2, 2, 4]), valueInfo('qk', F32, [1, 2, 2, 2])],
    }), /ai\.onnx\.Attention.*qk_matmul_output/],
  ];
  for (const [what, bytes, message] of refusals) {
    it(what, () => {
      assert.throws(() => exposeAttention(bytes), (err: unknown) => {
        assert.ok(err instanceof EngineError);
        assert.equal(err.code, 'fused-attention');
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
