// The calls the bench's floor worker answers over the channel; one request in flight at a time.

/** Which graph a floor run uses: the unmodified one, or the surgered one fetching attention only. */
export type FloorGraph = 'bare' | 'raw';

export type FloorApi = {
  /** Opens a model's sessions; replies with how many attention layers the surgered graph exposes. */
  open: { params: { modelDir: string; cacheDir?: string; rawOnly?: boolean }; result: { layers: number } };
  prepare: { params: { ids: number[]; typeIds: number[] }; result: null };
  /**
   * One timed session.run, and the GC pauses inside it; with `forMs`, runs back to back until that
   * long has passed (at least one), and `ms` is the whole stretch.
   */
  run: { params: { graph: FloorGraph; forMs?: number }; result: { ms: number; gcMs: number } };
  release: { params: null; result: null };
};
