// com.microsoft.GroupQueryAttention (what onnxruntime-genai's model builder emits) in standard ops.
// Semantics from onnxruntime's ContribOperators.md, checked against the CPU kernel of onnxruntime-node
// 1.30: queries sit at positions past + s where past = seqlens_k + 1 − S; rotary uses those positions;
// a query sees keys up to its own position, and with local_window_size w only the last w of them
// (itself included; some newer kernel sources count w + 1); softcap acts on the scaled scores before
// masking, attention_bias is added after it; presents are past ‖ new keys (rotated) in BNSH.
import { attend, range, type ScoreStep } from './attend';
import { INT64, type Emitter, type FusedNode, type Tensor } from './emitter';

/** Rewrites one GroupQueryAttention node. */
export function rewriteGroupQueryAttention(e: Emitter, f: FusedNode): void {
  const heads = f.int('num_heads', 0);
  const kvHeads = f.int('kv_num_heads', 0);
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads !== 0) throw f.unsupported(`num_heads ${heads} over kv_num_heads ${kvHeads}`);
  const causal = f.int('causal', 1) === 1;
  const window = f.int('local_window_size', -1);
  if (window === 0) throw f.unsupported('local_window_size 0');
  if (f.int('sliding_window_cache', 0) !== 0) throw f.unsupported('a window-sized KV cache (sliding_window_cache)');
  if (f.int('smooth_softmax', -1) === 1) throw f.unsupported('smooth_softmax');
  if ((f.string('k_quant_type') ?? 'NONE') !== 'NONE' || (f.string('v_quant_type') ?? 'NONE') !== 'NONE' || f.int('kv_cache_bit_width', 0) !== 0) {
    throw f.unsupported('a quantised KV cache');
  }
  if (f.output(3)) throw f.unsupported('the output_qk output');
  f.refuseInputs({ 9: 'position_ids', 11: 'head_sink', 12: 'k_scale', 13: 'v_scale', 14: 'q_norm_weight', 15: 'k_norm_weight' });
  const seqlensK = f.input(5);
  if (!seqlensK) throw f.unsupported('no seqlens_k input');
  const rotary = f.int('do_rotary', 0) === 1;
  const cos = f.input(7);
  const sin = f.input(8);
  if (rotary && (!cos || !sin)) throw f.unsupported('do_rotary without cos_cache and sin_cache');
  const pastKey = f.input(3);
  const pastValue = f.input(4);
  if (!!pastKey !== !!pastValue) throw f.unsupported('only one of past_key and past_value');

  const query = f.input(0)!;
  const key = f.input(1);
  const value = f.input(2);
  let q4: Tensor;
  let k4: Tensor;
  let v4: Tensor;
  if (!key && !value) {
    // Packed QKV: [B, S, (n + 2·kv)·h] holds the query heads, then the key heads, then the value heads.
    const packed = e.reshape(query, [0, 0, heads + 2 * kvHeads, -1]);
    q4 = e.slice(packed, 2, 0, heads);
    k4 = e.slice(packed, 2, heads, heads + kvHeads);
    v4 = e.slice(packed, 2, heads + kvHeads, heads + 2 * kvHeads);
  } else if (key && value) {
    q4 = e.reshape(query, [0, 0, heads, -1]);
    k4 = e.reshape(key, [0, 0, kvHeads, -1]);
    v4 = e.reshape(value, [0, 0, kvHeads, -1]);
  } else {
    throw f.unsupported('only one of key and value');
  }

  // Positions of this step's queries: past + s, past = seqlens_k + 1 − S, per batch row → [B, S].
  const S = e.dim(q4, 1);
  const total = e.one('Add', [e.one('Cast', [seqlensK], { to: INT64 }), e.ints([1])]); // [B]
  const past = e.one('Sub', [total, S]);
  const positions = e.one('Add', [e.unsqueeze(past, [1]), e.unsqueeze(range(e, S), [0])]);
  if (rotary) {
    const interleaved = f.int('rotary_interleaved', 0) === 1;
    q4 = applyRotary(e, q4, positions, cos!, sin!, interleaved);
    k4 = applyRotary(e, k4, positions, cos!, sin!, interleaved);
  }

  const q = e.transpose(q4, [0, 2, 1, 3]);
  let k = e.transpose(k4, [0, 2, 1, 3]);
  let v = e.transpose(v4, [0, 2, 1, 3]);
  const presentKey = f.output(1);
  const presentValue = f.output(2);
  if (pastKey) {
    k = e.one('Concat', [pastKey, k], { axis: 2 }, presentKey);
    v = e.one('Concat', [pastValue!, v], { axis: 2 }, presentValue);
  } else {
    if (presentKey) k = e.one('Identity', [k], {}, presentKey);
    if (presentValue) v = e.one('Identity', [v], {}, presentValue);
  }

  // Which keys each query sees: [B, 1, S, L] (a key index j is allowed when j < total, j ≤ position, j > position − w).
  const keyIndex = e.unsqueeze(range(e, e.dim(k, 2)), [0, 1]); // [1, 1, L]
  const queryPos = e.unsqueeze(positions, [2]); // [B, S, 1]
  let allowed = e.one('Less', [keyIndex, e.unsqueeze(total, [1, 2])]);
  if (causal) allowed = e.one('And', [allowed, e.one('LessOrEqual', [keyIndex, queryPos])]);
  if (window > 0) allowed = e.one('And', [allowed, e.one('Greater', [keyIndex, e.one('Sub', [queryPos, e.ints([window])])])]);
  const steps: ScoreStep[] = [];
  const softcap = f.float('softcap') ?? 0;
  if (softcap > 0) steps.push({ kind: 'softcap', cap: softcap });
  // The kernel adds attention_bias after softcapping (checked against its qk_output).
  const bias = f.input(10);
  if (bias) steps.push({ kind: 'add', bias });
  steps.push({ kind: 'keep', allowed: e.unsqueeze(allowed, [1]) });

  const scale = f.float('scale');
  attend(e, { q, k, v, heads, kvHeads, scale: scale ? scale : undefined, steps }, f.output(0));
}

