// The three ways the generate bench writes the same continuation, each timed per token and to its
// first token: generate() in this process, the engine process through the host's EngineClient (as
// the extension runs it), and a plain KV-cache decode of the same graph fetching no attention.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { AttentionModel } from '../../src/engine/attentionModel';
import type { EngineClient } from '../../src/engine/client';
import { buildFeeds } from '../../src/engine/feeds';
import { Continuation, type Decoding } from '../../src/engine/generation/continuation';
import { CHUNK_BYTES } from '../../src/engine/generation/decoder';
import { generate } from '../../src/engine/generation/generate';
import { NEXT_TOKEN_LOGITS, withNextTokenProbabilities } from '../../src/engine/generation/nextToken';
import { buildOnnxToFile, checkpointCacheKey } from '../../src/engine/graphs';
import { resolveModelFolder, type ModelConfig } from '../../src/engine/modelFolder';
import { openSession } from '../../src/engine/providers';
import { exposeAttention, type ExposedGraph } from '../../src/engine/surgery';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { median } from './stats';

/** One timed continuation. */
export interface Timing {
  /** From the call (or request) to the first new token in the caller's hands. */
  firstMs: number;
  /** Per new token: the median gap between consecutive tokens (perToken; in process, less the plain decoder's steps between them). */
  tokenMs: number;
  steps: number;
}

/** A timed continuation and what it wrote, for the plain decode to write the same. */
export interface Written {
  timing: Timing;
  prompt: number[];
  ids: number[];
}

/**
 * generate() in this process, with the plain decode in lockstep: each onStep has the plain decoder
 * feed the same token (after its own prompt run, in the first), so every token of ours is timed next
 * to a plain one a step away, and a burst of other work on a shared machine lands on both. Ours is
 * the gap from the end of one onStep to the next onStep; the first, from the call.
 */
export async function timeGenerate(model: AttentionModel, text: string, maxNewTokens: number, plain: PlainDecode): Promise<Written & { plain: Timing }> {
  const ours: number[] = [];
  const theirs: number[] = [];
  let plainFirst = 0;
  let resumed = 0;
  const t0 = performance.now();
  const generation = await generate(model, text, { maxNewTokens }, async (step) => {
    ours.push(performance.now() - (resumed || t0));
    if (step.step === 0) plainFirst = await plain.start(text);
    theirs.push(await plain.step(step.id));
    resumed = performance.now();
  });
  plain.end();
  return {
    timing: { firstMs: ours[0], tokenMs: median(ours.slice(1)), steps: ours.length },
    plain: { firstMs: plainFirst, tokenMs: median(theirs.slice(1)), steps: theirs.length },
    prompt: generation.prompt.map((t) => t.id),
    ids: generation.steps.map((s) => s.id),
  };
}

/**
 * The engine process as the extension drives it: EngineClient.generate, from the request to the
 * first token's arrival on this (host) thread, then each token as the engine wrote it, the store
 * holding every row; the inspection is released after.
 */
export async function timeEngine(client: EngineClient, model: string, text: string, maxNewTokens: number, inspection: number, cacheDir: string): Promise<Written> {
  // The first token as it reaches this (host) thread; per token, as the engine wrote them.
  let firstAt: number | undefined;
  const written: number[] = [];
  const ids: number[] = [];
  let prompt: number[] = [];
  const t0 = performance.now();
  await client.generate({ model, text, provider: 'cpu', maxNewTokens, inspection, cacheDir }, {
    onStarted: (started) => { prompt = started.tokens.map((t) => t.id); },
    onSteps: (steps) => {
      firstAt ??= performance.now();
      for (const step of steps) {
        written.push(step.writtenAt);
        ids.push(step.id);
      }
    },
  });
  client.release(inspection);
  return { timing: { firstMs: firstAt! - t0, tokenMs: perToken(written), steps: written.length }, prompt, ids };
}

/**
 * Per token from the times tokens were written: the median gap between consecutive ones (a stall of
 * the shared machine lands in a few gaps, not all). Through the engine the times are the engine's own
 * (each token's writtenAt): it sends the tokens written within one frame together, so the gaps
 * between arrivals on the host say nothing of a token's cost.
 */
export function perToken(marks: number[]): number {
  return median(marks.slice(1).map((m, i) => m - marks[i]));
}

/** What the plain decode needs of a model: its graph as the model has it (no attention outputs), where its weights lie, its config and tokenizer. */
export interface PlainModel {
  /** The model's own graph: without the outputs surgery adds, onnxruntime frees each layer's probabilities once used. */
  graph: Pick<ExposedGraph, 'bytes' | 'opset' | 'inputs'>;
  /** Its attention layers, for the decoder's chunk size. */
  layers: number;
  dataDir: string;
  config: ModelConfig;
  encode(text: string): number[];
  /** The model's tokenizer decoding, for the text each token adds (as generate() writes it). */
  decoding: Decoding;
}

