// The standard ONNX Attention op (opset 23, what torch.onnx.export's dynamo path emits for SDPA) in
// ops every opset-23 runtime has: Q/K/V as [B, S, n·h] with q_num_heads/kv_num_heads, or as
// [B, n, S, h]; attn_mask boolean (true = attend) or additive; is_causal; past_key/past_value with
// presents; scale; softcap.
import { attend, splitHeads, type ScoreStep } from './attend';
import { BOOL, type Emitter, type FusedNode, type Tensor } from './emitter';
import { causalKeep } from './masks';

/** Rewrites one ai.onnx Attention node. */
export function rewriteOnnxAttention(e: Emitter, f: FusedNode): void {
  f.refuseInputs({ 6: 'nonpad_kv_seqlen' });
  if (f.output(3)) throw f.unsupported('the qk_matmul_output output');
  const qHeads = f.int('q_num_heads', 0);
  const kvHeads = f.int('kv_num_heads', 0);
  const threeD = qHeads > 0 || kvHeads > 0;
  if (threeD && (qHeads <= 0 || kvHeads <= 0 || qHeads % kvHeads !== 0)) throw f.unsupported(`q_num_heads ${qHeads} over kv_num_heads ${kvHeads}`);
  const query = f.input(0)!;
  const key = f.input(1);
  const value = f.input(2);
  if (!key || !value) throw f.unsupported('no key or value input');

  const q = threeD ? splitHeads(e, query, qHeads) : query;
  let k = threeD ? splitHeads(e, key, kvHeads) : key;
  let v = threeD ? splitHeads(e, value, kvHeads) : value;
  const pastKey = f.input(4);
  const pastValue = f.input(5);
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

  const steps: ScoreStep[] = [];
  const softcap = f.float('softcap') ?? 0;
  if (softcap > 0) steps.push({ kind: 'softcap', cap: softcap });
  const mask = f.input(3);
  if (mask) {
    const type = e.facts.elemType(mask);
    if (type === undefined) throw f.unsupported('an attn_mask whose element type the graph does not declare');
    steps.push(type === BOOL ? { kind: 'keep', allowed: mask } : { kind: 'add', bias: mask });
  }
  if (f.int('is_causal', 0) === 1) steps.push({ kind: 'keep', allowed: causalKeep(e, e.dim(q, 2), e.dim(k, 2)) });
  const scale = f.float('scale');
  const out: Tensor | undefined = f.output(0);
  attend(e, {
    q, k, v, heads: threeD ? qHeads : undefined, kvHeads: threeD ? kvHeads : undefined,
    scale: scale ? scale : undefined, steps, keepHeads: !threeD,
  }, out);
}
