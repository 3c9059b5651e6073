// The engine's attention store: every inspection the host may still show, within a memory budget, so
// that attention never has to cross to the extension host whole. Each inspection is kept as float32,
// float16 or not at all (recomputed exactly on demand), chosen by what fits (src/engine/storeBudget.ts);
// views are answered from it by the views module after the layers they need are made resident.
// Inspections are evicted least recently used first to make room for a new one, but never the newest
// nor one the host says it shows; a view of an evicted one fails with code 'attention-evicted'.
import type { MeanAccess } from '../attention/headMeans';
import { keptThumbnailBytes, type ThumbnailAccess } from '../attention/keptThumbnails';
import { AttentionViews, type AttentionShape as ViewShape } from '../attention/views';
import { ChannelError } from '../channel';
import type { AttentionReply, AttentionRequest, StoreMode } from '../protocol';
import type { ReportInput } from '../report/report';
import type { AttentionRows } from './generation/attentionRows';
import { planStore, type AttentionShape } from './storeBudget';
import { StoredInspection, type Collect, type RecomputeLayer, type Settle } from './storedInspection';
import { planSequence, StoredSequence } from './storedSequence';

export type { ViewShape };

/** Answers view requests from layers the store has made resident. */
export interface ViewAnswers {
  /** The layers `request` reads. */
  needs(request: AttentionRequest): number[];
  /** The layers whose kept means or thumbnails `request` reads: they must have arrived. None when absent. */
  needsKept?(request: AttentionRequest): number[];
  answer(request: AttentionRequest): AttentionReply;
}

/** Makes the views of one inspection over a synchronous accessor of its resident layers, its kept means and thumbnails. */
export type ViewsFactory = (shape: ViewShape, layer: (layer: number) => Float32Array, means: MeanAccess, thumbnails?: ThumbnailAccess) => ViewAnswers;

/** The views module's answers (src/attention/views.ts). */
export const attentionViews: ViewsFactory = (shape, layer, means, thumbnails) => new AttentionViews(shape, layer, means, thumbnails);

// A continuation keeps rows, not layers: no means over heads.
const NO_MEANS: MeanAccess = {
  keeps: () => false,
  mean: (layer) => {
    throw new ChannelError('internal', `No mean over heads is kept for layer ${layer}.`);
  },
};

/** The facts of an inspection a report carries besides its attention. */
export type ReportFacts = Omit<ReportInput, 'layers'>;

interface Entry {
  stored: StoredInspection | StoredSequence;
  /** What views of it see now: fixed for an inspection, one token longer per new row for a sequence. */
  viewShape(): ViewShape;
  // Made for viewsT tokens; a sequence's are made again once it has grown.
  views?: ViewAnswers;
  viewsT?: number;
  reserved: number;
  facts?: ReportFacts;
  // The layers of the view being answered now: views read only these.
  pinned?: Map<number, Float32Array>;
}

export class AttentionStore {
  // Map order is least recently used first.
  private readonly entries = new Map<number, Entry>();
  private onScreen = new Set<number>();

  /**
   * `collect` frees dropped layers at once (V8's gc() in the engine process); `settle` is awaited
   * before a view decodes or recomputes a layer (see Settle).
   */
  constructor(
    public budget: number, private readonly views: ViewsFactory = attentionViews, private readonly collect?: Collect,
    private readonly settle?: Settle,
  ) {}

  /**
   * Starts keeping inspection `id`, the newest, which is always kept: planned in what the inspections
   * in `onScreen` leave of the budget, and others evicted to fit it. Returns how it is kept.
   */
  open(id: number, shape: ViewShape, recompute: RecomputeLayer, onScreen: readonly number[] = []): StoreMode {
    const dims: AttentionShape = { layers: shape.layers, heads: shape.heads, T: shape.T };
    const thumbnails = keptThumbnailBytes(shape);
    const plan = planStore(dims, this.admit(id, onScreen, (room) => planStore(dims, room, thumbnails).reserved), thumbnails);
    this.entries.set(id, { stored: new StoredInspection(dims, plan, recompute, shape.special, this.collect, this.settle), reserved: plan.reserved, viewShape: () => shape });
    return plan.mode;
  }

  /**
   * Starts keeping a continuation under `id`, the newest, as `open` does an inspection: its rows arrive
   * with `append`, and it may grow to `longest.T` tokens, which is what it is planned and evicted for.
   */
  openSequence(id: number, longest: AttentionShape, onScreen: readonly number[] = []): StoreMode {
    const plan = planSequence(longest, this.admit(id, onScreen, (room) => planSequence(longest, room).reserved));
    const stored = new StoredSequence(longest.layers, plan);
    this.entries.set(id, {
      stored, reserved: plan.reserved,
      viewShape: () => ({ ...stored.shape, special: stored.specialTokens.slice(), causal: true }),
    });
    return plan.mode;
  }

  /** The next rows of continuation `id` and whether each of their tokens is special. */
  append(id: number, rows: AttentionRows, special: readonly boolean[]): void {
    const stored = this.entries.get(id)?.stored;
    if (stored instanceof StoredSequence) stored.append(rows, special);
  }

