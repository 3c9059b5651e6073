// The session generation runs: the whole surgered graph, fetching the logits, the KV cache's
// presents and every layer's attention in one run per token. It is a session of its own beside the
// inspection's stages because the stage cut keeps only what attention needs: it drops the LM head
// (no logits) and the graph's outputs (no presents). Cutting is not worth it here either: a step
// feeds one token, so there is no large layer to deliver early, and handing the residual stream
// from stage to stage would add a session run per layer to every token.
//
// With a cache, the prompt runs in chunks of rows: each chunk feeds its tokens after the cache of
// the ones before, so its attention outputs are exactly its rows ([heads][chunk][keys so far]), and
// no run holds more than CHUNK_BYTES of attention (a 2048-token prompt of a 24-layer, 14-head model
// would otherwise hand back 5.6 GB from one run, beside onnxruntime's own copy).
import type * as ort from 'onnxruntime-node';
import { decodeFloat16 } from '../../attention/quantize';
import type { Provider } from '../../protocol';
import { EngineError } from '../errors';
import { buildFeeds, type PastFeeds } from '../feeds';
import type { ModelConfig } from '../modelFolder';
import { openSession } from '../providers';
import type { ExposedGraph } from '../surgery';
import type { AttentionRows } from './attentionRows';
import { NEXT_TOKEN_LOGITS, NEXT_TOKEN_PROBABILITIES, withNextTokenProbabilities } from './nextToken';

/** What a run gives for its last position. */
export interface LastPosition {
  /** Scores over the vocabulary for the token that follows (a view into the run's output). */
  logits: Float32Array;
  /** softmax(logits), as the graph computed it. */
  probabilities: Float32Array;
  /** Per layer, [heads][keys]: the last fed token's attention over every position up to its own. */
  rows: Float32Array[];
}

/** A sequence decoded so far: its length, and its KV cache or (without one) its ids. */
export interface DecodingState {
  length: number;
  /** Every id so far, kept only without a cache (each step then runs the whole sequence). */
  ids?: number[];
  past?: PastFeeds;
}

const LOGITS = 'logits';
/** The most attention one prompt chunk's run hands back: L × H × rows × keys × 4 bytes. */
export const CHUNK_BYTES = 256 * 2 ** 20;

