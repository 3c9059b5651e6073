// Independent float64 forward passes of the HF Llama, GPT-2 and BERT blocks, written as plain loops
// over row-major matrices, to check the graphs the checkpoint builder emits.
import type { Param, Row } from './buildCheckpoint';

/** Looks a parameter up by its full HF name. */
export type Lookup = (name: string) => Param | undefined;
/** Per layer, Float64 [heads][T][T]. */
export type Attentions = Float64Array[];

const need = (get: Lookup, name: string): Param => {
  const p = get(name);
  if (!p) throw new Error(`reference: missing ${name}`);
  return p;
};

/** x [T, in] · Wᵀ (+ b), W stored [out, in] as nn.Linear keeps it. */
function linear(x: Float64Array, T: number, w: Param, b?: Param): Float64Array {
  const [out, inp] = w.shape;
  const y = new Float64Array(T * out);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < out; o++) {
      let sum = b ? b.data[o] : 0;
      for (let i = 0; i < inp; i++) sum += x[t * inp + i] * w.data[o * inp + i];
      y[t * out + o] = sum;
    }
  }
  return y;
}

/** GPT-2 Conv1D: x [T, in] · W [in, out] + b. */
function conv1d(x: Float64Array, T: number, w: Param, b: Param): Float64Array {
  const [inp, out] = w.shape;
  const y = new Float64Array(T * out);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < out; o++) {
      let sum = b.data[o];
      for (let i = 0; i < inp; i++) sum += x[t * inp + i] * w.data[i * out + o];
      y[t * out + o] = sum;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, width: number, w: Param, b: Param, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const mean = row.reduce((a, v) => a + v, 0) / width;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / width;
    for (let i = 0; i < width; i++) y[r * width + i] = ((row[i] - mean) / Math.sqrt(variance + eps)) * w.data[i] + b.data[i];
  }
  return y;
}

function rmsNorm(x: Float64Array, width: number, w: Param, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    let ms = 0;
    for (let i = 0; i < width; i++) ms += x[r * width + i] ** 2;
    const scale = 1 / Math.sqrt(ms / width + eps);
    for (let i = 0; i < width; i++) y[r * width + i] = x[r * width + i] * scale * w.data[i];
  }
  return y;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is only 1e-7 accurate; a series/continued fraction pair is exact to double precision.
  const ax = Math.abs(x);
  let result: number;
  if (ax < 2.5) {
    let term = ax, sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return Math.sign(x) * result;
}

const ACTS: Record<string, (v: number) => number> = {
  silu: (v) => v / (1 + Math.exp(-v)),
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  gelu_new: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
};

/** Softmax attention per head over allowed keys; KV head of query head h is ⌊h / (heads / kvHeads)⌋. */
function attend(q: Float64Array, k: Float64Array, v: Float64Array, T: number, heads: number, kvHeads: number, d: number,
  allowed: (query: number, key: number) => boolean, divisor: number): { context: Float64Array; probs: Float64Array } {
  const context = new Float64Array(T * heads * d);
  const probs = new Float64Array(heads * T * T);
  const group = heads / kvHeads;
  for (let h = 0; h < heads; h++) {
    const kv = Math.floor(h / group);
    for (let i = 0; i < T; i++) {
      const scores = new Float64Array(T).fill(-Infinity);
      for (let j = 0; j < T; j++) {
        if (!allowed(i, j)) continue;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[(i * heads + h) * d + c] * k[(j * kvHeads + kv) * d + c];
        scores[j] = dot / divisor;
      }
      const max = Math.max(...scores);
      const row = probs.subarray((h * T + i) * T, (h * T + i + 1) * T);
      if (max === -Infinity) row.fill(1 / T); // no key allowed: every key ties, as a finite mask makes them
      else {
        let sum = 0;
        for (let j = 0; j < T; j++) sum += row[j] = Math.exp(scores[j] - max);
        for (let j = 0; j < T; j++) row[j] /= sum;
      }
      for (let j = 0; j < T; j++) {
        for (let c = 0; c < d; c++) context[(i * heads + h) * d + c] += row[j] * v[(j * kvHeads + kv) * d + c];
      }
    }
  }
  return { context, probs };
}

function embed(table: Param, ids: number[]): Float64Array {
  const width = table.shape[1];
  const x = new Float64Array(ids.length * width);
  ids.forEach((id, t) => { for (let i = 0; i < width; i++) x[t * width + i] = table.data[id * width + i]; });
  return x;
}

function addInPlace(x: Float64Array, y: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
  return x;
}

/** Llama-family settings the reference needs, spelled out rather than read through the builder's code. */
export interface LlamaSpec {
  prefix: string; layers: number; heads: number; kvHeads: number; headDim: number; eps: number;
  invFreq: number[]; window?: number;
}

