// Rollout rows and columns as vectors through the layers, never as T×T matrices: rollout_l =
// A'_l · … · A'_0 with A'_m = rownorm(mean over heads of layer m + I), so row q is e_q·A'_l·…·A'_0 and
// column t is A'_l·…·A'_0·e_t. Where the holder of the layers keeps a layer's mean over heads
// (MeanAccess), the step reads that mean: T² values (src/attention/meanRolloutSteps.ts). Otherwise it
// reads the layer's heads directly, O(heads·T²). Either way causal rows, which are zero past the
// diagonal, cost far less: where a causal vector is zero a whole row of the step is skipped, and each
// row is read only up to its last non-zero key. Materialising A'_m instead would be T² float64s per
// layer (128 MiB at 4096 tokens).
//
// Reading every head of every layer, L·heads·T² values for a bidirectional model, is not interactive
// at long inputs. Measured on a 2-core machine (scripts/bench/rolloutCost.ts rows), 24 layers × 14
// heads, a row of the last token: 2048 tokens 3.6–6.3 s bidirectional and 2.2–2.6 s causal (0.5–0.7 s
// for a token halfway); 4096 tokens 22–49 s bidirectional, 13–37 s causal (2.9 s halfway). Through
// kept means the same rows read a fourteenth as much and take 0.2 s at 2048 tokens, 0.5 s at 4096
// (the README's table from scripts/bench/rolloutCost.ts means). The first row through a layer costs
// more: it finds each row's span and sum.

import type { MeanAccess } from './headMeans';
import { emptyProfile, meanColumnStep, meanRowStep, type RowProfile } from './meanRolloutSteps';

/** Reads one layer as Float32 [heads][T][T]; the layer must be resident. */
export type LayerAccess = (layer: number) => Float32Array;

/** Computes rollout rows and columns from the kept means or else the layers, caching per-row profiles of each layer. */
export class RolloutRows {
  private readonly profiles: (RowProfile | undefined)[] = [];
  private scratch: Float64Array | undefined;

  constructor(
    readonly T: number,
    readonly heads: number,
    private readonly layer: LayerAccess,
    private readonly means?: MeanAccess,
  ) {}

  /** Whether the step through `layer` reads its kept mean rather than its heads. */
  fromMean(layer: number): boolean {
    return this.means?.keeps(layer) === true;
  }

  /** How much `query` attends to each token after rollout through layers 0..`through`. */
  row(query: number, through: number): Float64Array {
    let vector = new Float64Array(this.T);
    vector[query] = 1;
    let next = new Float64Array(this.T);
    for (let m = through; m >= 0; m--) {
      if (this.fromMean(m)) meanRowStep(vector, this.means!.mean(m), this.profile(m), this.T, next);
      else this.rowTimesStep(vector, m, next);
      [vector, next] = [next, vector];
    }
    return vector;
  }

  /** rollout_through · `vector`: with e_t, how much each token attends to t; with ones over kept keys, each row's kept sum. */
  column(start: Float64Array, through: number): Float64Array {
    let vector = Float64Array.from(start);
    let next = new Float64Array(this.T);
    for (let m = 0; m <= through; m++) {
      if (this.fromMean(m)) meanColumnStep(this.means!.mean(m), this.profile(m), vector, this.T, next);
      else this.stepTimesColumn(m, vector, next);
      [vector, next] = [next, vector];
    }
    return vector;
  }

  /** Drops what was derived from the layers (their data changed). */
  clear(): void {
    this.profiles.length = 0;
  }

  // out = vector · A'_m, reading only rows where the vector is non-zero. A row's weight is the same
  // for every head, so heads are summed per key before one multiply-add into `out`.
  private rowTimesStep(vector: Float64Array, m: number, out: Float64Array): void {
    const { T, heads } = this;
    const size = T * T;
    const data = this.layer(m);
    const profile = this.profile(m);
    out.fill(0);
    for (let j = 0; j < T; j++) {
      const v = vector[j];
      if (v === 0) continue;
      const sums = this.headSums(data, profile, j);
      const scaled = v * profile.scale[j];
      const w = scaled / heads;
      const end = profile.end[j];
      if (sums) {
        for (let k = 0; k < end; k++) out[k] += w * sums[k];
      } else {
        const row = j * T;
        for (let k = 0; k < end; k++) {
          let sum = 0;
          for (let at = row + k; at < data.length; at += size) sum += data[at];
          out[k] += w * sum;
        }
      }
      out[j] += scaled;
    }
  }

  // out = A'_m · vector, with dot products over the span where both row and vector can be non-zero.
  private stepTimesColumn(m: number, vector: Float64Array, out: Float64Array): void {
    const { T, heads } = this;
    const size = T * T;
    const data = this.layer(m);
    const profile = this.profile(m);
    let lo = 0;
    while (lo < T && vector[lo] === 0) lo++;
    let hi = T;
    while (hi > lo && vector[hi - 1] === 0) hi--;
    for (let i = 0; i < T; i++) {
      this.headSums(data, profile, i);
      const to = Math.min(hi, profile.end[i]);
      let dot = 0;
      for (let k = lo, row = i * T; k < to; k++) {
        let sum = 0;
        for (let at = row + k; at < data.length; at += size) sum += data[at];
        dot += sum * vector[k];
      }
      out[i] = (dot / heads + vector[i]) * profile.scale[i];
    }
  }

  private profile(m: number): RowProfile {
    return (this.profiles[m] ??= emptyProfile(this.T));
  }

  // On a row's first use, fills its profile and returns its sums over heads (in a scratch buffer,
  // valid until the next call); afterwards undefined, and the caller reads only up to the row's end.
  // The first use reads every key: finding where a causal row ends costs as much as summing it.
  private headSums(data: Float32Array, profile: RowProfile, j: number): Float64Array | undefined {
    if (profile.end[j] >= 0) return undefined;
    const { T, heads } = this;
    const size = T * T;
    const sums = (this.scratch ??= new Float64Array(T));
    let total = 0;
    let end = 0;
    for (let k = 0, row = j * T; k < T; k++) {
      let sum = 0;
      for (let at = row + k; at < data.length; at += size) sum += data[at];
      sums[k] = sum;
      total += sum;
      // Attention is never negative, so a zero sum over heads means every head's key is zero.
      if (sum !== 0) end = k + 1;
    }
    profile.end[j] = end;
    // Same step as residualAttention: the mean over heads, plus 1 on the diagonal, rows rescaled to 1.
    profile.scale[j] = 1 / (total / heads + 1);
    return sums;
  }
}
