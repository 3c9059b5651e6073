// The mean and max over heads of each layer, as the views show them. The mean is read from the kept
// mean where the holder of the layers keeps one (no heads read, so a float16 or recomputed layer need
// not be made resident), else averaged from the heads; whole matrices are cached for flipping layers.
import { aggregateRow, maxOverHeads, meanOverHeads } from './aggregate';
import { BoundedCache } from './boundedCache';
import { meanRow, meanValues, type MeanAccess } from './headMeans';
import type { LayerAccess } from './rolloutRows';

/** An aggregation over heads. */
export type OverHeads = 'mean' | 'max';

// Mean and max over heads are T² floats each (64 MiB at 4096 tokens): a few cover flipping layers.
const AGGREGATES_KEPT = 4;
const AGGREGATE_BYTES = 256 * 2 ** 20;

/** The mean and max over heads of one inspection's layers, from kept means where there are any. */
export class HeadAggregates {
  private readonly whole = new BoundedCache<Float32Array>(AGGREGATES_KEPT, AGGREGATE_BYTES);

  constructor(
    readonly T: number,
    readonly heads: number,
    private readonly layer: LayerAccess,
    private readonly means?: MeanAccess,
  ) {}

  /** Whether `kind` of `layer` is read from a kept mean rather than from the layer's heads. */
  fromMean(kind: OverHeads, layer: number): boolean {
    return kind === 'mean' && this.means?.keeps(layer) === true;
  }

  /** Row `query` of `kind` over the heads of `layer`. */
  row(kind: OverHeads, layer: number, query: number): Float32Array {
    const { T } = this;
    const whole = this.whole.get(`${kind}:${layer}`);
    if (whole) return whole.subarray(query * T, (query + 1) * T);
    if (this.fromMean(kind, layer)) return meanRow(this.means!.mean(layer), T, query);
    return aggregateRow(this.layer(layer), this.heads, T, query, kind);
  }

  /** The T×T matrix of `kind` over the heads of `layer`. */
  matrix(kind: OverHeads, layer: number): Float32Array {
    const key = `${kind}:${layer}`;
    const hit = this.whole.get(key);
    if (hit) return hit;
    if (this.fromMean(kind, layer)) {
      // A float32 mean is the kept array itself; only a decoded float16 one costs memory here.
      const mean = this.means!.mean(layer);
      return mean instanceof Float32Array ? mean : this.whole.set(key, meanValues(mean));
    }
    const data = this.layer(layer);
    return this.whole.set(key, kind === 'mean' ? meanOverHeads(data, this.heads, this.T) : maxOverHeads(data, this.heads, this.T));
  }

  clear(): void {
    this.whole.clear();
  }
}
