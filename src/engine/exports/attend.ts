import { MASKED, type Emitter, type Tensor } from './emitter';

/** One step between the scaled scores and the Softmax, in the order the fused op applies them. */
export type ScoreStep =
  | { kind: 'add'; bias: Tensor }
  | { kind: 'softcap'; cap: number }
  | { kind: 'keep'; allowed: Tensor };

/** Heads in BNSH layout ([batch, heads, sequence, head size]) and what is done to the scores. */
export interface AttendSpec {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Query and key/value head counts; undefined when only the tensors' shapes say (4-D ONNX Attention). */
  heads?: number;
  kvHeads?: number;
  /** Multiplies QKᵀ; undefined means 1/√headSize. */
  scale?: number;
  steps: ScoreStep[];
  /** Keep the context as [B, n, S, h] instead of merging heads to [B, S, n·h]. */
  keepHeads?: boolean;
}

/**
 * Plain scaled dot-product attention: MatMul → Mul/Div → (Add | Mul·Tanh | Where)* → Softmax → MatMul,
 * the chain surgery recognises, so the probabilities [batch, heads, query, key] become a graph output.
 * Returns the context merged back to [batch, sequence, heads·headSize].
 */
export function attend(e: Emitter, spec: AttendSpec, contextName?: string): { context: Tensor; probs: Tensor } {
  const key = repeatKv(e, spec.k, spec.q, spec.heads, spec.kvHeads);
  const value = repeatKv(e, spec.v, spec.q, spec.heads, spec.kvHeads);
  const raw = e.one('MatMul', [spec.q, e.transpose(key, [0, 1, 3, 2])]);
  let scores: Tensor;
  if (spec.scale === undefined) {
    const headSize = e.castLike(e.one('Cast', [e.dim(spec.q, 3)], { to: 1 }), raw);
    scores = e.one('Div', [raw, e.one('Sqrt', [headSize])]);
  } else {
    scores = e.one('Mul', [raw, e.scalarLike(spec.scale, raw)]);
  }
  for (const step of spec.steps) {
    if (step.kind === 'add') scores = e.one('Add', [scores, e.castLike(step.bias, scores)]);
    else if (step.kind === 'softcap') {
      const cap = e.scalarLike(step.cap, scores);
      scores = e.one('Mul', [e.one('Tanh', [e.one('Div', [scores, cap])]), cap]);
    } else {
      scores = e.one('Where', [step.allowed, scores, e.scalarLike(MASKED, scores)]);
    }
  }
  const probs = e.one('Softmax', [scores], { axis: -1 });
  const heads = e.one('MatMul', [probs, value]);
  if (spec.keepHeads) return { context: e.one('Identity', [heads], {}, contextName), probs };
  const context = e.transpose(heads, [0, 2, 1, 3]);
  return { context: e.one('Reshape', [context, e.ints([0, 0, -1])], {}, contextName), probs };
}

/** [B, S, n·h] → [B, n, S, h]. */
export function splitHeads(e: Emitter, x: Tensor, heads: number): Tensor {
  return e.transpose(e.reshape(x, [0, 0, heads, -1]), [0, 2, 1, 3]);
}

// Grouped-query attention: KV head j serves query heads j·g … j·g + g − 1 (the order HF's repeat_kv and ORT use).
function repeatKv(e: Emitter, x: Tensor, q: Tensor, heads?: number, kvHeads?: number): Tensor {
  if (heads !== undefined && kvHeads !== undefined) {
    const groups = heads / kvHeads;
    if (groups === 1) return x;
    const expanded = e.one('Expand', [e.unsqueeze(x, [2]), e.ints([1, 1, groups, 1, 1])]);
    return e.reshape(expanded, e.one('Concat', [e.ints([0, heads, -1]), e.dim(x, 3)], { axis: 0 }));
  }
  // Head counts known only at run time: the group size is q's heads over x's (1 when they are equal).
  const qHeads = e.dim(q, 1);
  const groups = e.one('Div', [qHeads, e.dim(x, 1)]);
  const expanded = e.one('Expand', [e.unsqueeze(x, [2]), e.one('Concat', [e.ints([1, 1]), groups, e.ints([1, 1])], { axis: 0 })]);
  return e.reshape(expanded, e.one('Concat', [e.ints([0]), qHeads, e.ints([-1]), e.dim(x, 3)], { axis: 0 }));
}

/** 0 … n−1 as int64 [n], for a [1]-shaped int64 n. */
export function range(e: Emitter, n: Tensor): Tensor {
  return e.one('Range', [e.ints([0], []), e.squeeze(n, [0]), e.ints([1], [])]);
}