/** Runs a causal graph a token at a time, from its KV cache when it has one. */
export class Decoder {
  // Past input names and the present outputs that fill them next step, in the same order.
  private readonly pasts: string[];
  private readonly presents: string[];
  private readonly fetches: string[];

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly graph: ExposedGraph,
    private readonly config: ModelConfig,
    /** Past input name → the present output that fills it next step; undefined without a cache. */
    private readonly cache: Map<string, string> | undefined,
  ) {
    this.pasts = [...cache?.keys() ?? []];
    this.presents = [...cache?.values() ?? []];
    this.fetches = [NEXT_TOKEN_LOGITS, NEXT_TOKEN_PROBABILITIES, ...this.presents, ...graph.attentionOutputs];
  }

  /** Opens the generation session over the model's surgered graph; `provider` is the one its inspection runs on. */
  static async open(graph: ExposedGraph, provider: string, dataDir: string, config: ModelConfig, modelId: string): Promise<Decoder> {
    if (!graph.outputs.includes(LOGITS)) {
      throw new EngineError('not-generative',
        `${modelId} gives no next-token scores (its graph has no "logits" output): it is a model without a ` +
        'language-model head, so it cannot write. Generation needs a causal language model.',
        `outputs: ${graph.outputs.join(', ')}`);
    }
    const { session } = await openSession(withNextTokenProbabilities(graph, LOGITS), provider as Provider, dataDir);
    return new Decoder(session, graph, config, cacheOf(graph));
  }

  /** Whether tokens are decoded from the KV cache; without one, each token runs the whole sequence again. */
  get cached(): boolean {
    return this.cache !== undefined;
  }

  /**
   * Runs the prompt, handing its attention to `onRows` as it is computed (with a cache, in chunks of
   * rows whose attention stays within `chunkBytes`; whole without), and returns its last position and
   * the state to go on from.
   */
  async prefill(ids: number[], onRows: (rows: AttentionRows) => void = () => undefined, chunkBytes = CHUNK_BYTES):
  Promise<{ last: LastPosition; state: DecodingState }> {
    if (!this.cache) {
      const out = await this.run(ids, undefined);
      onRows({ from: 0, count: ids.length, layers: this.graph.attentionOutputs.map((name) => out[name].data as Float32Array) });
      return { last: this.lastOf(out, false), state: { length: ids.length, ids: ids.slice() } };
    }
    const chunk = this.chunkRows(ids.length, chunkBytes);
    let state: DecodingState = { length: 0 };
    let out: ort.InferenceSession.OnnxValueMapType | undefined;
    for (let from = 0; from < ids.length; from += chunk) {
      const fresh = ids.slice(from, from + chunk);
      out = await this.run(fresh, state.past);
      onRows({ from, count: fresh.length, layers: this.graph.attentionOutputs.map((name) => out![name].data as Float32Array) });
      state = { length: from + fresh.length, past: this.pastOf(out, from + fresh.length) };
    }
    return { last: this.lastOf(out!, true), state };
  }

  /** Feeds one more token: its own attention row, the logits after it, and the state that includes it. */
  async extend(state: DecodingState, id: number): Promise<{ last: LastPosition; state: DecodingState }> {
    const length = state.length + 1;
    if (!this.cache) {
      const ids = [...state.ids!, id];
      const out = await this.run(ids, undefined);
      return { last: this.lastOf(out, false), state: { length, ids } };
    }
    const out = await this.run([id], state.past);
    return { last: this.lastOf(out, true), state: { length, past: this.pastOf(out, length) } };
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  // Rows per prompt chunk: as many as keep a chunk's attention within `bytes` at the prompt's full
  // width (at least one). Small prompts run in one chunk, as without a cache.
  private chunkRows(T: number, bytes: number): number {
    const layers = this.graph.attentionOutputs.length;
    const heads = this.config.num_attention_heads ?? this.config.n_head ?? 1;
    return Math.max(1, Math.floor(bytes / (4 * layers * heads * T)));
  }

  // Feeds `ids` after the cache `past` (none: from position 0).
  private run(ids: number[], past: PastFeeds | undefined): Promise<ort.InferenceSession.OnnxValueMapType> {
    return this.session.run(buildFeeds(this.graph.inputs, ids, [], this.config, past), this.fetches);
  }

  private pastOf(out: ort.InferenceSession.OnnxValueMapType, length: number): PastFeeds {
    const tensors: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.pasts.length; i++) tensors[this.pasts[i]] = out[this.presents[i]];
    return { length, tensors };
  }

  // A one-token run's attention outputs are [1, heads, 1, keys]: exactly the rows, handed on as they
  // are; a whole-sequence run's need the last row cut out of each head.
  private lastOf(out: ort.InferenceSession.OnnxValueMapType, oneRowRuns: boolean): LastPosition {
    return {
      logits: lastLogits(out[NEXT_TOKEN_LOGITS]),
      probabilities: out[NEXT_TOKEN_PROBABILITIES].data as Float32Array,
      rows: this.graph.attentionOutputs.map((name) => {
        const tensor = out[name];
        return oneRowRuns && tensor.dims[2] === 1 ? tensor.data as Float32Array : lastRow(tensor);
      }),
    };
  }
}

// The graph's cache as transformers.js-style decoders name it: past_key_values.N.* in, present.N.* out.
// A graph whose pasts have no matching presents is run without its cache.
function cacheOf(graph: ExposedGraph): Map<string, string> | undefined {
  const pasts = graph.inputs.map((i) => i.name).filter((name) => name.startsWith('past_key_values.'));
  const outputs = new Set(graph.outputs);
  const pairs = pasts.map((name) => [name, name.replace('past_key_values.', 'present.')] as const);
  if (pairs.length === 0 || pairs.some(([, present]) => !outputs.has(present))) return undefined;
  return new Map(pairs);
}

// The last position's logits [1, 1, vocab] as float32 (half-precision graphs give float16). The
// run's output is fresh and nothing else holds it, so float32 logits are a view, not a copy.
function lastLogits(tensor: ort.Tensor): Float32Array {
  const vocab = tensor.dims[tensor.dims.length - 1];
  const end = tensor.data.length;
  if (tensor.type === 'float16') return decodeFloat16((tensor.data as Uint16Array).subarray(end - vocab, end));
  if (tensor.type !== 'float32') throw new EngineError('not-generative', `The model's logits are ${tensor.type}, which Attention Lens cannot read.`);
  return (tensor.data as Float32Array).subarray(end - vocab, end);
}

// attention [1, heads, T, keys] → row T − 1 of each head, [heads][keys].
function lastRow(tensor: ort.Tensor): Float32Array {
  const [, heads, T, keys] = tensor.dims;
  const data = tensor.data as Float32Array;
  const rows = new Float32Array(heads * keys);
  for (let h = 0; h < heads; h++) rows.set(data.subarray((h * T + T - 1) * keys, (h * T + T) * keys), h * keys);
  return rows;
}