// Rotary embedding on [B, S, n, h] with cos/sin caches [maxPositions, r/2]; dims past r pass through.
function applyRotary(e: Emitter, x: Tensor, positions: Tensor, cosCache: Tensor, sinCache: Tensor, interleaved: boolean): Tensor {
  const half = e.dim(cosCache, 1);
  const rotaryDim = e.one('Mul', [half, e.ints([2])]);
  const cos = e.castLike(e.unsqueeze(e.one('Gather', [cosCache, positions], { axis: 0 }), [2]), x); // [B, S, 1, r/2]
  const sin = e.castLike(e.unsqueeze(e.one('Gather', [sinCache, positions], { axis: 0 }), [2]), x);
  const rot = e.sliceDyn(x, 3, e.ints([0]), rotaryDim);
  const pass = e.sliceDyn(x, 3, rotaryDim, e.ints([2 ** 62]));
  let rotated: Tensor;
  if (interleaved) {
    // Pairs (x₂ᵢ, x₂ᵢ₊₁) rotate by angle i.
    const pairs = e.reshape(rot, [0, 0, 0, -1, 2]);
    const even = e.slice(pairs, 4, 0, 1);
    const odd = e.slice(pairs, 4, 1, 2);
    const c = e.unsqueeze(cos, [4]);
    const s = e.unsqueeze(sin, [4]);
    const outEven = e.one('Sub', [e.one('Mul', [even, c]), e.one('Mul', [odd, s])]);
    const outOdd = e.one('Add', [e.one('Mul', [odd, c]), e.one('Mul', [even, s])]);
    rotated = e.reshape(e.one('Concat', [outEven, outOdd], { axis: 4 }), [0, 0, 0, -1]);
  } else {
    // Halves (x₁, x₂) rotate as x₁·cos − x₂·sin, x₂·cos + x₁·sin (HF rotate_half).
    const x1 = e.sliceDyn(rot, 3, e.ints([0]), half);
    const x2 = e.sliceDyn(rot, 3, half, rotaryDim);
    const out1 = e.one('Sub', [e.one('Mul', [x1, cos]), e.one('Mul', [x2, sin])]);
    const out2 = e.one('Add', [e.one('Mul', [x2, cos]), e.one('Mul', [x1, sin])]);
    rotated = e.one('Concat', [out1, out2], { axis: 3 });
  }
  return e.one('Concat', [rotated, pass], { axis: 3 });
}
