// The whole rollout matrix, and when it is too slow to compute while the user waits. Its cost is
// O(L·T³) (src/attention/rollout.ts); scripts/bench/rolloutCost.ts full measured, on a 2-core
// machine, 12 layers × 12 heads:
//
//   T       256     512     768     1024
//   bidir   0.18 s  1.35 s  5.4 s   7.8 s
//   causal  0.09 s  0.38 s  0.9 s   1.5 s
//
// So the limit is the work of 11 products at 512 tokens (about 1.4 s bidirectional), counted as
// layers × T³ and a quarter of that for causal models, whose triangular products skip most cells.
// Past it the matrix view says so, and the row path (RolloutRows) still answers hover and top-k.
import { rollout } from './rollout';
import { BoundedCache } from './boundedCache';
import type { LayerAccess } from './rolloutRows';

const WORK_LIMIT = 11 * 512 ** 3;
const CAUSAL_SHARE = 1 / 4;
// Past this, the product's float64 scratch alone (four T² buffers) is half a gigabyte.
const TOKEN_LIMIT = 2048;
// Every layer's rollout from one computation is kept while it fits: stepping through layers is free.
const KEPT_BYTES = 192 * 2 ** 20;

/** The cumulative rollout matrices of one inspection, computed on demand within an interactive limit. */
export class RolloutMatrices {
  private readonly kept: BoundedCache<Float32Array>;

  constructor(
    readonly T: number,
    readonly heads: number,
    private readonly causal: boolean,
    private readonly layer: LayerAccess,
  ) {
    this.kept = new BoundedCache(Number.POSITIVE_INFINITY, KEPT_BYTES);
  }

  /** Whether the rollout through `layer` would take too long to compute while the user waits. */
  tooSlow(layer: number): boolean {
    if (this.kept.get(String(layer))) return false;
    const work = layer * this.T ** 3 * (this.causal ? CAUSAL_SHARE : 1);
    return this.T > TOKEN_LIMIT || work > WORK_LIMIT;
  }

  /** Why the matrix is not shown, in the user's words. */
  reason(layer: number): string {
    return `The rollout of the whole matrix through layer ${layer + 1} for ${this.T} tokens takes too long to compute here; hover a token to see its rollout row.`;
  }

  /** The rollout through `layer` if it is at hand. */
  cached(layer: number): Float32Array | undefined {
    return this.kept.get(String(layer));
  }

  /** The T×T rollout through layers 0..`layer`, computed (with every earlier layer's) if not at hand. */
  through(layer: number): Float32Array {
    const hit = this.kept.get(String(layer));
    if (hit) return hit;
    const layers = Array.from({ length: layer + 1 }, (_, l) => this.layer(l));
    const all = rollout(layers, this.heads, this.T);
    // Earlier layers first, so when they do not all fit the one asked for is the one kept.
    all.forEach((matrix, l) => this.kept.set(String(l), matrix));
    this.kept.set(String(layer), all[layer]);
    return all[layer];
  }

  clear(): void {
    this.kept.clear();
  }
}
