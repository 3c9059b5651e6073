import { BOOL, FLOAT, INT64, type GraphBuilder, type Tensor } from './graph';

/** How one layer's heads are laid out. */
export interface HeadLayout {
  heads: number;
  /** Key/value heads; fewer than `heads` means grouped-query attention. */
  kvHeads: number;
  headDim: number;
}

/** Rotary tables, each [batch, T, 1, headDim], broadcast over heads. */
export interface Rotary {
  cos: Tensor;
  sin: Tensor;
}

/** What one attention layer needs besides its projections. */
export interface AttentionSpec extends HeadLayout {
  /** Additive float mask broadcastable to [batch, heads, T, T]: 0 where allowed, a huge negative where not. */
  mask: Tensor;
  /** Divisor of the scores; √headDim everywhere except GPT-2's per-layer scaling option. */
  divisor: number;
  rotary?: Rotary;
  /** Applied to q and k per head before RoPE (Qwen3's q_norm / k_norm). */
  headNorm?: { q: (x: Tensor) => Tensor; k: (x: Tensor) => Tensor };
  /**
   * The layer's index when it keeps a KV cache: its keys (after RoPE) and values, before the
   * grouped-query repeat, are appended to `past_key_values.<layer>.key/value` and returned as
   * `present.<layer>.key/value`, as transformers.js-style decoder exports name them.
   */
  cacheLayer?: number;
}

/** Scaled dot-product attention over projected q, k, v ([batch, T, heads·headDim]); returns the context and the Softmax output. */
export function attention(g: GraphBuilder, q: Tensor, k: Tensor, v: Tensor, spec: AttentionSpec): { context: Tensor; probs: Tensor } {
  const { heads, kvHeads, headDim } = spec;
  // [B, T, n·d] → [B, T, n, d]: RoPE and the head norms act here, before heads move forward.
  let qh = g.reshape(q, [0, 0, heads, headDim]);
  let kh = g.reshape(k, [0, 0, kvHeads, headDim]);
  const vh = g.reshape(v, [0, 0, kvHeads, headDim]);
  if (spec.headNorm) {
    qh = spec.headNorm.q(qh);
    kh = spec.headNorm.k(kh);
  }
  if (spec.rotary) {
    qh = applyRotary(g, qh, spec.rotary, headDim);
    kh = applyRotary(g, kh, spec.rotary, headDim);
  }
  const query = g.transpose(qh, [0, 2, 1, 3]);
  let keys = g.transpose(kh, [0, 2, 1, 3]);
  let values = g.transpose(vh, [0, 2, 1, 3]);
  if (spec.cacheLayer !== undefined) [keys, values] = withCache(g, keys, values, spec.cacheLayer, spec);
  const key = repeatKv(g, keys, spec);
  const value = repeatKv(g, values, spec);
  // MatMul → Div → Add → Softmax → MatMul: the chain the engine's surgery recognises as attention.
  const scores = g.div(g.matMul(query, g.transpose(key, [0, 1, 3, 2])), g.scalar(spec.divisor));
  const probs = g.softmax(g.add(scores, spec.mask), -1);
  const context = g.transpose(g.matMul(probs, value), [0, 2, 1, 3]);
  return { context: g.reshape(context, [0, 0, heads * headDim]), probs };
}

// Past keys and values ([batch, kv heads, past, head dim], empty on the first step) come before this
// step's; the whole of each is the layer's present, which the next step feeds back as its past.
function withCache(g: GraphBuilder, keys: Tensor, values: Tensor, layer: number, layout: HeadLayout): [Tensor, Tensor] {
  const { kvHeads, headDim } = layout;
  return (['key', 'value'] as const).map((kind, i) => {
    const past = g.input(`past_key_values.${layer}.${kind}`, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]);
    const present = g.concat([past, i === 0 ? keys : values], 2);
    g.output(present, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim], `present.${layer}.${kind}`);
    return present;
  }) as [Tensor, Tensor];
}

// Grouped-query attention: KV head j serves query heads j·r … j·r + r − 1, as HF's repeat_kv orders them.
function repeatKv(g: GraphBuilder, x: Tensor, layout: HeadLayout): Tensor {
  const groups = layout.heads / layout.kvHeads;
  if (groups === 1) return x;
  const expanded = g.op('Expand', [g.unsqueeze(x, [2]), g.ints([1, 1, groups, 1, 1])]);
  return g.reshape(expanded, [0, layout.heads, -1, layout.headDim]);
}

