import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { LoadStage, ModelInfo, PrecisionChoice, Provider, ProviderAttempt, Token } from '../protocol';
import { buildOnnxFromCheckpoint, buildOnnxToFile, checkpointCacheKey } from './graphs';
import { EngineError } from './errors';
import { buildFeeds } from './feeds';
import { configHeads, configLayers, isCausal, resolveModelFolder, type ModelFolder } from './modelFolder';
import { resolveDataLinks } from './graphSession';
import { openSession } from './providers';
import { exposeAttention, type ExposedGraph } from './surgery';
import { TextTokenizer } from './tokenizer';

/** A graph's bytes (structure and small constants) and the folder its external data lies in. */
interface GraphSource {
  bytes: Uint8Array;
  dataDir: string;
}

/** Called as loading moves on: reading files, building a graph from safetensors, onnxruntime optimising it. */
export type LoadProgressCallback = (stage: LoadStage) => void;

/** The folder's ONNX graph, or one built from its safetensors checkpoint (cached when a cache is given). */
async function graphSource(folder: ModelFolder, cacheDir: string | undefined, progress: LoadProgressCallback): Promise<GraphSource> {
  if (!folder.onnxPath) {
    // Built graphs point at the checkpoint's own files, so their data folder is the model folder.
    if (!cacheDir) {
      progress('building');
      return { bytes: await buildOnnxFromCheckpoint(folder.dir), dataDir: folder.dir };
    }
    const cached = path.join(cacheDir, 'graphs', `${checkpointCacheKey(folder.dir)}.onnx`);
    if (!existsSync(cached)) {
      progress('building');
      await buildOnnxToFile(folder.dir, cached);
    }
    return { bytes: await readFile(cached), dataDir: folder.dir };
  }
  let bytes: Uint8Array;
  try {
    // Only the graph: weights in external data files stay on disk for onnxruntime to read.
    bytes = await readFile(folder.onnxPath);
  } catch (err) {
    throw new EngineError('onnx-missing', `The ONNX graph ${folder.onnxPath} could not be read.`, String(err));
  }
  return { bytes, dataDir: path.dirname(folder.onnxPath) };
}

/** Refuses, in plain words, a graph whose external data files are not beside it. */
function checkExternalData(graph: ExposedGraph, source: GraphSource, onnxPath: string | undefined): void {
  const missing = graph.externalData.filter((file) => !existsSync(path.join(source.dataDir, file)));
  if (missing.length === 0) return;
  throw new EngineError('onnx-missing',
    `The weights of ${onnxPath ? path.basename(onnxPath) : 'this model'} are kept in ${missing.join(', ')}, which ` +
    `${missing.length === 1 ? 'is' : 'are'} missing from ${source.dataDir}. Download the model again with all its files.`,
    `external data: ${graph.externalData.join(', ')}`);
}

/** One encoded input, cut to the token budget. */
export interface EncodedText {
  tokens: Token[];
  typeIds: number[];
  /** Token count before truncation, when the text was cut. */
  truncatedFrom?: number;
}

