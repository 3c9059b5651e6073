// The calls the panel's rollout worker (webview/rolloutWorker.ts) answers over the channel.

/**
 * `layer`: one layer of computation `id`, [heads][T][T] as a Float32Array's buffer (a copy: the views
 * keep theirs), sent one per task so that no single copy holds the page; a new id drops the layers of
 * earlier ones. `run` then starts it and replies with the cumulative rollout after each layer, T×T
 * Float32 buffers, transferred.
 */
export type RolloutApi = {
  layer: { params: { id: number; index: number; buffer: ArrayBuffer }; result: null };
  run: { params: { id: number; heads: number; T: number; count: number }; result: ArrayBuffer[] };
};
