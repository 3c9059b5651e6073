// The masks of com.microsoft Attention and MultiHeadAttention, as onnxruntime's CPU kernels apply
// them: an additive mask_filter_value (default −10000) wherever a key is masked, added to the scaled
// scores, and once more for each reason (padding, causality) a key is masked.
import { range } from './attend';
import type { Emitter, FusedNode, Tensor } from './emitter';

/** Additive [B, 1, S|1, T] term from a mask_index / key_padding_mask input of rank 1, 2 or 3. */
export function paddingBias(e: Emitter, f: FusedNode, mask: Tensor, batch: Tensor, total: Tensor, filter: number, like: Tensor, allowStartEnd: boolean): Tensor {
  const rank = e.facts.rank(mask);
  const keyIndex = range(e, total); // [T]
  let keep: Tensor;
  if (rank === 2 || rank === 3) {
    // Raw masks: 1 keeps the key, 0 masks it.
    keep = e.one('Greater', [mask, e.one('Cast', [e.ints([0], [])], { to: e.facts.elemType(mask) ?? 6 })]);
    keep = rank === 2 ? e.unsqueeze(keep, [1, 2]) : e.unsqueeze(keep, [1]);
  } else if (rank === 1) {
    // [B]: exclusive end of each row's keys (right padding); [2B]: the ends, then inclusive starts (left padding).
    const ends = e.one('Cast', [e.sliceDyn(mask, 0, e.ints([0]), batch)], { to: 7 });
    let keepRow = e.one('Less', [e.unsqueeze(keyIndex, [0]), e.unsqueeze(ends, [1])]);
    if (allowStartEnd) {
      const padded = e.one('Concat', [mask, e.one('Sub', [mask, mask])], { axis: 0 });
      const twoB = e.one('Mul', [batch, e.ints([2])]);
      const starts = e.one('Cast', [e.sliceDyn(padded, 0, batch, twoB)], { to: 7 });
      keepRow = e.one('And', [keepRow, e.one('GreaterOrEqual', [e.unsqueeze(keyIndex, [0]), e.unsqueeze(starts, [1])])]);
    }
    keep = e.unsqueeze(keepRow, [1, 2]);
  } else {
    throw f.unsupported(rank === undefined ? 'a mask whose rank the graph does not declare' : `a mask of rank ${rank}`);
  }
  return e.one('Where', [keep, e.scalarLike(0, like), e.scalarLike(filter, like)]);
}

/** Additive [S, T] causal term: query s (after `past` cached keys) sees keys 0 … past + s. */
export function causalBias(e: Emitter, queries: Tensor, total: Tensor, filter: number, like: Tensor): Tensor {
  const past = e.one('Sub', [total, queries]);
  const queryPos = e.unsqueeze(e.one('Add', [range(e, queries), past]), [1]); // [S, 1]
  const allowed = e.one('LessOrEqual', [e.unsqueeze(range(e, total), [0]), queryPos]);
  return e.one('Where', [allowed, e.scalarLike(0, like), e.scalarLike(filter, like)]);
}

/** Boolean [S, T] causal mask, query s after `past` cached keys (ONNX Attention's lower-right alignment). */
export function causalKeep(e: Emitter, queries: Tensor, total: Tensor): Tensor {
  const past = e.one('Sub', [total, queries]);
  const queryPos = e.unsqueeze(e.one('Add', [range(e, queries), past]), [1]);
  return e.one('LessOrEqual', [e.unsqueeze(range(e, total), [0]), queryPos]);
}