/** HF Llama/Mistral/Qwen2/Qwen3: RMSNorm, optional biases and q/k norms, rotate_half RoPE, GQA, SiLU MLP. */
export function llamaReference(get: Lookup, s: LlamaSpec, row: Row): Attentions {
  const T = row.ids.length;
  const p = s.prefix;
  let x = embed(need(get, `${p}embed_tokens.weight`), row.ids);
  const width = x.length / T;
  const out: Attentions = [];
  for (let l = 0; l < s.layers; l++) {
    const a = `${p}layers.${l}.self_attn.`;
    const h = rmsNorm(x, width, need(get, `${p}layers.${l}.input_layernorm.weight`), s.eps);
    const project = (n: string) => linear(h, T, need(get, `${a}${n}.weight`), get(`${a}${n}.bias`));
    let q = project('q_proj');
    let k = project('k_proj');
    const v = project('v_proj');
    const qNorm = get(`${a}q_norm.weight`);
    const kNorm = get(`${a}k_norm.weight`);
    if (qNorm && kNorm) {
      q = rmsNorm(q, s.headDim, qNorm, s.eps);
      k = rmsNorm(k, s.headDim, kNorm, s.eps);
    }
    rotate(q, T, s.heads, s.headDim, row.positions!, s.invFreq);
    rotate(k, T, s.kvHeads, s.headDim, row.positions!, s.invFreq);
    const allowed = (i: number, j: number) => j <= i && row.mask[j] === 1 && (s.window === undefined || j > i - s.window);
    const { context, probs } = attend(q, k, v, T, s.heads, s.kvHeads, s.headDim, allowed, Math.sqrt(s.headDim));
    out.push(probs);
    x = addInPlace(x, linear(context, T, need(get, `${a}o_proj.weight`), get(`${a}o_proj.bias`)));
    const m = `${p}layers.${l}.mlp.`;
    const h2 = rmsNorm(x, width, need(get, `${p}layers.${l}.post_attention_layernorm.weight`), s.eps);
    const gate = linear(h2, T, need(get, `${m}gate_proj.weight`), get(`${m}gate_proj.bias`));
    const up = linear(h2, T, need(get, `${m}up_proj.weight`), get(`${m}up_proj.bias`));
    const act = gate.map((g, i) => ACTS.silu(g) * up[i]);
    x = addInPlace(x, linear(act, T, need(get, `${m}down_proj.weight`), get(`${m}down_proj.bias`)));
  }
  return out;
}

// rotate_half RoPE: element i pairs with i + d/2 at angle position · invFreq[i].
function rotate(x: Float64Array, T: number, heads: number, d: number, positions: number[], invFreq: number[]): void {
  const half = d / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * d;
      for (let i = 0; i < half; i++) {
        const angle = positions[t] * invFreq[i];
        const a = x[base + i], b = x[base + i + half];
        x[base + i] = a * Math.cos(angle) - b * Math.sin(angle);
        x[base + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
  }
}

/** HF GPT-2: learned positions, pre-LN, Conv1D, gelu_new, causal. */
export function gpt2Reference(get: Lookup, prefix: string, layers: number, heads: number, row: Row): Attentions {
  const T = row.ids.length;
  const p = prefix;
  const x = addInPlace(embed(need(get, `${p}wte.weight`), row.ids), embed(need(get, `${p}wpe.weight`), row.positions!));
  const width = x.length / T;
  const d = width / heads;
  const out: Attentions = [];
  for (let l = 0; l < layers; l++) {
    const b = `${p}h.${l}.`;
    const ln = (n: string, y: Float64Array) => layerNorm(y, width, need(get, `${b}${n}.weight`), need(get, `${b}${n}.bias`), 1e-5);
    const conv = (n: string, y: Float64Array) => conv1d(y, T, need(get, `${b}${n}.weight`), need(get, `${b}${n}.bias`));
    const qkv = conv('attn.c_attn', ln('ln_1', x));
    const part = (n: number) => Float64Array.from({ length: T * width }, (_, i) => qkv[Math.floor(i / width) * 3 * width + n * width + (i % width)]);
    const allowed = (i: number, j: number) => j <= i && row.mask[j] === 1;
    const { context, probs } = attend(part(0), part(1), part(2), T, heads, heads, d, allowed, Math.sqrt(d));
    out.push(probs);
    addInPlace(x, conv('attn.c_proj', context));
    addInPlace(x, conv('mlp.c_proj', conv('mlp.c_fc', ln('ln_2', x)).map(ACTS.gelu_new)));
  }
  return out;
}

/** HF BertModel: word + position + token-type embeddings, post-LN, exact GELU, padding mask. */
export function bertReference(get: Lookup, prefix: string, layers: number, heads: number, row: Row): Attentions {
  const T = row.ids.length;
  const e = `${prefix}embeddings.`;
  const sum = embed(need(get, `${e}word_embeddings.weight`), row.ids);
  addInPlace(sum, embed(need(get, `${e}position_embeddings.weight`), row.ids.map((_, i) => i)));
  addInPlace(sum, embed(need(get, `${e}token_type_embeddings.weight`), row.typeIds ?? row.ids.map(() => 0)));
  const width = sum.length / T;
  const d = width / heads;
  const ln = (n: string, y: Float64Array) => layerNorm(y, width, need(get, `${n}.weight`), need(get, `${n}.bias`), 1e-12);
  const lin = (n: string, y: Float64Array) => linear(y, T, need(get, `${n}.weight`), need(get, `${n}.bias`));
  let x = ln(`${e}LayerNorm`, sum);
  const out: Attentions = [];
  for (let l = 0; l < layers; l++) {
    const b = `${prefix}encoder.layer.${l}.`;
    const self = `${b}attention.self.`;
    const { context, probs } = attend(lin(`${self}query`, x), lin(`${self}key`, x), lin(`${self}value`, x), T, heads, heads, d,
      (_i, j) => row.mask[j] === 1, Math.sqrt(d));
    out.push(probs);
    const a = ln(`${b}attention.output.LayerNorm`, addInPlace(lin(`${b}attention.output.dense`, context), x));
    x = ln(`${b}output.LayerNorm`, addInPlace(lin(`${b}output.dense`, lin(`${b}intermediate.dense`, a).map(ACTS.gelu)), a));
  }
  return out;
}
