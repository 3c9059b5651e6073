// One onnxruntime session per stage, run one after another: each stage's attention is handed to the
// caller as soon as its session returns, and what later stages read is kept only until the last of
// them has run. The first stage picks the execution provider; the others are opened on it.
import { Tensor } from 'onnxruntime-node';
import type * as ort from 'onnxruntime-node';
import type { onnx } from 'onnx-proto';
import type { Provider, ProviderAttempt } from '../protocol';
import { throwIfCancelled } from './errors';
import { openSession } from './providers';
import { encodeAttentionPart, encodeStage, recordOutputTypes, type TensorTypes } from './stageGraph';
import type { Stage } from './stages';

function copyOf(tensor: ort.Tensor): ort.Tensor {
  return new Tensor(tensor.type as 'float32', (tensor.data as Float32Array).slice(), tensor.dims);
}

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

/** The sessions of a graph cut into stages. */
export class StagedSessions {
  // Layer attention parts are opened the first time a layer is recomputed, then kept.
  private readonly parts = new Map<number, Promise<{ session: ort.InferenceSession; inputs: string[] }>>();

  private constructor(
    private readonly model: onnx.ModelProto,
    readonly stages: Stage[],
    private readonly sessions: ort.InferenceSession[],
    private readonly types: TensorTypes,
    private readonly provider: string,
    private readonly dataDir: string,
  ) {}

  /**
   * Opens every stage; `refused` when a handed-on tensor is one JavaScript cannot hold, with the
   * sessions opened so far released (the caller then runs the graph whole).
   */
  static async open(model: onnx.ModelProto, stages: Stage[], requested: Provider, dataDir: string):
  Promise<{ staged: StagedSessions; provider: string; attempts: ProviderAttempt[] } | { refused: string }> {
    const types: TensorTypes = new Map();
    const sessions: ort.InferenceSession[] = [];
    let chosen: { provider: string; attempts: ProviderAttempt[] } | undefined;
    for (const stage of stages) {
      const opened = await openSession(encodeStage(model, stage, types), chosen ? chosen.provider as Provider : requested, dataDir);
      chosen ??= { provider: opened.provider, attempts: opened.attempts };
      sessions.push(opened.session);
      const refused = recordOutputTypes(opened.session, types);
      if (refused) {
        await Promise.all(sessions.map((s) => s.release()));
        return { refused };
      }
      for (const { tensor, output } of stage.handsOn) if (tensor !== output) types.set(tensor, types.get(output)!);
    }
    return { staged: new StagedSessions(model, stages, sessions, types, chosen!.provider, dataDir), ...chosen! };
  }

  /**
   * Runs stage after stage on the graph inputs `feeds` (of `tokens` tokens), calling `onLayer` as each stage returns and
   * checking `signal` between stages; with `keep`, returns each stage's feeds for recompute.
   */
  async run(feeds: Record<string, ort.Tensor>, tokens: number, onLayer: (layer: number, attention: ort.Tensor) => void,
    signal?: AbortSignal, keep = false): Promise<StageInputs | undefined> {
    const handed = new Map<string, ort.Tensor>();
    const lastReader = this.lastReaders();
    const kept: Record<string, ort.Tensor>[] = [];
    try {
      for (const [k, stage] of this.stages.entries()) {
        throwIfCancelled(signal);
        const stageFeeds: Record<string, ort.Tensor> = {};
        for (const name of stage.graphInputs) stageFeeds[name] = feeds[name];
        for (const name of stage.carried) stageFeeds[name] = handed.get(name)!;
        const out = await this.sessions[k].run(stageFeeds);
        throwIfCancelled(signal);
        for (const { tensor, output } of stage.handsOn) handed.set(tensor, out[output]);
        if (keep) kept.push(stageFeeds);
        // Tensors no later stage reads go now (unless kept: they are this stage's feeds).
        for (const name of stage.carried) {
          if (lastReader.get(name) === k && !keep) handed.get(name)?.dispose();
          if (lastReader.get(name) === k) handed.delete(name);
        }
        // A caller may transfer the attention's buffer away, so one that later stages read is copied.
        const attention = out[stage.attention];
        const handsOnAttention = stage.handsOn.some((h) => h.tensor === stage.attention);
        onLayer(k, handsOnAttention ? copyOf(attention) : attention);
      }
    } catch (err) {
      for (const tensor of handed.values()) tensor.dispose();
      throw err;
    }
    return keep ? new StageInputs(kept, tokens) : undefined;
  }

  /** Layer `layer`'s attention again, from a staged run's kept inputs, through the layer's attention part alone. */
  async recompute(inputs: StageInputs, layer: number): Promise<ort.Tensor> {
    let part = this.parts.get(layer);
    if (!part) {
      const { bytes, inputs: names } = encodeAttentionPart(this.model, this.stages[layer], this.types);
      part = openSession(bytes, this.provider as Provider, this.dataDir).then((o) => ({ session: o.session, inputs: names }));
      this.parts.set(layer, part);
      part.catch(() => this.parts.delete(layer));
    }
    const { session, inputs: names } = await part;
    const feeds = inputs.of(layer);
    const out = await session.run(Object.fromEntries(names.map((n) => [n, feeds[n]])));
    return out[this.stages[layer].attention];
  }

  async release(): Promise<void> {
    const parts = await Promise.allSettled([...this.parts.values()]);
    await Promise.all([
      ...this.sessions.map((s) => s.release()),
      ...parts.flatMap((p) => (p.status === 'fulfilled' ? [p.value.session.release()] : [])),
    ]);
  }

  // The last stage that reads each handed-on tensor.
  private lastReaders(): Map<string, number> {
    const last = new Map<string, number>();
    this.stages.forEach((stage, k) => stage.carried.forEach((name) => last.set(name, k)));
    return last;
  }
}
