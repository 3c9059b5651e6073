import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { LayerPrecision, LoadStage, ModelInfo, PrecisionChoice, Provider, ProviderAttempt, Token } from '../protocol';
import { buildOnnxFromCheckpoint, buildOnnxToFile, checkpointCacheKey } from './graphs';
import { EngineError, throwIfCancelled } from './errors';
import { buildFeeds } from './feeds';
import { Float16Cast } from './float16Cast';
import { Decoder } from './generation/decoder';
import { configHeads, configLayers, isCausal, resolveModelFolder, type ModelFolder } from './modelFolder';
import { resolveDataLinks } from './graphSession';
import { openSession } from './providers';
import { StagedSessions, StageInputs } from './stagedSessions';
import { planStages } from './stages';
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

// One session per layer's stage, or one for the whole graph when it cannot be cut.
type Runner = { staged: StagedSessions } | { whole: ort.InferenceSession };

/** The sessions that run `graph`: per stage when it can be cut, else whole, with the reason. */
async function openRunner(graph: ExposedGraph, provider: Provider, dataDir: string):
Promise<{ runner: Runner; provider: string; attempts: ProviderAttempt[]; wholeReason?: string }> {
  const plan = planStages(graph);
  const staged = plan.kind === 'staged' ? await StagedSessions.open(graph.model, plan.stages, provider, dataDir) : { refused: plan.reason };
  if ('staged' in staged) return { runner: { staged: staged.staged }, provider: staged.provider, attempts: staged.attempts };
  const whole = await openSession(graph.bytes, provider, dataDir);
  return { runner: { whole: whole.session }, provider: whole.provider, attempts: whole.attempts, wholeReason: staged.refused };
}

/**
 * Called as each layer's attention is computed: Float32 [heads][T][T], or its IEEE half bits when
 * the run was asked for float16. The caller's to keep; float32 data is the very buffer the rest of
 * its layer reads, so it is neither written to nor transferred before the run ends.
 */
export type LayerCallback = (layer: number, data: Float32Array | Uint16Array) => void;

/** A loaded model: tokenizer, surgered graph and its sessions, ready to return attention. */
export class AttentionModel {
  // Opened on the first generation only: inspecting never needs the logits or the cache.
  private decoding: Promise<Decoder> | undefined;
  // Opened on the first run asked for float16: most inspections fit the store as float32.
  private casting: Promise<Float16Cast> | undefined;

  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: TextTokenizer,
    readonly graph: ExposedGraph,
    private readonly runner: Runner,
    readonly provider: string,
    readonly attempts: ProviderAttempt[],
    readonly info: ModelInfo,
    /** Why the graph runs whole rather than layer by layer; undefined when it runs in stages. */
    readonly wholeReason: string | undefined,
    /** The folder onnxruntime reads the graph's external data from. */
    private readonly dataDir: string,
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
    const { runner, provider: chosen, attempts, wholeReason } = await openRunner(graph, provider, linked.dataDir);
    const info: ModelInfo = {
      id: folder.id,
      layers,
      heads: configHeads(folder.config) ?? 0,
      causal: isCausal(folder.config, graph.inputs.map((i) => i.name)),
      architecture: folder.config.architectures?.[0] ?? folder.config.model_type,
      precision: graph.precision,
    };
    return new AttentionModel(folder, tokenizer, graph, runner, chosen, attempts, info,
      wholeReason && `${folder.id} runs as one graph, so its layers arrive together at the end: ${wholeReason}.`, linked.dataDir);
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
    const layers: Float32Array[] = [];
    await this.runStages(encoded, (layer, data) => { layers[layer] = data as Float32Array; });
    return layers;
  }

  /**
   * Runs stage by stage, calling `onLayer` as each layer's attention is computed and checking
   * `signal` between stages. With `keepInputs`, returns what recomputeLayer needs (dispose it).
   * `precision`, asked as each layer arrives, may have onnxruntime round it to float16 bits.
   */
  async runStages(encoded: EncodedText, onLayer: LayerCallback, signal?: AbortSignal, keepInputs = false,
    precision: () => LayerPrecision = () => 'float32'): Promise<StageInputs | undefined> {
    const ids = encoded.tokens.map((t) => t.id);
    const T = ids.length;
    const feeds = buildFeeds(this.graph.inputs, ids, encoded.typeIds, this.folder.config);
    throwIfCancelled(signal);
    const deliver = async (layer: number, tensor: ort.Tensor): Promise<void> => {
      const data = this.checked(tensor, layer, T);
      onLayer(layer, precision() === 'float16' ? await (await this.float16Cast()).bits(tensor) : data);
    };
    if ('staged' in this.runner) return this.runner.staged.run(feeds, T, deliver, signal, keepInputs);
    const out = await this.runner.whole.run(feeds, this.graph.attentionOutputs);
    throwIfCancelled(signal);
    const layers = this.graph.attentionOutputs.map((name, layer) => {
      this.checked(out[name], layer, T);
      return out[name];
    });
    for (const [layer, tensor] of layers.entries()) await deliver(layer, tensor);
    return keepInputs ? new StageInputs(layers.map(() => feeds), T) : undefined;
  }

  /** Layer `layer`'s probabilities again, exactly as `runStages` (asked to keep its inputs) gave them. */
  async recomputeLayer(inputs: StageInputs, layer: number): Promise<Float32Array> {
    const T = inputs.tokens;
    if ('staged' in this.runner) return this.checked(await this.runner.staged.recompute(inputs, layer), layer, T);
    const name = this.graph.attentionOutputs[layer];
    return this.checked((await this.runner.whole.run(inputs.of(layer), [name]))[name], layer, T);
  }

  /** Heads as the graph produced them (config.json may not say). */
  headsOf(layer: Float32Array | Uint16Array, T: number): number {
    return layer.length / (T * T);
  }

  /** The session that writes continuations (src/engine/generation/decoder.ts), opened on first use. */
  decoder(): Promise<Decoder> {
    if (!this.decoding) {
      this.decoding = Decoder.open(this.graph, this.provider, this.dataDir, this.folder.config, this.info.id);
      this.decoding.catch(() => { this.decoding = undefined; }); // a failed open is tried again next time
    }
    return this.decoding;
  }

  async dispose(): Promise<void> {
    const decoding = this.decoding;
    this.decoding = undefined;
    await decoding?.then((d) => d.release(), () => undefined);
    const casting = this.casting;
    this.casting = undefined;
    await casting?.then((c) => c.release(), () => undefined);
    if ('staged' in this.runner) await this.runner.staged.release();
    else await this.runner.whole.release();
  }

  private float16Cast(): Promise<Float16Cast> {
    if (!this.casting) {
      this.casting = Float16Cast.open();
      this.casting.catch(() => { this.casting = undefined; }); // a failed open is tried again next time
    }
    return this.casting;
  }

  // A layer's attention as [heads][T][T] float32, or an error saying what the graph produced instead.
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
}
