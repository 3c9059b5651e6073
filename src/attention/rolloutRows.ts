// Rollout rows and columns as vectors through the layers, never as T×T matrices: rollout_l =
// A'_l · … · A'_0 with A'_m = rownorm(mean over heads of layer m + I), so row q is e_q·A'_l·…·A'_0 and
// column t is A'_l·…·A'_0·e_t. Each step reads the layer's heads directly, O(heads·T²) per layer and
// far less for causal rows, which are zero past the diagonal: where a causal vector is zero a whole
// row of the step is skipped, and each row is read only up to its last non-zero key. Materialising
// A'_m instead would be T² float64s per layer (128 MiB at 4096 tokens).
//
// Measured on a 2-core laptop-class machine (scripts/bench/rolloutCost.ts rows), a row through 24
// layers × 14 heads takes about ROW_MS_2048 at 2048 tokens and ROW_MS_4096 at 4096 tokens: see
// AttentionViews for what that means for hover.

/** Reads one layer as Float32 [heads][T][T]; the layer must be resident. */
export type LayerAccess = (layer: number) => Float32Array;

// Per layer and row: where the row's keys end over all heads, and 1 / the row sum of mean + I.
interface RowProfile {
  end: Int32Array;
  scale: Float64Array;
}

/** Computes rollout rows and columns from the layers, caching per-row profiles of each layer. */
export class RolloutRows {
  private readonly profiles: (RowProfile | undefined)[] = [];

  constructor(
    readonly T: number,
    readonly heads: number,
    private readonly layer: LayerAccess,
  ) {}

  /** How much `query` attends to each token after rollout through layers 0..`through`. */
  row(query: number, through: number): Float64Array {
    let vector = new Float64Array(this.T);
    vector[query] = 1;
    let next = new Float64Array(this.T);
    for (let m = through; m >= 0; m--) {
      this.rowTimesStep(vector, m, next);
      [vector, next] = [next, vector];
    }
    return vector;
  }

  /** rollout_through · `vector`: with e_t, how much each token attends to t; with ones over kept keys, each row's kept sum. */
  column(start: Float64Array, through: number): Float64Array {
    let vector = Float64Array.from(start);
    let next = new Float64Array(this.T);
    for (let m = 0; m <= through; m++) {
      this.stepTimesColumn(m, vector, next);
      [vector, next] = [next, vector];
    }
    return vector;
  }

  /** Drops what was derived from `layer` (its data changed). */
  forget(layer: number): void {
    this.profiles[layer] = undefined;
  }

  // out = vector · A'_m, reading only rows where the vector is non-zero.
  private rowTimesStep(vector: Float64Array, m: number, out: Float64Array): void {
    const { T, heads } = this;
    const data = this.layer(m);
    const profile = this.profile(m);
    out.fill(0);
    for (let j = 0; j < T; j++) {
      const v = vector[j];
      if (v === 0) continue;
      this.profileRow(data, profile, j);
      const scaled = v * profile.scale[j];
      const w = scaled / heads;
      const end = profile.end[j];
      for (let base = j * T; base < data.length; base += T * T) {
        for (let k = 0; k < end; k++) out[k] += w * data[base + k];
      }
      out[j] += scaled;
    }
  }

  // out = A'_m · vector, with dot products over the span where both row and vector can be non-zero.
  private stepTimesColumn(m: number, vector: Float64Array, out: Float64Array): void {
    const { T, heads } = this;
    const data = this.layer(m);
    const profile = this.profile(m);
    let lo = 0;
    while (lo < T && vector[lo] === 0) lo++;
    let hi = T;
    while (hi > lo && vector[hi - 1] === 0) hi--;
    for (let i = 0; i < T; i++) {
      this.profileRow(data, profile, i);
      const to = Math.min(hi, profile.end[i]);
      let sum = 0;
      for (let base = i * T; base < data.length; base += T * T) {
        for (let k = lo; k < to; k++) sum += data[base + k] * vector[k];
      }
      out[i] = (sum / heads + vector[i]) * profile.scale[i];
    }
  }

  private profile(m: number): RowProfile {
    return (this.profiles[m] ??= { end: new Int32Array(this.T).fill(-1), scale: new Float64Array(this.T) });
  }

  // Fills row j's profile on first use: one pass over its keys in every head, from the end so
  // trailing zeros (a causal row past the diagonal) are only compared, never added.
  private profileRow(data: Float32Array, profile: RowProfile, j: number): void {
    if (profile.end[j] >= 0) return;
    const { T, heads } = this;
    let end = 0;
    let sum = 0;
    for (let base = j * T; base < data.length; base += T * T) {
      let k = T;
      while (k > 0 && data[base + k - 1] === 0) k--;
      if (k > end) end = k;
      for (let c = 0; c < k; c++) sum += data[base + c];
    }
    profile.end[j] = end;
    // Same step as residualAttention: the mean over heads, plus 1 on the diagonal, rows rescaled to 1.
    profile.scale[j] = 1 / (sum / heads + 1);
  }
}
