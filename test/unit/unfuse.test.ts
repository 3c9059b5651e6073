// Fused attention rewritten into standard ops: on small hand-built graphs the rewritten graph's outputs
// (context, presents) equal onnxruntime's fused kernel, and its exposed probabilities equal the
// probabilities the kernel itself reports (GroupQueryAttention's qk_output, CPU only) or a plain
// JavaScript softmax. Combinations the rewrite does not cover are refused by name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { EngineError } from '../../src/engine/errors';
import { buildFeeds } from '../../src/engine/feeds';
import { exposeAttention } from '../../src/engine/surgery';
import { assertDistributions, BOOL, compareRewrite, encode, f32, floats, fromHalf, I32, maxDiff, node, toHalf, valueInfo, F32 } from './fusedGraphs';

const MS = 'com.microsoft';
const TOL = 1e-4;

interface GqaCase {
  interleaved?: number;
  past?: number;
  window?: number;
  softcap?: number;
  scale?: number;
  packed?: boolean;
  rotary?: boolean;
}

const B = 1, N = 4, KV = 2, H = 16, MAX = 32;

function rotaryCaches(): onnx.ITensorProto[] {
  const cos = new Float32Array(MAX * H / 2);
  const sin = new Float32Array(MAX * H / 2);
  for (let p = 0; p < MAX; p++) {
    for (let i = 0; i < H / 2; i++) {
      const angle = p / 10000 ** ((2 * i) / H);
      cos[p * H / 2 + i] = Math.cos(angle);
      sin[p * H / 2 + i] = Math.sin(angle);
    }
  }
  return [floats('cos', cos, [MAX, H / 2]), floats('sin', sin, [MAX, H / 2])];
}
/** A GroupQueryAttention graph; with `qk` it also asks the kernel for its probabilities (output_qk after softmax). */
function gqaGraph(c: GqaCase, S: number, qk: boolean): Uint8Array {
  const P = c.past ?? 0;
  const attrs: Record<string, number | { f: number }> = { num_heads: N, kv_num_heads: KV };
  if (c.rotary !== false) Object.assign(attrs, { do_rotary: 1, rotary_interleaved: c.interleaved ?? 0 });
  if (c.window !== undefined) attrs.local_window_size = c.window;
  if (c.softcap !== undefined) attrs.softcap = { f: c.softcap };
  if (c.scale !== undefined) attrs.scale = { f: c.scale };
  if (qk) attrs.qk_output = 2;
  const pastIn = P ? ['past_key', 'past_value'] : ['', ''];
  const qkv = c.packed ? ['qkv', '', ''] : ['q', 'k', 'v'];
  const rot = c.rotary !== false ? ['cos', 'sin'] : [];
  const inputs = c.packed ? [valueInfo('qkv', F32, [B, S, (N + 2 * KV) * H])]
    : [valueInfo('q', F32, [B, S, N * H]), valueInfo('k', F32, [B, S, KV * H]), valueInfo('v', F32, [B, S, KV * H])];
  if (P) inputs.push(valueInfo('past_key', F32, [B, KV, P, H]), valueInfo('past_value', F32, [B, KV, P, H]));
  inputs.push(valueInfo('seqlens_k', I32, [B]), valueInfo('total', I32, []));
  const outputs = [valueInfo('out', F32, [B, S, N * H]), valueInfo('present_key', F32, [B, KV, P + S, H]), valueInfo('present_value', F32, [B, KV, P + S, H])];
  if (qk) outputs.push(valueInfo('qk', F32, [B, N, S, P + S]));
  return encode({
    nodes: [node('GroupQueryAttention', [...qkv, ...pastIn, 'seqlens_k', 'total', ...rot], outputs.map((o) => o.name!), attrs, MS)],
    inputs, outputs, initializers: c.rotary !== false ? rotaryCaches() : [],
  });
}

function gqaFeeds(c: GqaCase, S: number): Record<string, ort.Tensor> {
  const P = c.past ?? 0;
  const feeds: Record<string, ort.Tensor> = c.packed ? { qkv: f32([B, S, (N + 2 * KV) * H], 1) }
    : { q: f32([B, S, N * H], 1), k: f32([B, S, KV * H], 2), v: f32([B, S, KV * H], 3) };
  if (P) Object.assign(feeds, { past_key: f32([B, KV, P, H], 4), past_value: f32([B, KV, P, H], 5) });
  feeds.seqlens_k = new ort.Tensor('int32', Int32Array.of(P + S - 1), [1]);
  feeds.total = new ort.Tensor('int32', Int32Array.of(P + S), []);
  return feeds;
}

async function kernelProbabilities(c: GqaCase, S: number): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(gqaGraph(c, S, true));
  const out = await session.run(gqaFeeds(c, S));
  await session.release();
  return out.qk;
}

