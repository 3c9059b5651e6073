// com.microsoft.MultiHeadAttention in standard ops: separate Q/K/V ([B, S, D]), packed QKV
// ([B, S, n, 3, h]) or packed KV ([B, L, n, 2, h]), optional projection bias [Dq + Dk + Dv],
// key_padding_mask, attention_bias, past_key/past_value [B, n, P, h] with presents, unidirectional.
import { attend, splitHeads, type ScoreStep } from './attend';
import type { Emitter, FusedNode, Tensor } from './emitter';
import { causalBias, paddingBias } from './masks';

/** Rewrites one com.microsoft.MultiHeadAttention node. */
export function rewriteMultiHeadAttention(e: Emitter, f: FusedNode): void {
  const heads = f.int('num_heads', 0);
  if (heads <= 0) throw f.unsupported(`num_heads ${heads}`);
  f.refuseInputs({ 8: 'past_sequence_length (shared past/present buffers)', 9: 'cache_indirection (beam search)' });
  if (f.output(3)) throw f.unsupported('the qk output');
  const filter = f.float('mask_filter_value') ?? -10000;
  const query = f.input(0)!;
  const key = f.input(1);
  const value = f.input(2);
  const bias = f.input(3);

  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (!key && !value) {
    if (bias) throw f.unsupported('a bias with packed QKV');
    const part = (i: number) => e.transpose(e.squeeze(e.slice(query, 3, i, i + 1), [3]), [0, 2, 1, 3]);
    [q, k, v] = [part(0), part(1), part(2)];
  } else if (key && !value) {
    if (bias) throw f.unsupported('a bias with packed KV');
    q = splitHeads(e, query, heads);
    const part = (i: number) => e.transpose(e.squeeze(e.slice(key, 3, i, i + 1), [3]), [0, 2, 1, 3]);
    [k, v] = [part(0), part(1)];
  } else if (key && value) {
    const kvRank = e.facts.rank(key);
    let qIn = query;
    let kIn = key;
    let vIn = value;
    if (bias) {
      if (kvRank === 4) throw f.unsupported('a bias with key/value already split into heads');
      const dq = e.dim(query, 2);
      const dqk = e.one('Add', [dq, e.dim(key, 2)]);
      qIn = e.one('Add', [query, e.sliceDyn(bias, 0, e.ints([0]), dq)]);
      kIn = e.one('Add', [key, e.sliceDyn(bias, 0, dq, dqk)]);
      vIn = e.one('Add', [value, e.sliceDyn(bias, 0, dqk, e.ints([2 ** 62]))]);
    }
    q = splitHeads(e, qIn, heads);
    k = kvRank === 4 ? kIn : splitHeads(e, kIn, heads);
    v = kvRank === 4 ? vIn : splitHeads(e, vIn, heads);
  } else {
    throw f.unsupported('a value without a key');
  }

  const pastKey = f.input(6);
  const pastValue = f.input(7);
  if (!!pastKey !== !!pastValue) throw f.unsupported('only one of past_key and past_value');
  const presentKey = f.output(1);
  const presentValue = f.output(2);
  if (pastKey) {
    k = e.one('Concat', [pastKey, k], { axis: 2 }, presentKey);
    v = e.one('Concat', [pastValue!, v], { axis: 2 }, presentValue);
  } else {
    if (presentKey) k = e.one('Identity', [k], {}, presentKey);
    if (presentValue) v = e.one('Identity', [v], {}, presentValue);
  }

  const batch = e.dim(query, 0);
  const queries = e.dim(q, 2);
  const total = e.dim(k, 2);
  const steps: ScoreStep[] = [];
  const mask = f.input(4);
  if (mask) steps.push({ kind: 'add', bias: paddingBias(e, f, mask, batch, total, filter, query, false) });
  if (f.int('unidirectional', 0) === 1) steps.push({ kind: 'add', bias: causalBias(e, queries, total, filter, query) });
  const attentionBias = f.input(5);
  if (attentionBias) steps.push({ kind: 'add', bias: attentionBias });
  const scale = f.float('scale');
  attend(e, { q, k, v, heads, kvHeads: heads, scale: scale ? scale : undefined, steps }, f.output(0));
}