  /** Layer `layer` of inspection `id` arrived from the run: float32, or its half bits when kept as float16. */
  put(id: number, layer: number, data: Float32Array | Uint16Array): void {
    const stored = this.entries.get(id)?.stored;
    if (stored instanceof StoredInspection) stored.put(layer, data);
  }

  /** The run of `id` ended (with `error` when it failed): views of layers it never computed fail. */
  end(id: number, error?: unknown): void {
    this.entries.get(id)?.stored.end(error);
  }

  /** Keeps the facts a report of `id` carries besides its attention. */
  describe(id: number, facts: ReportFacts): void {
    const entry = this.entries.get(id);
    if (entry) entry.facts = facts;
  }

  /** Answers `request` about inspection `id`, waiting for layers not computed yet (abortable by `signal`). */
  async view(id: number, request: AttentionRequest, signal?: AbortSignal): Promise<AttentionReply> {
    const entry = this.use(id);
    const views = this.viewsOf(entry);
    const kept = views.needsKept?.(request) ?? [];
    if (kept.length > 0 && entry.stored instanceof StoredInspection) await entry.stored.arrivals(kept, signal);
    const layers = await entry.stored.resident(views.needs(request), signal);
    if (this.entries.get(id) !== entry) throw evicted(id);
    entry.pinned = layers;
    try {
      return views.answer(request);
    } finally {
      entry.pinned = undefined;
    }
  }

  /** Layers `layers` of inspection `id` as float32, for reports and checks; waits like a view. */
  layers(id: number, layers: readonly number[], signal?: AbortSignal): Promise<Map<number, Float32Array>> {
    return this.use(id).stored.resident(layers, signal);
  }

  /** The report facts and shape of inspection `id`. */
  about(id: number): { facts?: ReportFacts; shape: AttentionShape; mode: StoreMode } {
    const entry = this.use(id);
    return { facts: entry.facts, shape: entry.stored.shape, mode: entry.stored.mode };
  }

  /** How inspection `id` is kept and the bytes it holds now (`meanBytes` of them its means over heads); undefined when it is not kept. */
  usage(id: number): { mode: StoreMode; bytes: number; meanBytes: number } | undefined {
    const entry = this.entries.get(id);
    const meanBytes = entry?.stored instanceof StoredInspection ? entry.stored.meanBytes : 0;
    return entry && { mode: entry.stored.mode, bytes: entry.stored.bytes, meanBytes };
  }

  /** The inspections kept, least recently used first. */
  get kept(): number[] {
    return [...this.entries.keys()];
  }

  /** The host no longer shows `id`: its attention goes. */
  release(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    entry.stored.drop(evicted(id));
    this.onScreen.delete(id);
  }

  // Releases `id`, takes the inspections on screen from the budget and evicts others, least recently
  // used first, until what `reserve` plans in the room left fits: returns that room.
  private admit(id: number, onScreen: readonly number[], reserve: (room: number) => number): number {
    this.release(id);
    this.onScreen = new Set(onScreen);
    const kept = [...this.entries].filter(([other]) => this.onScreen.has(other));
    const held = kept.reduce((sum, [, entry]) => sum + entry.reserved, 0);
    const room = Math.max(0, this.budget - held);
    const reserved = reserve(room);
    for (const [other, entry] of [...this.entries]) {
      if (this.total() + reserved <= this.budget) break;
      if (!this.onScreen.has(other)) this.evict(other, entry);
    }
    return room;
  }

  private viewsOf(entry: Entry): ViewAnswers {
    const shape = entry.viewShape();
    if (entry.views && entry.viewsT === shape.T) return entry.views;
    const stored = entry.stored;
    const means: MeanAccess = stored instanceof StoredInspection
      ? { keeps: (layer) => stored.keepsMean(layer), mean: (layer) => stored.mean(layer) }
      : NO_MEANS;
    const thumbnails: ThumbnailAccess | undefined = stored instanceof StoredInspection
      ? { keeps: (hidden) => stored.keepsThumbnails(hidden), thumbnails: (layer, hidden) => stored.thumbnails(layer, hidden) }
      : undefined;
    const views = this.views(shape, (layer) => {
      const data = entry.pinned?.get(layer);
      if (!data) throw new ChannelError('internal', `The view read layer ${layer}, which it did not ask for.`);
      return data;
    }, means, thumbnails);
    entry.views = views;
    entry.viewsT = shape.T;
    return views;
  }

  private evict(id: number, entry: Entry): void {
    this.entries.delete(id);
    entry.stored.drop(evicted(id));
  }

  private use(id: number): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw evicted(id);
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  private total(): number {
    let sum = 0;
    for (const entry of this.entries.values()) sum += entry.reserved;
    return sum;
  }
}

/** The error of a view of an inspection the store no longer keeps: the host runs it again. */
export function evicted(id: number): ChannelError {
  return new ChannelError('attention-evicted',
    'The attention of this inspection is no longer kept in memory. Run the inspection again.', `inspection ${id}`);
}
