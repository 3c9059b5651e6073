// com.microsoft.Attention (Optimum/onnxruntime-transformers fusion for BERT and GPT-2) in standard
// ops: one packed projection input·W + b split into Q, K, V (equal thirds unless qkv_hidden_sizes),
// optional past [2, B, n, P, h] and present, mask_index as in ContribOperators.md, unidirectional.
import { attend, splitHeads, type ScoreStep } from './attend';
import type { Emitter, FusedNode, Tensor } from './emitter';
import { causalBias, paddingBias } from './masks';

/** Rewrites one com.microsoft.Attention node. */
export function rewriteAttention(e: Emitter, f: FusedNode): void {
  const heads = f.int('num_heads', 0);
  if (heads <= 0) throw f.unsupported(`num_heads ${heads}`);
  if (f.int('do_rotary', 0) !== 0) throw f.unsupported('do_rotary');
  if (f.int('past_present_share_buffer', 0) !== 0) throw f.unsupported('past_present_share_buffer');
  f.refuseInputs({ 6: 'past_sequence_length' });
  if (f.output(2)) throw f.unsupported('more than two outputs');
  const filter = f.float('mask_filter_value') ?? -10000;
  const input = f.input(0)!;
  const weights = f.input(1);
  if (!weights) throw f.unsupported('no weights input');

  let qkv = e.one('MatMul', [input, weights]);
  const bias = f.input(2);
  if (bias) qkv = e.one('Add', [qkv, bias]);
  const sizes = f.ints('qkv_hidden_sizes');
  let parts: Tensor[];
  if (sizes && sizes.length > 0) {
    if (sizes.length !== 3) throw f.unsupported(`qkv_hidden_sizes of ${sizes.length} values`);
    const [hq, hk, hv] = sizes;
    parts = [e.slice(qkv, 2, 0, hq), e.slice(qkv, 2, hq, hq + hk), e.slice(qkv, 2, hq + hk, hq + hk + hv)];
  } else {
    const third = e.one('Div', [e.dim(qkv, 2), e.ints([3])]);
    const twoThirds = e.one('Mul', [third, e.ints([2])]);
    parts = [e.sliceDyn(qkv, 2, e.ints([0]), third), e.sliceDyn(qkv, 2, third, twoThirds), e.sliceDyn(qkv, 2, twoThirds, e.one('Mul', [third, e.ints([3])]))];
  }
  const q = splitHeads(e, parts[0], heads);
  let k = splitHeads(e, parts[1], heads);
  let v = splitHeads(e, parts[2], heads);
  const past = f.input(4);
  if (past) {
    k = e.one('Concat', [e.one('Gather', [past, e.ints([0], [])], { axis: 0 }), k], { axis: 2 });
    v = e.one('Concat', [e.one('Gather', [past, e.ints([1], [])], { axis: 0 }), v], { axis: 2 });
  }
  const present = f.output(1);
  if (present) e.one('Concat', [e.unsqueeze(k, [0]), e.unsqueeze(v, [0])], { axis: 0 }, present);

  const batch = e.dim(input, 0);
  const queries = e.dim(input, 1);
  const total = e.dim(k, 2);
  const steps: ScoreStep[] = [];
  const mask = f.input(3);
  if (mask) steps.push({ kind: 'add', bias: paddingBias(e, f, mask, batch, total, filter, input, true) });
  if (f.int('unidirectional', 0) === 1) steps.push({ kind: 'add', bias: causalBias(e, queries, total, filter, input) });
  const attentionBias = f.input(5);
  if (attentionBias) steps.push({ kind: 'add', bias: attentionBias });
  const scale = f.float('scale');
  attend(e, { q, k, v, heads, kvHeads: heads, scale: scale ? scale : undefined, steps }, f.output(0));
}
