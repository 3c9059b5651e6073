// A continuation's attention as the store keeps it while the model writes and after: the runs of rows
// the decoder hands over (the prompt's, then one row per new token), appended as they come and never
// rebuilt, so a new token costs its own L × H × T row and nothing more. A view's layers are assembled
// [heads][T][T] from the rows when it asks, and the last few it asked for stay assembled until the
// next row makes them one position short.
import { decodeFloat16, encodeFloat16 } from '../attention/quantize';
import { ChannelError } from '../channel';
import { placeRows, rowHeads, rowWidth, type AttentionRows } from './generation/attentionRows';
import { layerBytes, type AttentionShape } from './storeBudget';

/** How a sequence's rows are kept, and how many assembled float32 layers it may cache. */
export interface SequencePlan {
  mode: 'float32' | 'float16';
  cacheLayers: number;
  /** The most it holds at its longest: what eviction makes room for. */
  reserved: number;
}

/**
 * Plans a sequence of at most `shape.T` tokens in `available` bytes: its rows (a causal model's lower
 * triangle, T(T + 1)/2 per head) as float32 when they and one assembled layer fit, else as float16.
 * Rows cannot be recomputed from anything smaller than the cache they were decoded with, so there
 * is no recompute mode: past float16, the budget is a target, as it is for the decoded layers.
 */
export function planSequence(shape: AttentionShape, available: number): SequencePlan {
  const layer = layerBytes(shape);
  const rows = shape.layers * shape.heads * (shape.T * (shape.T + 1) / 2) * 4;
  const mode = rows + layer <= available ? 'float32' : 'float16';
  const kept = mode === 'float32' ? rows : rows / 2;
  const cacheLayers = Math.max(1, Math.min(shape.layers, Math.floor((available - kept) / layer)));
  return { mode, cacheLayers, reserved: kept + cacheLayers * layer };
}

interface KeptRun {
  from: number;
  count: number;
  /** Per layer, [heads][count][from + count], as float32 or as float16 bits. */
  layers: (Float32Array | Uint16Array)[];
}

export class StoredSequence {
  readonly mode: 'float32' | 'float16';
  private readonly runs: KeptRun[] = [];
  private readonly special: boolean[] = [];
  // Assembled layers for the current length; map order is least recently used first.
  private readonly assembled = new Map<number, Float32Array>();
  private readonly cacheLayers: number;
  private heads = 0;
  private rowBytes = 0;
  private dropped: ChannelError | undefined;

  constructor(private readonly layerCount: number, plan: SequencePlan) {
    this.mode = plan.mode;
    this.cacheLayers = plan.cacheLayers;
  }

  /** The sequence so far: T is the rows appended. */
  get shape(): AttentionShape {
    return { layers: this.layerCount, heads: this.heads, T: this.special.length };
  }

  /** Per token so far: whether it is special (views may hide those). */
  get specialTokens(): readonly boolean[] {
    return this.special;
  }

  /** Bytes held now: the rows and the assembled layers. */
  get bytes(): number {
    return this.rowBytes + this.assembled.size * layerBytes(this.shape);
  }

  /**
   * Appends the next run of rows (`rows.from` must be the length so far) and the special flags of its
   * tokens. Float32 rows are kept as given, not copied: the caller hands them over.
   */
  append(rows: AttentionRows, special: readonly boolean[]): void {
    if (this.dropped) return;
    const T = this.special.length;
    if (rows.from !== T || special.length !== rows.count || rows.layers.length !== this.layerCount) {
      throw new ChannelError('internal', `Rows ${rows.from}…${rowWidth(rows) - 1} of ${rows.layers.length} layers cannot follow ${T} rows of ${this.layerCount}.`);
    }
    const heads = rowHeads(rows);
    if (T > 0 && heads !== this.heads) throw new ChannelError('internal', `Rows of ${heads} heads cannot follow rows of ${this.heads}.`);
    this.heads = heads;
    const layers = this.mode === 'float32' ? rows.layers : rows.layers.map((data) => encodeFloat16(data));
    this.runs.push({ from: rows.from, count: rows.count, layers });
    this.rowBytes += layers.reduce((sum, data) => sum + data.byteLength, 0);
    this.special.push(...special);
    this.assembled.clear();
  }

  /** Layers `layers` as float32 [heads][T][T] for the length so far (at once: nothing to wait for or abort). */
  async resident(layers: readonly number[], _signal?: AbortSignal): Promise<Map<number, Float32Array>> {
    if (this.dropped) throw this.dropped;
    const out = new Map<number, Float32Array>();
    for (const layer of new Set(layers)) out.set(layer, this.layer(layer));
    return out;
  }

  /** Nothing waits on a sequence: its rows are there as soon as they are appended. */
  end(): void {}

  /** Forgets every row; later views fail with `reason`. */
  drop(reason: ChannelError): void {
    this.runs.length = 0;
    this.assembled.clear();
    this.rowBytes = 0;
    this.dropped = reason;
  }

  private layer(layer: number): Float32Array {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layerCount) {
      throw new ChannelError('bad-request', `There is no layer ${layer}: the model has layers 0..${this.layerCount - 1}.`);
    }
    const hit = this.assembled.get(layer);
    if (hit) {
      this.assembled.delete(layer);
      this.assembled.set(layer, hit);
      return hit;
    }
    const data = this.assemble(layer);
    this.assembled.set(layer, data);
    while (this.assembled.size > this.cacheLayers) this.assembled.delete(this.assembled.keys().next().value!);
    return data;
  }

  private assemble(layer: number): Float32Array {
    const { heads, T } = this.shape;
    const out = new Float32Array(heads * T * T);
    for (const run of this.runs) {
      const data = run.layers[layer];
      if (data instanceof Float32Array) {
        placeRows(run, data, heads, out, T);
        continue;
      }
      const width = rowWidth(run);
      for (let h = 0; h < heads; h++) {
        for (let r = 0; r < run.count; r++) {
          const at = (h * run.count + r) * width;
          const to = (h * T + run.from + r) * T;
          decodeFloat16(data.subarray(at, at + width), out.subarray(to, to + width));
        }
      }
    }
    return out;
  }
}
