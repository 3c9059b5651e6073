// The messages between the panel's views and the rollout worker (webview/rolloutWorker.ts).

/**
 * One layer of a computation, [heads][T][T] as a Float32Array's buffer (a copy: the views keep
 * theirs), sent one per task so that no single copy holds the page; then `run` starts it. A new id
 * drops the layers of earlier ones.
 */
export type RolloutRequest =
  | { type: 'layer'; id: number; index: number; buffer: ArrayBuffer }
  | { type: 'run'; id: number; heads: number; T: number; count: number };

/** The cumulative rollout after each layer, T×T Float32 buffers, transferred; or why it failed. */
export type RolloutReply = { id: number; rollout: ArrayBuffer[] } | { id: number; error: string };