/**
 * The model at `location` for the plain decode, without loading its sessions: its ONNX graph, or the
 * one built from its checkpoint into `cacheDir` (as the engine builds it, and built there if not yet).
 */
export async function plainModelAt(location: string, cacheDir: string): Promise<PlainModel> {
  const folder = resolveModelFolder(location);
  let file = folder.onnxPath;
  if (!file) {
    file = path.join(cacheDir, 'graphs', `${checkpointCacheKey(folder.dir)}.onnx`);
    if (!existsSync(file)) await buildOnnxToFile(folder.dir, file);
  }
  const bytes = readFileSync(file);
  const { inputs, opset, attentionOutputs } = exposeAttention(bytes);
  const tokenizer = await TextTokenizer.fromFolder(folder.dir);
  return {
    graph: { bytes, inputs, opset }, layers: attentionOutputs.length, config: folder.config,
    dataDir: folder.onnxPath ? path.dirname(folder.onnxPath) : folder.dir,
    encode: (text) => tokenizer.encode(text).tokens.map((t) => t.id),
    decoding: tokenizer,
  };
}

/**
 * A plain KV-cache decode of the same graph without the attention outputs, in a session of its own
 * opened as the decoder's is, fetching only the last position's logits (as the decoder does: a plain
 * decoder has no use for every position's) and the cache. It writes the text as it goes, as any
 * decoder that shows its continuation does: each token's text is decoded as generate() decodes it
 * (Continuation), so what the ratio tells apart is the attention rows, the candidates and the store,
 * not the text both have to write. Its prompt runs in the decoder's chunks:
 * in one run, a 2048-token prompt of the Qwen shape grew the session's memory arena past 9 GB (and
 * took twice as long as in chunks).
 */
export class PlainDecode {
  private readonly pasts: string[];
  private readonly fetches: string[];
  private out: ort.InferenceSession.OnnxValueMapType = {};
  private length = 0;
  private written?: Continuation;

  private constructor(private readonly session: ort.InferenceSession, private readonly model: PlainModel) {
    this.pasts = model.graph.inputs.map((i) => i.name).filter((n) => n.startsWith('past_key_values.'));
    this.fetches = [NEXT_TOKEN_LOGITS, ...this.pasts.map((n) => n.replace('past_key_values.', 'present.'))];
  }

  static async open(model: PlainModel): Promise<PlainDecode> {
    return new PlainDecode((await openSession(withNextTokenProbabilities(model.graph, 'logits'), 'cpu', model.dataDir)).session, model);
  }

  /** Tokenizing `text`, its run (in the decoder's chunks) and an argmax of its logits (a plain decoder's first token): their ms. */
  async start(text: string): Promise<number> {
    const t0 = performance.now();
    const prompt = this.model.encode(text);
    this.written = new Continuation(this.model.decoding, text, prompt);
    const { layers, config } = this.model;
    const chunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * layers * (config.num_attention_heads ?? config.n_head ?? 1) * prompt.length)));
    this.length = 0;
    for (let from = 0; from < prompt.length; from += chunk) await this.feed(prompt.slice(from, from + chunk));
    argmax(this.out[NEXT_TOKEN_LOGITS]);
    return performance.now() - t0;
  }

  /** The text `id` adds, one cached run fed it and an argmax of its logits: their ms. */
  async step(id: number): Promise<number> {
    const t0 = performance.now();
    this.written!.add(id);
    await this.feed([id]);
    argmax(this.out[NEXT_TOKEN_LOGITS]);
    return performance.now() - t0;
  }

  // Feeds `ids` after the cache so far (none at the start).
  private async feed(ids: number[]): Promise<void> {
    const tensors = Object.fromEntries(this.pasts.map((n) => [n, this.out[n.replace('past_key_values.', 'present.')]]));
    const past = this.length > 0 ? { length: this.length, tensors } : undefined;
    this.out = await this.session.run(buildFeeds(this.model.graph.inputs, ids, [], this.model.config, past), this.fetches);
    this.length += ids.length;
  }

  /**
   * A whole decode of `ids` after `text`: the first token after its prompt's run, then one run per
   * token; per token as the engine's (perToken).
   */
  async time(text: string, ids: number[]): Promise<Timing> {
    const firstMs = await this.start(text);
    const marks = [performance.now()];
    for (const id of ids.slice(0, -1)) {
      await this.step(id);
      marks.push(performance.now());
    }
    this.end();
    return { firstMs, tokenMs: perToken(marks), steps: ids.length };
  }

  /** Lets the last run's cache go. */
  end(): void {
    this.out = {};
    this.written = undefined;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function argmax(t: ort.Tensor): number {
  const logits = t.data as Float32Array;
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}
