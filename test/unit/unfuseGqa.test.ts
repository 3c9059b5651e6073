// GroupQueryAttention rewritten into standard ops, on small hand-built graphs: outputs and presents
// equal onnxruntime's fused kernel, and the exposed probabilities equal the probabilities the kernel
// itself reports (its CPU-only qk_output), with rotary either way, a past, a window and softcap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { buildFeeds } from '../../src/engine/feeds';
import { exposeAttention } from '../../src/engine/surgery';
import { assertDistributions, compareRewrite, encode, f32, floats, fromHalf, I32, maxDiff, node, toHalf, valueInfo, F32 } from './fusedGraphs';

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
  /** An attention_bias input [1, heads, S, total]. */
  bias?: boolean;
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
  const rot = c.rotary !== false ? ['cos', 'sin'] : c.bias ? ['', ''] : [];
  const extra = c.bias ? ['', 'attention_bias'] : [];
  const inputs = c.packed ? [valueInfo('qkv', F32, [B, S, (N + 2 * KV) * H])]
    : [valueInfo('q', F32, [B, S, N * H]), valueInfo('k', F32, [B, S, KV * H]), valueInfo('v', F32, [B, S, KV * H])];
  if (P) inputs.push(valueInfo('past_key', F32, [B, KV, P, H]), valueInfo('past_value', F32, [B, KV, P, H]));
  inputs.push(valueInfo('seqlens_k', I32, [B]), valueInfo('total', I32, []));
  if (c.bias) inputs.push(valueInfo('attention_bias', F32, [1, N, S, P + S]));
  const outputs = [valueInfo('out', F32, [B, S, N * H]), valueInfo('present_key', F32, [B, KV, P + S, H]), valueInfo('present_value', F32, [B, KV, P + S, H])];
  if (qk) outputs.push(valueInfo('qk', F32, [B, N, S, P + S]));
  return encode({
    nodes: [node('GroupQueryAttention', [...qkv, ...pastIn, 'seqlens_k', 'total', ...rot, ...extra], outputs.map((o) => o.name!), attrs, MS)],
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
  if (c.bias) feeds.attention_bias = f32([1, N, S, P + S], 6, 3);
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
    ['attention_bias after softcap, with a past', { bias: true, softcap: 1, past: 2 }, 5],
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
    // Half-precision probabilities are cast to float32 for the panel, as for every fp16 graph.
    assert.equal(probs.type, 'float32');
    const p = probs.data as Float32Array;
    assert.equal(p[(0 * S + 5) * S + 2], 0, 'outside the window');
    for (let r = 0; r < N * S; r++) {
      const sum = p.slice(r * S, r * S + S).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 5e-3, `row ${r} sums to ${sum}`);
    }
  });
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
