// The sessions of a staged graph, two per layer at most, run one after another: each layer's
// attention is handed to the caller as soon as the session that computes it returns, before the rest
// of its layer runs, and what later sessions read is kept only until the last of them has run. The
// first session picks the execution provider; the others are opened on it.
import type * as ort from 'onnxruntime-node';
import type { onnx } from 'onnx-proto';
import type { Provider, ProviderAttempt } from '../protocol';
import { throwIfCancelled } from './errors';
import { openSession } from './providers';
import { encodePart, recordOutputTypes, type TensorTypes } from './stageGraph';
import type { Stage, StagePart } from './stages';

/** What a staged run kept to recompute any layer: each stage's feeds. Release them with dispose(). */
export class StageInputs {
  private feeds: Record<string, ort.Tensor>[] | undefined;

  constructor(feeds: Record<string, ort.Tensor>[], readonly tokens: number) {
    this.feeds = feeds;
  }

  /** Stage `layer`'s feeds; throws once disposed. */
  of(layer: number): Record<string, ort.Tensor> {
    if (!this.feeds) throw new Error('These stage inputs were disposed.');
    return this.feeds[layer];
  }

  /** Lets the kept tensors go. */
  dispose(): void {
    for (const feeds of this.feeds ?? []) for (const tensor of Object.values(feeds)) tensor.dispose();
    this.feeds = undefined;
  }
}

// Each session's memory arena would keep its largest run's activations for good: two dozen arenas
// held 0.7 GB more than the uncut graph's one at T = 512 on BERT-base. Without them a part's
// activations are freed when its run ends. Without an arena, a memory pattern is one block per run
// for all of a part's intermediate tensors: at T = 512 on BERT-base that block is past glibc's
// 32 MB mmap threshold, so it was mapped and faulted in afresh every run, and the first writers of
// the scores (the scaled MatMul, the masking Add) took ~20 ms a layer instead of ~2. Allocated
// tensor by tensor, the scores come from the heap like any other block.
const PART_OPTIONS = { enableCpuMemArena: false, enableMemPattern: false };

/** One session of a staged graph: a part of a stage, and the layer whose attention it computes, if it does. */
interface PartSession {
  part: StagePart;
  session: ort.InferenceSession;
  layer: number;
  attention?: string;
}

/** The sessions of a graph cut into stages. */
export class StagedSessions {
  private constructor(private readonly parts: PartSession[]) {}

  /**
   * Opens every stage; `refused` when a handed-on tensor is one JavaScript cannot hold, with the
   * sessions opened so far released (the caller then runs the graph whole).
   */
  static async open(model: onnx.ModelProto, stages: Stage[], requested: Provider, dataDir: string):
  Promise<{ staged: StagedSessions; provider: string; attempts: ProviderAttempt[] } | { refused: string }> {
    const types: TensorTypes = new Map();
    const parts: PartSession[] = [];
    let chosen: { provider: string; attempts: ProviderAttempt[] } | undefined;
    for (const stage of stages) {
      for (const [i, part] of stage.parts.entries()) {
        const attention = i === 0 ? stage.attention : undefined;
        const bytes = encodePart(model, `layer ${stage.layer} part ${i}`, part, attention, types);
        const opened = await openSession(bytes, chosen ? chosen.provider as Provider : requested, dataDir, PART_OPTIONS);
        chosen ??= { provider: opened.provider, attempts: opened.attempts };
        parts.push({ part, session: opened.session, layer: stage.layer, attention });
        const refused = recordOutputTypes(opened.session, types);
        if (refused) {
          await Promise.all(parts.map((p) => p.session.release()));
          return { refused };
        }
        for (const { tensor, output } of part.handsOn) if (tensor !== output) types.set(tensor, types.get(output)!);
      }
    }
    return { staged: new StagedSessions(parts), ...chosen! };
  }

  /**
   * Runs part after part on the graph inputs `feeds` (of `tokens` tokens), calling (and awaiting)
   * `onLayer` as each layer's attention is computed and checking `signal` between parts; with
   * `keep`, returns what recompute needs. The rest of a layer reads its attention tensor as is, so
   * until the run ends its buffer may be kept but neither written to nor transferred.
   */
  async run(feeds: Record<string, ort.Tensor>, tokens: number, onLayer: (layer: number, attention: ort.Tensor) => void | Promise<void>,
    signal?: AbortSignal, keep = false): Promise<StageInputs | undefined> {
    const handed = new Map<string, ort.Tensor>();
    const lastReader = this.lastReaders();
    const kept: Record<string, ort.Tensor>[] = [];
    try {
      for (const [k, { part, session, layer, attention }] of this.parts.entries()) {
        throwIfCancelled(signal);
        const partFeeds: Record<string, ort.Tensor> = {};
        for (const name of part.graphInputs) partFeeds[name] = feeds[name];
        for (const name of part.carried) partFeeds[name] = handed.get(name)!;
        const out = await session.run(partFeeds);
        throwIfCancelled(signal);
        for (const { tensor, output } of part.handsOn) handed.set(tensor, out[output]);
        if (keep && attention) kept[layer] = partFeeds;
        // Tensors no later part reads go now, unless kept as a recompute's feeds.
        for (const name of part.carried) {
          if (lastReader.get(name) !== k) continue;
          if (!keep) handed.get(name)?.dispose();
          handed.delete(name);
        }
        if (attention) await onLayer(layer, out[attention]);
      }
    } catch (err) {
      for (const tensor of handed.values()) tensor.dispose();
      throw err;
    }
    return keep ? new StageInputs(kept, tokens) : undefined;
  }

  /**
   * Layer `layer`'s attention again from a staged run's kept inputs: the same session on the same
   * feeds, so the same bits, and no weights beyond those already loaded.
   */
  async recompute(inputs: StageInputs, layer: number): Promise<ort.Tensor> {
    const { session, attention } = this.parts.find((p) => p.layer === layer && p.attention)!;
    return (await session.run(inputs.of(layer), [attention!]))[attention!];
  }

  async release(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.session.release()));
  }

  // The last part that reads each handed-on tensor.
  private lastReaders(): Map<string, number> {
    const last = new Map<string, number>();
    this.parts.forEach(({ part }, k) => part.carried.forEach((name) => last.set(name, k)));
    return last;
  }
}
