// The session generation runs: the whole surgered graph, fetching the logits, the KV cache's
// presents and every layer's attention in one run per token. It is a session of its own beside the
// inspection's stages because the stage cut keeps only what attention needs: it drops the LM head
// (no logits) and the graph's outputs (no presents). Cutting is not worth it here either: a step
// feeds one token, so there is no large layer to deliver early, and handing the residual stream
// from stage to stage would add a session run per layer to every token.
import type * as ort from 'onnxruntime-node';
import { decodeFloat16 } from '../../attention/quantize';
import type { Provider } from '../../protocol';
import { EngineError } from '../errors';
import { buildFeeds, type PastFeeds } from '../feeds';
import type { ModelConfig } from '../modelFolder';
import { openSession } from '../providers';
import type { ExposedGraph } from '../surgery';

/** What a run gives for its last position. */
export interface LastPosition {
  /** Scores over the vocabulary for the token that follows. */
  logits: Float32Array;
  /** Per layer, [heads][keys]: the last fed token's attention over every position up to its own. */
  rows: Float32Array[];
}

/** A sequence decoded so far: its ids and, when the graph keeps one, its KV cache. */
export interface DecodingState {
  ids: number[];
  past?: PastFeeds;
}

const LOGITS = 'logits';

/** Runs a causal graph a token at a time, from its KV cache when it has one. */
export class Decoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly graph: ExposedGraph,
    private readonly config: ModelConfig,
    /** Past input name → the present output that fills it next step; undefined without a cache. */
    private readonly cache: Map<string, string> | undefined,
  ) {}

  /** Opens the generation session over the model's surgered graph; `provider` is the one its inspection runs on. */
  static async open(graph: ExposedGraph, provider: string, dataDir: string, config: ModelConfig, modelId: string): Promise<Decoder> {
    if (!graph.outputs.includes(LOGITS)) {
      throw new EngineError('not-generative',
        `${modelId} gives no next-token scores (its graph has no "logits" output): it is a model without a ` +
        'language-model head, so it cannot write. Generation needs a causal language model.',
        `outputs: ${graph.outputs.join(', ')}`);
    }
    const { session } = await openSession(graph.bytes, provider as Provider, dataDir);
    return new Decoder(session, graph, config, cacheOf(graph));
  }

  /** Whether tokens are decoded from the KV cache; without one, each token runs the whole sequence again. */
  get cached(): boolean {
    return this.cache !== undefined;
  }

  /** Runs the prompt: its attention per layer ([heads][T][T]), its last position, and the state to go on from. */
  async prefill(ids: number[]): Promise<{ attention: Float32Array[]; last: LastPosition; state: DecodingState }> {
    const { out, last, state } = await this.run(ids, { ids: [] });
    return { attention: this.graph.attentionOutputs.map((name) => out[name].data as Float32Array), last, state };
  }

  /** Feeds one more token: its own attention row, the logits after it, and the state that includes it. */
  async extend(state: DecodingState, id: number): Promise<{ last: LastPosition; state: DecodingState }> {
    const { last, state: next } = await this.run([id], state);
    return { last, state: next };
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  // Feeds `fresh` after `state`: only the new ids with the cache, else the whole sequence again.
  private async run(fresh: number[], state: DecodingState) {
    const ids = [...state.ids, ...fresh];
    const fed = this.cache ? fresh : ids;
    const feeds = buildFeeds(this.graph.inputs, fed, [], this.config, this.cache ? state.past : undefined);
    const fetches = [LOGITS, ...(this.cache?.values() ?? []), ...this.graph.attentionOutputs];
    const out = await this.session.run(feeds, fetches);
    const last: LastPosition = {
      logits: lastLogits(out[LOGITS]),
      rows: this.graph.attentionOutputs.map((name) => lastRow(out[name])),
    };
    const past = this.cache && {
      length: ids.length,
      tensors: Object.fromEntries([...this.cache].map(([input, present]) => [input, out[present]])),
    };
    return { out, last, state: { ids, past } };
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

// logits [1, T, vocab] → the last position's, as float32 (half-precision graphs give float16).
function lastLogits(tensor: ort.Tensor): Float32Array {
  const vocab = tensor.dims[tensor.dims.length - 1];
  const end = tensor.data.length;
  if (tensor.type === 'float16') return decodeFloat16((tensor.data as Uint16Array).subarray(end - vocab, end));
  if (tensor.type !== 'float32') throw new EngineError('not-generative', `The model's logits are ${tensor.type}, which Attention Lens cannot read.`);
  return (tensor.data as Float32Array).slice(end - vocab, end);
}

// attention [1, heads, T, keys] → row T − 1 of each head, [heads][keys].
function lastRow(tensor: ort.Tensor): Float32Array {
  const [, heads, T, keys] = tensor.dims;
  const data = tensor.data as Float32Array;
  const rows = new Float32Array(heads * keys);
  for (let h = 0; h < heads; h++) rows.set(data.subarray((h * T + T - 1) * keys, (h * T + T) * keys), h * keys);
  return rows;
}
