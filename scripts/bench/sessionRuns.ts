// The two session-level measurements: the unmodified graph (bare) and the surgered graph fetching
// only the attention outputs (raw), both opened exactly as the engine opens its sessions. A folder
// with only a safetensors checkpoint gets the graph the engine builds for it (the same cached file).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { buildFeeds } from '../../src/engine/feeds';
import type { ModelFolder } from '../../src/engine/modelFolder';
import { buildOnnxToFile, checkpointCacheKey } from '../../src/engine/graphs';
import { openSession } from '../../src/engine/providers';
import { exposeAttention, type ExposedGraph } from '../../src/engine/surgery';
import type { FloorGraph } from './floorProtocol';

/** Sessions on the original and on the attention-exposing graph of one model, and the current feeds. */
export class ModelSessions {
  private feeds: Record<string, ort.Tensor> | undefined;

  private constructor(
    private readonly folder: ModelFolder,
    private readonly graph: ExposedGraph,
    private readonly bare: ort.InferenceSession | undefined,
    private readonly raw: ort.InferenceSession,
  ) {}

  /**
   * Opens the raw session, and the bare one unless `rawOnly` (a second copy of a large model's
   * weights that the scale bench does not time). `cacheDir` is where the engine keeps graphs built
   * from checkpoints: the floor runs that same graph.
   */
  static async open(folder: ModelFolder, { cacheDir, rawOnly = false }: { cacheDir?: string; rawOnly?: boolean } = {}): Promise<ModelSessions> {
    const { bytes, dataDir } = await graphOf(folder, cacheDir);
    const graph = exposeAttention(bytes);
    // The engine's own helper (provider, optimisation level, logging), so the floor is measured
    // under the same session options as the pipeline.
    const bare = rawOnly ? undefined : (await openSession(bytes, 'cpu', dataDir)).session;
    const raw = (await openSession(graph.bytes, 'cpu', dataDir)).session;
    return new ModelSessions(folder, graph, bare, raw);
  }

  /** Layers of attention the surgered graph exposes. */
  get layers(): number {
    return this.graph.attentionOutputs.length;
  }

  /** Builds the feeds for the next runs (as the engine does) and checks the attention shapes once. */
  async prepare(ids: number[], typeIds: number[]): Promise<void> {
    this.feeds = buildFeeds(this.graph.inputs, ids, typeIds, this.folder.config);
    const T = ids.length;
    const out = await this.raw.run(this.feeds, this.graph.attentionOutputs);
    for (const name of this.graph.attentionOutputs) {
      const dims = out[name].dims;
      if (dims.length !== 4 || dims[2] !== T || dims[3] !== T) {
        throw new Error(`${name} has shape [${dims.join(', ')}], expected [1, heads, ${T}, ${T}]`);
      }
    }
  }

  /** One timed session.run: bare fetches the graph's own outputs, raw every attention output only. */
  async time(graph: FloorGraph): Promise<number> {
    if (!this.feeds) throw new Error('prepare() first');
    const [session, fetches] = graph === 'bare' ? [this.bare, this.graph.outputs] : [this.raw, this.graph.attentionOutputs];
    if (!session) throw new Error('the bare session was not opened (rawOnly)');
    const start = performance.now();
    await session.run(this.feeds, fetches);
    return performance.now() - start;
  }

  async release(): Promise<void> {
    await this.bare?.release();
    await this.raw.release();
  }
}

/** The folder's ONNX graph, or the one the engine builds from its checkpoint (built here if the cache lacks it). */
async function graphOf(folder: ModelFolder, cacheDir: string | undefined): Promise<{ bytes: Uint8Array; dataDir?: string }> {
  if (folder.onnxPath) return { bytes: readFileSync(folder.onnxPath) };
  if (!cacheDir) throw new Error(`${folder.dir} has no ONNX graph, and no cache was given to build one in`);
  const cached = path.join(cacheDir, 'graphs', `${checkpointCacheKey(folder.dir)}.onnx`);
  if (!existsSync(cached)) await buildOnnxToFile(folder.dir, cached);
  // Built graphs point into the checkpoint's own files, so their data folder is the model folder.
  return { bytes: readFileSync(cached), dataDir: folder.dir };
}