describe('GroupQueryAttention, rewritten', () => {
  const cases: [string, GqaCase, number][] = [
    ['rotary, halves (rotary_interleaved 0)', { interleaved: 0 }, 7],
    ['rotary, interleaved pairs (rotary_interleaved 1)', { interleaved: 1 }, 7],
    ['with a past of 5 tokens: presents are past ‖ new, positions continue', { past: 5 }, 3],
    ['one new token after a past of 6, interleaved', { past: 6, interleaved: 1 }, 1],
    ['local_window_size 2', { window: 2 }, 8],
    ['softcap 0.5 and a custom scale', { softcap: 0.5, scale: 0.7 }, 6],
    ['packed QKV, no rotary', { packed: true, rotary: false }, 5],
    ['window, softcap and past together', { window: 3, softcap: 2, past: 4 }, 4],
  ];
  for (const [what, c, S] of cases) {
    it(what, async () => {
      const result = await compareRewrite(gqaGraph(c, S, false), gqaFeeds(c, S));
      assert.ok(result.outputDiff < TOL, `outputs and presents differ from the fused kernel by ${result.outputDiff}`);
      assert.equal(result.attention.length, 1);
      const probs = result.attention[0];
      assert.deepEqual([...probs.dims], [B, N, S, (c.past ?? 0) + S]);
      assertDistributions(probs);
      const reference = await kernelProbabilities(c, S);
      const d = maxDiff(reference, probs);
      assert.ok(d < TOL, `probabilities differ from the kernel's own by ${d}`);
    });
  }

  it('the window really limits what a query sees (w keys, itself included)', async () => {
    const S = 8;
    const probs = (await compareRewrite(gqaGraph({ window: 2 }, S, false), gqaFeeds({ window: 2 }, S))).attention[0].data as Float32Array;
    const at = (h: number, q: number, k: number) => probs[(h * S + q) * S + k];
    assert.equal(at(0, 7, 5), 0);
    assert.ok(at(0, 7, 6) > 0);
    assert.equal(at(1, 3, 4), 0, 'and nothing from the future');
  });
});

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

describe('GroupQueryAttention in float16, rewritten', () => {
  it('constants follow the graph\'s type: outputs equal the float16 kernel within float16 precision', async () => {
    const S = 6;
    const F16 = 10;
    const bytes = encode({
      nodes: [node('GroupQueryAttention', ['q', 'k', 'v', '', '', 'seqlens_k', 'total', 'cos', 'sin'], ['out', 'present_key', 'present_value'],
        { num_heads: N, kv_num_heads: KV, do_rotary: 1, local_window_size: 3, softcap: { f: 2 } }, MS)],
      inputs: [valueInfo('q', F16, [B, S, N * H]), valueInfo('k', F16, [B, S, KV * H]), valueInfo('v', F16, [B, S, KV * H]), valueInfo('seqlens_k', I32, [B]), valueInfo('total', I32, [])],
      outputs: [valueInfo('out', F16, [B, S, N * H]), valueInfo('present_key', F16, [B, KV, S, H]), valueInfo('present_value', F16, [B, KV, S, H])],
      initializers: rotaryCaches().map((t) => ({ ...t, dataType: F16, rawData: new Uint8Array(toHalf(new Float32Array(new Uint8Array(t.rawData!).buffer)).buffer) })),
    });
    const half = (dims: number[], seed: number) => new ort.Tensor('float16', toHalf(f32(dims, seed).data as Float32Array), dims);
    const feeds = {
      q: half([B, S, N * H], 1), k: half([B, S, KV * H], 2), v: half([B, S, KV * H], 3),
      seqlens_k: new ort.Tensor('int32', Int32Array.of(S - 1), [1]), total: new ort.Tensor('int32', Int32Array.of(S), []),
    };
    const kernel = await ort.InferenceSession.create(bytes);
    const theirs = await kernel.run(feeds);
    const exposed = exposeAttention(bytes);
    const session = await ort.InferenceSession.create(exposed.bytes);
    const mine = await session.run(feeds);
    for (const name of ['out', 'present_key', 'present_value']) {
      const a = fromHalf(theirs[name].data as Uint16Array);
      const b = fromHalf(mine[name].data as Uint16Array);
      const d = a.reduce((w, x, i) => Math.max(w, Math.abs(x - b[i])), 0);
      assert.ok(d < 5e-3, `${name} differs from the float16 kernel by ${d}`);
    }
    const probs = mine[exposed.attentionOutputs[0]];
    assert.equal(probs.type, 'float16');
    const p = fromHalf(probs.data as Uint16Array);
    assert.equal(p[(0 * S + 5) * S + 2], 0, 'outside the window');
    for (let r = 0; r < N * S; r++) {
      const sum = p.slice(r * S, r * S + S).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 5e-3, `row ${r} sums to ${sum}`);
    }
  });
});

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

describe('feeds for GroupQueryAttention graphs', () => {
  it('seqlens_k (last key index) and total_sequence_length are filled when the graph takes them as inputs', () => {
    const feeds = buildFeeds([
      { name: 'input_ids', elemType: 7, dims: ['batch', 'seq'] },
      { name: 'seqlens_k', elemType: 6, dims: ['batch'] },
      { name: 'total_sequence_length', elemType: 6, dims: [] },
    ], [1, 5, 9, 4], [], {});
    assert.deepEqual([...(feeds.seqlens_k.data as Int32Array)], [3]);
    assert.deepEqual([...feeds.seqlens_k.dims], [1]);
    assert.deepEqual([...(feeds.total_sequence_length.data as Int32Array)], [4]);
    assert.deepEqual([...feeds.total_sequence_length.dims], []);
  });
});