// HF rotate_half layout: x·cos + [−x₂, x₁]·sin, with x₁, x₂ the two halves of the head dimension.
function applyRotary(g: GraphBuilder, x: Tensor, rotary: Rotary, headDim: number): Tensor {
  const half = headDim / 2;
  const x1 = g.slice(x, -1, 0, half);
  const x2 = g.slice(x, -1, half, headDim);
  const rotated = g.concat([g.op('Neg', [x2]), x1], -1);
  return g.add(g.mul(x, rotary.cos), g.mul(rotated, rotary.sin));
}

/** Rotary tables from position_ids [B, T] (int64) and inverse frequencies [headDim/2]. */
export function rotaryTables(g: GraphBuilder, positionIds: Tensor, invFreq: Float32Array): Rotary {
  return g.scope('rotary_emb', () => {
    const positions = g.unsqueeze(g.cast(positionIds, FLOAT), [-1]);
    const freqs = g.mul(positions, g.weight('rotary_emb.inv_freq', invFreq, [invFreq.length]));
    const angles = g.unsqueeze(g.concat([freqs, freqs], -1), [2]);
    return { cos: g.op('Cos', [angles]), sin: g.op('Sin', [angles]) };
  });
}

/** The dynamic sequence length of [batch, T] ids, as a 0-d int64. */
export function sequenceLength(g: GraphBuilder, ids: Tensor): Tensor {
  return g.gather(g.op('Shape', [ids]), g.ints([1], []));
}

/** 0 … T−1 as int64 [T]. */
export function positions(g: GraphBuilder, length: Tensor): Tensor {
  return g.op('Range', [g.ints([0], []), length, g.ints([1], [])]);
}

// torch.finfo(float32).min, the value HF masks with: large enough to zero a probability, finite so no NaN.
const MASKED = -3.4028234663852886e38;

/** Masks built once per graph and shared by every layer. */
export class MaskBuilder {
  private readonly cache = new Map<string, Tensor>();
  private readonly keep: Tensor;
  private ranges: { keys: Tensor; queries: Tensor } | undefined;

  /**
   * attentionMask is the int64 [B, past + T] input (1 = token, 0 = padding); inputIds, [B, T], is
   * needed by causal masks, whose queries are the last T of the mask's positions.
   */
  constructor(private readonly g: GraphBuilder, private readonly attentionMask: Tensor, private readonly inputIds?: Tensor) {
    this.keep = g.scope('mask', () => g.unsqueeze(g.cast(attentionMask, BOOL), [1, 2])); // [B, 1, 1, past + T]
  }

  /** Padding only (encoders): [B, 1, 1, T]. */
  padding(): Tensor {
    return this.memo('padding', () => this.additive(this.keep));
  }

  /** Causal and padding, optionally limited to the last `window` keys (Mistral's sliding window): [B, 1, T, T]. */
  causal(window?: number): Tensor {
    return this.memo(`causal:${window ?? ''}`, () => {
      const g = this.g;
      this.ranges ??= this.positions();
      const { keys, queries } = this.ranges;
      const query = g.unsqueeze(queries, [1]); // [T, 1]
      const key = g.unsqueeze(keys, [0]); // [1, past + T]
      let allowed = g.op('LessOrEqual', [key, query]);
      if (window !== undefined) {
        // HF's sliding_window_overlay: key > query − window, so each query sees `window` keys including itself.
        allowed = g.op('And', [allowed, g.op('Greater', [key, g.sub(query, g.ints([window], []))])]);
      }
      return this.additive(g.op('And', [g.unsqueeze(allowed, [0, 1]), this.keep]));
    });
  }

  // Keys are 0 … past + T − 1; queries the last T of them (all of them when the past is empty).
  private positions(): { keys: Tensor; queries: Tensor } {
    const g = this.g;
    if (!this.inputIds) throw new Error('a causal mask needs the input ids');
    const total = sequenceLength(g, this.attentionMask);
    const past = g.sub(total, sequenceLength(g, this.inputIds));
    return { keys: positions(g, total), queries: g.op('Range', [past, total, g.ints([1], [])]) };
  }

  private additive(allowed: Tensor): Tensor {
    return this.g.op('Where', [allowed, this.g.scalar(0), this.g.scalar(MASKED)]);
  }

  private memo(key: string, make: () => Tensor): Tensor {
    let mask = this.cache.get(key);
    if (!mask) {
      mask = this.g.scope('mask', make);
      this.cache.set(key, mask);
    }
    return mask;
  }
}

/** Declares the standard int64 [batch_size, sequence_length] inputs. */
export function idInputs(g: GraphBuilder, names: string[]): Tensor[] {
  return names.map((n) => g.input(n, INT64, ['batch_size', 'sequence_length']));
}