/** A loaded model: tokenizer, surgered graph and session, ready to return attention. */
export class AttentionModel {
  private released = false;

  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: TextTokenizer,
    readonly graph: ExposedGraph,
    readonly session: ort.InferenceSession,
    readonly provider: string,
    readonly attempts: ProviderAttempt[],
    readonly info: ModelInfo,
  ) {}

  /** Loads a model folder (or an .onnx inside one) on the requested execution provider; `onProgress` hears each stage. */
  static async load(location: string, provider: Provider = 'auto', cacheDir?: string,
    onProgress: LoadProgressCallback = () => undefined, precision: PrecisionChoice = 'auto'): Promise<AttentionModel> {
    const folder = resolveModelFolder(location, precision);
    onProgress('reading');
    const tokenizer = await TextTokenizer.fromFolder(folder.dir);
    const source = await graphSource(folder, cacheDir, onProgress);
    let graph = exposeAttention(source.bytes);
    checkExternalData(graph, source, folder.onnxPath);
    const linked = resolveDataLinks(source.bytes, source.dataDir, graph.externalData);
    if (linked.bytes !== source.bytes) graph = exposeAttention(linked.bytes);
    const layers = graph.attentionOutputs.length;
    const stated = configLayers(folder.config);
    if (stated !== undefined && stated !== layers) {
      throw new EngineError('config-mismatch',
        `config.json says the model has ${stated} layers, but its ONNX graph has ${layers} attention layers. ` +
        'The config and the graph come from different models.');
    }
    onProgress('optimising');
    const opened = await openSession(graph.bytes, provider, linked.dataDir);
    const info: ModelInfo = {
      id: folder.id,
      layers,
      heads: configHeads(folder.config) ?? 0,
      causal: isCausal(folder.config, graph.inputs.map((i) => i.name)),
      architecture: folder.config.architectures?.[0] ?? folder.config.model_type,
      precision: graph.precision,
    };
    return new AttentionModel(folder, tokenizer, graph, opened.session, opened.provider, opened.attempts, info);
  }

  /** Tokenises text, keeping at most maxTokens tokens. */
  encode(text: string, maxTokens: number): EncodedText {
    const { tokens, typeIds } = this.tokenizer.encode(text);
    if (!tokens.some((t) => !t.special)) {
      throw new EngineError('empty-input', 'There is no text to inspect: select some text first.');
    }
    if (tokens.length <= maxTokens) return { tokens, typeIds };
    return { tokens: tokens.slice(0, maxTokens), typeIds: typeIds.slice(0, maxTokens), truncatedFrom: tokens.length };
  }

  /** Runs the graph and returns each layer's probabilities as Float32 [heads][T][T]. */
  async run(encoded: EncodedText): Promise<Float32Array[]> {
    const out = await this.session.run(this.feeds(encoded), this.graph.attentionOutputs);
    return this.graph.attentionOutputs.map((name, layer) => this.checked(out[name], layer, encoded.tokens.length));
  }

  /**
   * Layer `layer`'s probabilities alone, exactly as `run` gives them: onnxruntime computes only what
   * that output depends on (the layers up to it). What the attention store recomputes from.
   */
  async runLayer(encoded: EncodedText, layer: number): Promise<Float32Array> {
    if (this.released) throw new EngineError('attention-evicted', 'The model of this inspection is no longer loaded. Run the inspection again.');
    const name = this.graph.attentionOutputs[layer];
    const out = await this.session.run(this.feeds(encoded), [name]);
    return this.checked(out[name], layer, encoded.tokens.length);
  }

  private feeds(encoded: EncodedText): ort.InferenceSession.FeedsType {
    return buildFeeds(this.graph.inputs, encoded.tokens.map((t) => t.id), encoded.typeIds, this.folder.config);
  }

  private checked(tensor: ort.Tensor, layer: number, T: number): Float32Array {
    const dims = tensor.dims;
    if (dims.length !== 4 || dims[2] !== T || dims[3] !== T) {
      throw new EngineError('no-attention',
        `Layer ${layer}'s Softmax has shape [${dims.join(', ')}], not [batch, heads, ${T}, ${T}]: it is not token-to-token attention.`);
    }
    if (this.info.heads && dims[1] !== this.info.heads) {
      throw new EngineError('config-mismatch',
        `config.json says ${this.info.heads} attention heads, but the graph produces ${dims[1]} in layer ${layer}.`);
    }
    if (tensor.type !== 'float32') {
      throw new EngineError('no-attention', `Layer ${layer}'s attention is ${tensor.type}; only float32 is supported.`);
    }
    return tensor.data as Float32Array;
  }

  /** Heads as the graph produced them (config.json may not say). */
  headsOf(layer: Float32Array, T: number): number {
    return layer.length / (T * T);
  }

  async dispose(): Promise<void> {
    this.released = true;
    await this.session.release();
  }
}
